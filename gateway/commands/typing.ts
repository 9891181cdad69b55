import { nameKey } from '../../core/index.ts';
import type { CommandHandler } from './types.ts';

/** A connection passes on at most one TYPING per conversation in this long (spec: TYPING; IRCv3 +typing). */
export const TYPING_EVERY_MS = 3_000;
/** Conversations a connection's recent TYPINGs are remembered for: older ones are forgotten first. */
const REMEMBERED = 64;

/**
 * TYPING <target>: the conversation's other members are told, unless this connection passed
 * one on there in the last 3 s (then it is answered OK and dropped, so a client may send one
 * per keystroke). TYPING ON / OFF: whether this connection is sent others' TYPING events.
 */
export const typing: CommandHandler<'TYPING'> = {
  needsUser: true,
  run(ctx, conn, cmd) {
    if ('watch' in cmd) {
      conn.typingEvents = cmd.watch;
      return ctx.reply(conn, { type: 'OK', args: [] });
    }
    const key = nameKey(cmd.target);
    const now = Date.now();
    const passed = (conn.typingPassed ??= new Map());
    const last = passed.get(key);
    // Within 3 s of the last one passed on it is answered and dropped, but checked all the
    // same: the user may have left the channel since.
    const passOn = last === undefined || now - last >= TYPING_EVERY_MS;
    if (passOn) {
      passed.delete(key);
      passed.set(key, now);
      if (passed.size > REMEMBERED) passed.delete(passed.keys().next().value!);
    }
    // The next command waits for the answer: a refused TYPING must not count as passed on, or
    // a second one right behind it would be dropped unchecked.
    return ctx.chat.typing(ctx.caller(conn), cmd.target, passOn).then((r) => {
      if (r !== null && passed.get(key) === now) passed.delete(key);
      ctx.reply(conn, r ?? { type: 'OK', args: [] });
    });
  },
};
