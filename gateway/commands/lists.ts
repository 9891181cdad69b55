import { nameKey, type ServerFrame } from '../../core/index.ts';
import type { Hub } from '../hub.ts';
import type { Conn } from '../conn.ts';
import type { CommandHandler } from './types.ts';

/** Data lines, then `END <verb> <count>`. */
function list(hub: Hub, conn: Conn, of: string, frames: ServerFrame[]): void {
  for (const f of frames) hub.reply(conn, f);
  hub.reply(conn, { type: 'END', of, count: frames.length });
}

const byName = (a: string, b: string) => (a.toLowerCase() < b.toLowerCase() ? -1 : a.toLowerCase() > b.toLowerCase() ? 1 : 0);

/** CHNS: every channel with its member count (seed 003). */
export const chns: CommandHandler<'CHNS'> = {
  needsUser: false,
  run(hub, conn) {
    const channels = [...hub.channels.values()].sort((a, b) => byName(a.name, b.name));
    list(hub, conn, 'CHNS', channels.map((ch) => ({ type: 'CHN', channel: ch.name, members: ch.members.size })));
  },
};

/** USRS [#channel]: every known user, or a channel's members; online first (seed 004). */
export const usrs: CommandHandler<'USRS'> = {
  needsUser: false,
  run(hub, conn, { channel }) {
    let keys: Iterable<string> = hub.known.keys();
    if (channel !== undefined) {
      const ch = hub.channels.get(nameKey(channel));
      if (ch === undefined) return hub.reply(conn, { type: 'ERR', code: 'NO_SUCH_CHANNEL', text: `${channel} does not exist` });
      keys = ch.members;
    }
    const users = [...keys].map((k) => ({ handle: hub.known.get(k) ?? k, online: hub.users.has(k) }));
    users.sort((a, b) => (a.online === b.online ? byName(a.handle, b.handle) : a.online ? -1 : 1));
    list(hub, conn, 'USRS', users.map((u) => ({ type: 'USR', user: u.handle, online: u.online })));
  },
};

const HELP_LINES = [
  'REG @handle [password]  register; a password claims the handle',
  'JOIN #channel  join a channel, creating it if new',
  'LEAVE #channel  leave a channel',
  'MSG #channel|@user <length>  then the body on the next line: send a message',
  'MSG #general 5\\r\\nHello  the same on one line',
  'CHNS  list channels and member counts',
  'USRS [#channel]  list users, online and offline',
  'HISTORY #channel|@user [limit] [before <id>|after <id>]  replay stored messages',
  'MUTE / UNMUTE  hold back your messages, or stop holding them back',
  'TIME  the server time',
  'PING [token]  check the connection',
  'HELP  this list',
  'QUIT  leave',
];

export const help: CommandHandler<'HELP'> = {
  needsUser: false,
  run(hub, conn) {
    list(hub, conn, 'HELP', HELP_LINES.map((text) => ({ type: 'INFO', text })));
  },
};

export const time: CommandHandler<'TIME'> = {
  needsUser: false,
  run(hub, conn) {
    hub.reply(conn, { type: 'TIME', time: new Date().toISOString() });
  },
};

export const ping: CommandHandler<'PING'> = {
  needsUser: false,
  run(hub, conn, { token }) {
    hub.reply(conn, token === undefined ? { type: 'PONG' } : { type: 'PONG', token });
  },
};

export const quit: CommandHandler<'QUIT'> = {
  needsUser: false,
  run(hub, conn) {
    hub.end(conn, 'quit', { type: 'BYE', reason: 'QUIT', text: conn.user ? `Goodbye ${conn.user.handle}` : 'Goodbye' });
  },
};
