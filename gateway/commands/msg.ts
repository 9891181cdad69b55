import { encodeDelivery, nameKey, utf8 } from '../../core/index.ts';
import type { CommandHandler } from './types.ts';
import { refuse } from '../sentences.ts';

/**
 * MSG <target> <len> + body. The delivery is encoded once and the same bytes are queued for
 * every recipient; the sender's `OK id ts` and the deliveries leave together after the
 * turn's store batch commits.
 */
export const msg: CommandHandler<'MSG'> = {
  needsUser: true,
  run(hub, conn, { target, body }) {
    const user = conn.user!;
    const key = nameKey(target);
    const isChannel = target.charCodeAt(0) === 35;
    const ch = isChannel ? hub.channels.get(key) : undefined;
    if (isChannel) {
      if (ch === undefined) return hub.reply(conn, refuse.noSuchChannel(target));
      if (!ch.members.has(user.key)) {
        return hub.reply(conn, refuse.notMemberToPost(ch.name));
      }
    } else if (!hub.known.has(key)) {
      return hub.reply(conn, refuse.noSuchUser(target));
    }
    if (conn.muted) {
      conn.heldBack++;
      conn.mutedTotal++;
      return hub.reply(conn, { type: 'OK', args: ['MUTED', String(conn.heldBack)] });
    }
    const ts = new Date().toISOString();
    const to = ch !== undefined ? ch.name : hub.known.get(key)!;
    const recipient = ch === undefined ? hub.users.get(key) : undefined;
    const offlineFor = ch === undefined && recipient === undefined ? key : undefined;
    const id = hub.store.append({ target: to, from: user.handle, ts, body }, offlineFor);
    const frame = encodeDelivery(to, user.handle, id, ts, body);
    if (ch !== undefined) hub.broadcast(ch, frame, conn);
    else {
      hub.noteDirect(user.key, key);
      if (recipient !== undefined && recipient.conn !== conn) hub.send(recipient.conn, frame);
    }
    conn.sent++;
    hub.sendStoredOk(conn, utf8(`OK ${id} ${ts}\r\n`), frame, to);
  },
};
