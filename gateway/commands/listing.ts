import type { ServerFrame } from '../../core/index.ts';
import type { Conn } from '../hub/conn.ts';
import type { CommandContext } from './types.ts';

/** Data lines, then `END <verb> <count>`. */
export function list(ctx: CommandContext, conn: Conn, of: string, frames: ServerFrame[]): void {
  for (const f of frames) ctx.reply(conn, f);
  ctx.reply(conn, { type: 'END', of, count: frames.length });
}

export const byName = (a: string, b: string) => (a.toLowerCase() < b.toLowerCase() ? -1 : a.toLowerCase() > b.toLowerCase() ? 1 : 0);
