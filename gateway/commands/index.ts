import type { CommandTable } from './types.ts';
import { reg } from './reg.ts';
import { join } from './join.ts';
import { leave } from './leave.ts';
import { msg, mute, unmute } from './msg.ts';
import { chns, usrs, help, time, ping, quit } from './lists.ts';
import { history } from './history.ts';

/** Every command's handler, by verb. The type makes a missing command a compile error. */
export const commands: CommandTable = {
  REG: reg,
  JOIN: join,
  LEAVE: leave,
  MSG: msg,
  CHNS: chns,
  USRS: usrs,
  HISTORY: history,
  MUTE: mute,
  UNMUTE: unmute,
  HELP: help,
  TIME: time,
  PING: ping,
  QUIT: quit,
};
