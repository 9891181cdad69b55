import type { ServerFrame } from '../../core/index.ts';
import type { Change } from '../chat/log-rules.ts';
import type { Conn } from '../hub/conn.ts';
import type { CommandContext } from './types.ts';

/**
 * What EDIT, DELETE, REACT and UNREACT share: one logged change to a message, answered
 * `OK <id> <ts>` once it has committed (the change's own id in the conversation's log), or a
 * bare `OK` when there was nothing to change (a reaction already there, or not there).
 */
export function runChange(ctx: CommandContext, conn: Conn, target: string, change: Change): Promise<void> {
  const { staged, result } = ctx.chat.change(ctx.caller(conn), target, change);
  ctx.later(conn, result.then((r): ServerFrame => {
    if (r === null) return { type: 'OK', args: [] };
    if ('type' in r) return r;
    return { type: 'OK', args: [String(r.id), r.ts] };
  }));
  // The connection's next command waits until this one has its place in the log (or was refused).
  return staged.then(() => {});
}
