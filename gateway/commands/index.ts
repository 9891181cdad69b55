import type { CommandTable } from './types.ts';
import { reg } from './reg.ts';
import { resume } from './resume.ts';
import { token } from './token.ts';
import { signout } from './signout.ts';
import { password } from './password.ts';
import { topic } from './topic.ts';
import { join } from './join.ts';
import { create, invite } from './create.ts';
import { leave } from './leave.ts';
import { msg } from './msg.ts';
import { chns } from './chns.ts';
import { usrs } from './usrs.ts';
import { mute } from './mute.ts';
import { unmute } from './unmute.ts';
import { help } from './help.ts';
import { time } from './time.ts';
import { ping } from './ping.ts';
import { quit } from './quit.ts';
import { history } from './history.ts';
import { read } from './read.ts';
import { unread } from './unread.ts';
import { mode } from './mode.ts';
import { prefs } from './prefs.ts';
import { pref } from './pref.ts';
import { reply } from './reply.ts';
import { edit } from './edit.ts';
import { del } from './delete.ts';
import { react, unreact } from './react.ts';
import { typing } from './typing.ts';
import { thread } from './thread.ts';
import { threads } from './threads.ts';
import { search } from './search.ts';
import { block, blocks, unblock } from './block.ts';
import { ban, bans, deop, kick, modlog, op, owner, roles, suspend, unban, unsuspend } from './moderation.ts';

/** Every command's handler, by verb. The type makes a missing command a compile error. */
export const commands: CommandTable = {
  REG: reg,
  RESUME: resume,
  TOKEN: token,
  SIGNOUT: signout,
  PASSWORD: password,
  TOPIC: topic,
  JOIN: join,
  LEAVE: leave,
  MSG: msg,
  CHNS: chns,
  USRS: usrs,
  HISTORY: history,
  READ: read,
  UNREAD: unread,
  PREFS: prefs,
  PREF: pref,
  MUTE: mute,
  UNMUTE: unmute,
  HELP: help,
  TIME: time,
  PING: ping,
  QUIT: quit,
  MODE: mode,
  REPLY: reply,
  EDIT: edit,
  DELETE: del,
  REACT: react,
  UNREACT: unreact,
  TYPING: typing,
  THREAD: thread,
  THREADS: threads,
  SEARCH: search,
  BLOCK: block,
  UNBLOCK: unblock,
  BLOCKS: blocks,
  CREATE: create,
  INVITE: invite,
  OP: op,
  DEOP: deop,
  OWNER: owner,
  KICK: kick,
  BAN: ban,
  UNBAN: unban,
  SUSPEND: suspend,
  UNSUSPEND: unsuspend,
  MODLOG: modlog,
  ROLES: roles,
  BANS: bans,
};
