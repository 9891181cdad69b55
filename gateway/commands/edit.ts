import type { CommandHandler } from './types.ts';
import { runChange } from './changes.ts';

/** EDIT <target> <id> <len> + body, or FIX <target> <id> <text>: the author replaces a message's text. */
export const edit: CommandHandler<'EDIT'> = {
  needsUser: true,
  run(ctx, conn, { target, id, body, said }) {
    if (said) conn.looksLike('person');
    return runChange(ctx, conn, target, { kind: 'edit', id, body });
  },
};
