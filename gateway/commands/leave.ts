import type { CommandHandler } from './types.ts';

/** LEAVE #channel: members and the leaver see LEFT once it has committed. The channel stays listed. */
export const leave: CommandHandler<'LEAVE'> = {
  needsUser: true,
  run(ctx, conn, { channel }) {
    return ctx.chat.leave(ctx.caller(conn), channel).then((r) => {
      ctx.reply(conn, 'type' in r ? r : { type: 'OK', args: [] });
    });
  },
};
