import type { Command } from '../../core/index.ts';

/** Commands that add to a conversation's log: each draws on the connection's MSG tokens (flood.ts), and waits out an overload (overload.ts). */
export const LOGGED_WRITES: ReadonlySet<string> = new Set(['MSG', 'REPLY', 'EDIT', 'DELETE', 'REACT', 'UNREACT']);

/**
 * Writes that change who may do what, or who is where (roles, removals, bans, suspensions,
 * invitations, blocks): each is a store commit and a line to every member, which a client
 * could pipeline without end. They draw on the same MSG tokens (spec §7, "Flood control"),
 * so a burst of them waits, in order, as a burst of messages does; --rate-exempt users are
 * not held. They add nothing to a log, so an overload does not hold them.
 */
const MODERATION_WRITES: ReadonlySet<string> = new Set(['OP', 'DEOP', 'OWNER', 'KICK', 'BAN', 'UNBAN', 'SUSPEND', 'UNSUSPEND', 'INVITE', 'BLOCK', 'UNBLOCK']);

/** Whether `cmd` takes a MSG token: a logged write, a moderation write, or a TOPIC that sets one (asking one is a read). */
export function takesMsgToken(cmd: Command): boolean {
  return LOGGED_WRITES.has(cmd.type) || MODERATION_WRITES.has(cmd.type) || (cmd.type === 'TOPIC' && cmd.text !== undefined);
}
