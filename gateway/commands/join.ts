import { encodeServerFrame, nameKey } from '../../core/index.ts';
import type { CommandHandler } from './types.ts';
import { refuse } from '../sentences.ts';

/**
 * JOIN #channel: creates it when new. Every member, the joiner too, sees JOINED. The
 * membership (and a new channel) is stored first: only once it has committed does the hub
 * change its memory, tell the members and answer OK.
 */
export const join: CommandHandler<'JOIN'> = {
  needsUser: true,
  run(hub, conn, { channel }) {
    // Channel caps (flood.ts): how many one may be in, and create an hour.
    const refused = hub.flood.joinRefusal(hub, conn, channel);
    if (refused !== null) return hub.reply(conn, refused);
    const user = conn.user!;
    const known = hub.channels.get(nameKey(channel));
    if (known?.members.has(user.key)) return hub.reply(conn, { type: 'OK', args: [] });
    const name = known?.name ?? channel;
    hub.store.addChannel(name);
    hub.store.addMember(name, user.handle);
    return hub.committed().then((stored) => {
      if (!stored) return hub.reply(conn, refuse.notStored(`Could not join ${name}`));
      // Stored: the membership holds whether or not this connection is still here.
      const ch = hub.channel(name, false);
      if (ch.members.has(user.key)) return hub.reply(conn, { type: 'OK', args: [] });
      hub.addMember(ch, user.key);
      if (conn.user === user) {
        hub.seat(user, ch);
        hub.broadcast(ch, encodeServerFrame({ type: 'JOINED', channel: ch.name, user: user.handle }));
      }
      hub.reply(conn, { type: 'OK', args: [] });
    });
  },
};
