import type { CommandOf, CommandType, ServerFrame } from '../../core/index.ts';
import type { Caller, Chat, Registered } from '../chat/chat.ts';
import type { Conn, Departure } from '../hub/conn.ts';
import type { ReplyBudget } from '../hub/reply-budget.ts';

/**
 * What a command may do: ask the chat rules, and answer its own connection. The hub
 * implements it; commands never see the hub, the store or another connection.
 */
export interface CommandContext {
  readonly chat: Chat;
  /** HISTORY's byte budget and server-wide reply memory (reply-budget.ts). */
  readonly replies: ReplyBudget;
  reply(conn: Conn, frame: ServerFrame): void;
  /** Bytes that answer the connection's own command (HISTORY's messages). */
  sendOwn(conn: Conn, bytes: Uint8Array): void;
  /** An answer known later (a MSG's OK after its commit): it keeps its place in the order. */
  later(conn: Conn, answer: Promise<ServerFrame>): void;
  /** Frames that keep their place now and leave once `after` has settled. */
  sendAfter(conn: Conn, after: Promise<unknown>, frames: Uint8Array[], own?: boolean): void;
  end(conn: Conn, how: Departure, bye: ServerFrame): void;
  /** REG succeeded: the connection holds the handle now. Sends OK, JOINED lines and kept mail. */
  signIn(conn: Conn, registered: Registered): void;
  /** The signed-in user of a connection, as the chat rules name them. */
  caller(conn: Conn): Caller;
}

/** One command's handler. Asynchronous handlers hold back the connection's later commands. */
export type CommandHandler<K extends CommandType> = {
  /** Whether the connection must have registered first. */
  needsUser: boolean;
  run(ctx: CommandContext, conn: Conn, cmd: CommandOf<K>): void | Promise<void>;
};

export type CommandTable = { [K in CommandType]: CommandHandler<K> };
