import type { ServerFrame } from '../../core/index.ts';
import type { Hub } from '../hub.ts';
import type { Conn } from '../conn.ts';

/** Data lines, then `END <verb> <count>`. */
export function list(hub: Hub, conn: Conn, of: string, frames: ServerFrame[]): void {
  for (const f of frames) hub.reply(conn, f);
  hub.reply(conn, { type: 'END', of, count: frames.length });
}

export const byName = (a: string, b: string) => (a.toLowerCase() < b.toLowerCase() ? -1 : a.toLowerCase() > b.toLowerCase() ? 1 : 0);
