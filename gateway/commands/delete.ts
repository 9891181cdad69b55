import type { CommandHandler } from './types.ts';
import { runChange } from './changes.ts';

/**
 * DELETE <target> <id> [reason]: the author takes a message back; its body and reactions are
 * erased, its id stays. In a channel its owner, ops and server admins delete others' messages
 * too, with a reason kept in the moderation log (spec: DELETE, MODLOG).
 */
export const del: CommandHandler<'DELETE'> = {
  needsUser: true,
  run(ctx, conn, { target, id, reason }) {
    return runChange(ctx, conn, target, reason === undefined ? { kind: 'delete', id } : { kind: 'delete', id, reason });
  },
};
