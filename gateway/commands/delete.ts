import type { CommandHandler } from './types.ts';
import { runChange } from './changes.ts';

/** DELETE <target> <id>: the author takes a message back; its body and reactions are erased, its id stays. */
export const del: CommandHandler<'DELETE'> = {
  needsUser: true,
  run(ctx, conn, { target, id }) {
    return runChange(ctx, conn, target, { kind: 'delete', id });
  },
};
