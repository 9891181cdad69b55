import { encodeFrameFor, nameKey } from '../../core/index.ts';
import type { Registered } from '../chat/chat.ts';
import type { Conn } from '../hub/conn.ts';
import type { Refusal } from '../sentences.ts';
import { refuse } from '../sentences.ts';
import { messageFrame } from '../hub/log-frames.ts';
import type { CommandContext, CommandHandler } from './types.ts';

/**
 * REG @handle [password]: the chat rules decide (chat/register.ts); once they say yes the
 * connection is signed in: OK, its channels, kept mail, then presence to co-members.
 */
export const reg: CommandHandler<'REG'> = {
  needsUser: false,
  run(ctx, conn, { handle, password }) {
    if (conn.user !== null) return ctx.reply(conn, refuse.alreadyRegistered(conn.user.handle));
    const req = { conn: conn.session.id, address: addressOf(conn), handle, password };
    return ctx.chat.register(req).then((r) => signedIn(ctx, conn, r));
  },
};

/** What REG and RESUME do once the chat rules have answered. */
export function signedIn(ctx: CommandContext, conn: Conn, r: Registered | Refusal): void {
  if ('type' in r) return ctx.reply(conn, r);
  // Gone meanwhile: the handle is let go (a new one stays registered).
  if (conn.closed) return ctx.chat.abandon({ key: nameKey(r.handle), handle: r.handle, conn: conn.session.id });
  ctx.signIn(conn, r);
  const me = ctx.caller(conn);
  ctx.chat.online(me, r);
  // Mail kept for them leaves their queue first, then goes out: a node that dies in
  // between has handed over nothing, and the next sign-in hands it all over, once.
  const handed = ctx.chat.delivered(me.handle, r.offline.map((m) => ({ conversation: m.conversation, id: m.id })));
  // Worded as live ones are on this connection (MODE before REG makes them a person's).
  const kept = r.offline.map((m) => encodeFrameFor(conn.kind, messageFrame(m), r.handle));
  ctx.sendAfter(conn, handed, kept, true);
}

export function addressOf(conn: Conn): string {
  const r = conn.session.remote;
  const i = r.lastIndexOf(':');
  return i > 0 ? r.slice(0, i) : r;
}
