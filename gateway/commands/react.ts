import type { CommandHandler } from './types.ts';
import { runChange } from './changes.ts';

/** REACT <target> <id> <reaction>: one emoji on a message, once per user. */
export const react: CommandHandler<'REACT'> = {
  needsUser: true,
  run(ctx, conn, { target, id, reaction }) {
    return runChange(ctx, conn, target, { kind: 'react', id, reaction });
  },
};

/** UNREACT <target> <id> <reaction>: take one's reaction back. */
export const unreact: CommandHandler<'UNREACT'> = {
  needsUser: true,
  run(ctx, conn, { target, id, reaction }) {
    return runChange(ctx, conn, target, { kind: 'unreact', id, reaction });
  },
};
