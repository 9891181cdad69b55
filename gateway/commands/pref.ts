import type { CommandHandler } from './types.ts';

/**
 * PREF <key> [value]: keep a setting (no value clears it), answered OK once stored; the
 * user's other connections, on every node, get `PREF <key> [value]`.
 */
export const pref: CommandHandler<'PREF'> = {
  needsUser: true,
  run(ctx, conn, { key, value }) {
    const stored = ctx.chat.setPref(ctx.caller(conn), key, value === undefined || value === '' ? null : value);
    ctx.later(conn, stored.then((r) => r ?? { type: 'OK', args: [] }));
  },
};
