import type { CommandHandler } from './types.ts';
import { list } from './listing.ts';

const HELP_LINES = [
  'REG @handle [password]  register; a password claims the handle',
  'PASSWORD [current] <new>  claim your guest handle, or change your password',
  'TOKEN  a session token, to sign in again without the password',
  'RESUME @handle <token>  sign in with a session token',
  'SIGNOUT [ALL]  end this session, or every one of yours',
  'JOIN #channel  join a channel, creating it if new',
  'CREATE #channel [private]  create a channel; a private one is seen only by its members',
  'INVITE #channel @user  add someone to a channel you are in',
  'LEAVE #channel  leave a channel',
  'TOPIC #channel [text]  show the topic, or set it (- clears it)',
  'MSG #channel|@user <length>  then the body on the next line: send a message',
  'MSG #general 5\\r\\nHello  the same on one line',
  'SAY #channel|@user <text>  send one line, no length to count',
  'REPLY #channel|@user <id> <length> [ALSO]  then the body: reply in the thread of message <id>',
  'RE #channel|@user <id> <text>  reply in a thread, one line',
  'EDIT #channel|@user <id> <length>  then the new text: edit your message',
  'FIX #channel|@user <id> <text>  edit your message, one line',
  'DELETE #channel|@user <id> [reason]  delete your message (an op: anyone\'s in the channel, with a reason)',
  'REACT #channel|@user <id> <emoji>  react to a message (UNREACT takes it back)',
  'THREAD #channel|@user <id> [limit]  a thread: its first message and the replies',
  'THREADS  the threads you follow, with what is unread',
  'SEARCH <words> ["phrase"] [-word] [from:@user] [in:#channel|@user] [before:|after:<date>]  find messages',
  'TYPING #channel|@user  tell the others you are typing; TYPING ON|OFF: be told of theirs',
  'MODE [text|exact]  others\' messages rendered for reading (text) or byte for byte (exact)',
  'CHNS [limit] [after #channel]  list channels and member counts, a page at a time',
  'USRS [#channel]  list users, online and offline',
  'HISTORY #channel|@user [limit] [before|after|around <id>]  replay stored messages',
  'UNREAD  your conversations: unread, mentions, read up to, newest id',
  'READ #channel|@user <id>  mark read up to message <id>',
  'PREFS  your settings kept on the server (a claimed handle)',
  'PREF <key> [value]  keep a setting, or without a value clear it',
  'MUTE / UNMUTE  hold back your messages, or stop holding them back',
  'BLOCK @user / UNBLOCK @user  refuse their direct messages, or stop refusing them',
  'BLOCKS  the users you block',
  'OP #channel @user / DEOP #channel @user  the owner makes an op, or takes the role away',
  'KICK #channel @user [reason] / BAN … / UNBAN #channel @user  ops remove a member, keep them out, let them back',
  'MODLOG [n]  the moderation log of the channels you op (admins: all of it)',
  'OWNER #channel @user / SUSPEND @user [reason] / UNSUSPEND @user  server admins only',
  'TIME  the server time',
  'PING [token]  check the connection',
  'HELP  this list',
  'QUIT  leave',
];

export const help: CommandHandler<'HELP'> = {
  needsUser: false,
  run(ctx, conn) {
    list(ctx, conn, 'HELP', HELP_LINES.map((text) => ({ type: 'INFO', text })));
  },
};
