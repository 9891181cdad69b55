import { LIMITS, encodeDelivery, nameKey } from '../../core/index.ts';
import type { CommandHandler } from './types.ts';

/** HISTORY <#channel|@user> [limit] [before|after <id>]: MSG frames oldest first, then END. */
export const history: CommandHandler<'HISTORY'> = {
  needsUser: true,
  run(hub, conn, { target, limit, before, after }) {
    const user = conn.user!;
    const key = nameKey(target);
    // Messages staged this turn are not stored until the batch commits, and a failed commit
    // takes them back: commit (and write out what waits on it) first, so history shows only
    // what is kept.
    if (hub.store.dirty) hub.flush();
    const q = { limit: Math.min(limit ?? LIMITS.defaultHistory, LIMITS.maxHistory), before, after };
    let messages;
    if (target[0] === '#') {
      const ch = hub.channels.get(key);
      if (ch === undefined) return hub.reply(conn, { type: 'ERR', code: 'NO_SUCH_CHANNEL', text: `${target} does not exist` });
      if (!ch.members.has(user.key)) {
        return hub.reply(conn, { type: 'ERR', code: 'NOT_MEMBER', text: `Join ${ch.name} to read its history` });
      }
      messages = hub.store.channelHistory(ch.name, q);
    } else {
      if (!hub.known.has(key)) return hub.reply(conn, { type: 'ERR', code: 'NO_SUCH_USER', text: `${target} has never registered` });
      messages = hub.store.directHistory(user.handle, hub.known.get(key)!, q);
    }
    for (const m of messages) hub.send(conn, encodeDelivery(m.target, m.from, m.id, m.ts, m.body));
    hub.reply(conn, { type: 'END', of: 'HISTORY', count: messages.length });
  },
};
