import type { CommandHandler } from './types.ts';

/**
 * BLOCK @handle / UNBLOCK @handle: the user's DMs are refused (spec: BLOCK), or no longer;
 * answered OK once stored, and the user's other connections get `BLOCKED`/`UNBLOCKED`.
 */
export const block: CommandHandler<'BLOCK'> = {
  needsUser: true,
  run(ctx, conn, { handle }) {
    ctx.later(conn, ctx.chat.block(ctx.caller(conn), handle, true).then((r) => r ?? { type: 'OK', args: [] }));
  },
};

export const unblock: CommandHandler<'UNBLOCK'> = {
  needsUser: true,
  run(ctx, conn, { handle }) {
    ctx.later(conn, ctx.chat.block(ctx.caller(conn), handle, false).then((r) => r ?? { type: 'OK', args: [] }));
  },
};

/** BLOCKS: `BLOCKED @handle` for each user this user blocks, then `END BLOCKS <n>`. */
export const blocks: CommandHandler<'BLOCKS'> = {
  needsUser: true,
  run(ctx, conn) {
    return ctx.chat.blocks(ctx.caller(conn)).then((r) => {
      if (!Array.isArray(r)) return ctx.reply(conn, r);
      for (const user of r) ctx.reply(conn, { type: 'BLOCKED', user });
      ctx.reply(conn, { type: 'END', of: 'BLOCKS', count: r.length });
    });
  },
};
