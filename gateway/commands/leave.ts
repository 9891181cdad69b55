import { encodeServerFrame, nameKey } from '../../core/index.ts';
import { removeOnline } from '../conn.ts';
import type { CommandHandler } from './types.ts';
import { refuse } from '../sentences.ts';

/**
 * LEAVE #channel: members and the leaver see LEFT, once the store has committed it. The
 * channel stays listed.
 */
export const leave: CommandHandler<'LEAVE'> = {
  needsUser: true,
  run(hub, conn, { channel }) {
    const user = conn.user!;
    const ch = hub.channels.get(nameKey(channel));
    if (ch === undefined) {
      return hub.reply(conn, refuse.noSuchChannel(channel));
    }
    if (!ch.members.has(user.key)) {
      return hub.reply(conn, refuse.notMemberToLeave(ch.name));
    }
    hub.store.removeMember(ch.name, user.handle);
    return hub.committed().then((stored) => {
      if (!stored) return hub.reply(conn, refuse.notStored(`Could not leave ${ch.name}`));
      if (!ch.members.has(user.key)) return hub.reply(conn, { type: 'OK', args: [] });
      hub.broadcast(ch, encodeServerFrame({ type: 'LEFT', channel: ch.name, user: user.handle }));
      hub.removeMember(ch, user.key);
      user.channels.delete(ch);
      removeOnline(ch, conn);
      hub.reply(conn, { type: 'OK', args: [] });
    });
  },
};
