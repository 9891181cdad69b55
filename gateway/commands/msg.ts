import type { ServerFrame } from '../../core/index.ts';
import type { CommandHandler } from './types.ts';

/**
 * MSG <target> <len> + body. The OK waits for the commit that gives the message its id, but
 * holds only its own place: later commands run meanwhile, so a client may pipeline many
 * messages into one commit. Recipients get it from the chat rules once it has committed.
 * SAY is the form a person types: it makes the connection a person's (spec: MODE), so what
 * others write reaches them rendered for reading.
 */
export const msg: CommandHandler<'MSG'> = {
  needsUser: true,
  run(ctx, conn, { target, body, said }) {
    if (said) conn.looksLike('person');
    if (conn.muted) {
      conn.heldBack++;
      conn.mutedTotal++;
      return ctx.reply(conn, { type: 'OK', args: ['MUTED', String(conn.heldBack)] });
    }
    const posted = ctx.chat.post(ctx.caller(conn), target, body);
    if (!(posted instanceof Promise)) return ctx.reply(conn, posted);
    ctx.later(conn, posted.then((r): ServerFrame => {
      if ('type' in r) return r;
      conn.sent++;
      return { type: 'OK', args: [String(r.id), r.ts] };
    }));
  },
};
