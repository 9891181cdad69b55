import type { CommandHandler } from './types.ts';

/**
 * TOPIC #channel [text]: without text, `TOPIC #channel <@by|-> <text>` then `END TOPIC 1`;
 * with text (a member only; `-` clears it), stored, then every member online gets the new
 * `TOPIC` line, the setter too, and the setter gets OK.
 */
export const topic: CommandHandler<'TOPIC'> = {
  needsUser: true,
  run(ctx, conn, { channel, text }) {
    const r = ctx.chat.topic(ctx.caller(conn), channel, text);
    if (!(r instanceof Promise)) return ctx.reply(conn, r);
    return r.then((a) => {
      if ('type' in a) return ctx.reply(conn, a);
      if (text !== undefined) return ctx.reply(conn, { type: 'OK', args: [] });
      ctx.reply(conn, { type: 'TOPIC', channel: a.channel, by: a.topic?.by ?? '-', text: a.topic?.text ?? '' });
      ctx.reply(conn, { type: 'END', of: 'TOPIC', count: 1 });
    });
  },
};
