import { encodeServerFrame } from '../../core/index.ts';
import type { CommandHandler } from './types.ts';

/** JOIN #channel: creates it when new. Every member, the joiner too, sees JOINED. */
export const join: CommandHandler<'JOIN'> = {
  needsUser: true,
  run(hub, conn, { channel }) {
    const user = conn.user!;
    const ch = hub.channel(channel, true);
    if (!ch.members.has(user.key)) {
      hub.addMember(ch, user.key);
      hub.store.addMember(ch.name, user.handle);
      hub.seat(user, ch);
      hub.broadcast(ch, encodeServerFrame({ type: 'JOINED', channel: ch.name, user: user.handle }));
    }
    hub.reply(conn, { type: 'OK', args: [] });
  },
};
