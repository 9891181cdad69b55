import type { CommandHandler } from './types.ts';

/**
 * CREATE #channel [private]: a new channel with the caller in it (spec: CREATE). Members see
 * JOINED once it has committed, as for JOIN; then OK. A taken name is ERR CHANNEL_TAKEN.
 */
export const create: CommandHandler<'CREATE'> = {
  needsUser: true,
  run(ctx, conn, { channel, private: isPrivate }) {
    return ctx.chat.create(ctx.caller(conn), channel, isPrivate).then((r) => {
      ctx.reply(conn, 'type' in r ? r : { type: 'OK', args: [] });
    });
  },
};

/**
 * INVITE #channel @handle: a member adds someone (spec: INVITE); they, and the members, see
 * JOINED as after a JOIN, then the inviter gets OK.
 */
export const invite: CommandHandler<'INVITE'> = {
  needsUser: true,
  run(ctx, conn, { channel, handle }) {
    return ctx.chat.invite(ctx.caller(conn), channel, handle).then((r) => {
      ctx.reply(conn, r ?? { type: 'OK', args: [] });
    });
  },
};
