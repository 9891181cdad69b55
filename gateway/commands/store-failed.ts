import type { Conn } from '../conn.ts';
import type { Hub } from '../hub.ts';

/** The reply to a command whose change the store could not commit: nothing was changed. */
export function storeFailed(hub: Hub, conn: Conn, what: string): void {
  hub.reply(conn, { type: 'ERR', code: 'STORE_FAILED', text: `${what}: the server could not store it; try again` });
}
