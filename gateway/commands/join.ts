import type { CommandHandler } from './types.ts';

/**
 * JOIN #channel: creates it when new. Every member, the joiner too, sees JOINED once the
 * membership has committed; then OK.
 */
export const join: CommandHandler<'JOIN'> = {
  needsUser: true,
  run(ctx, conn, { channel }) {
    return ctx.chat.join(ctx.caller(conn), channel).then((r) => {
      ctx.reply(conn, 'type' in r ? r : { type: 'OK', args: [] });
    });
  },
};
