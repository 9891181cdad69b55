/**
 * Stable, machine-readable error codes. Every `ERR` line carries one, then a sentence
 * for people: `ERR BAD_HANDLE Handle must begin with @`.
 */
export const ErrorCode = {
  // Framing: raised by the parser. The connection resynchronises at the next line end.
  LINE_TOO_LONG: 'LINE_TOO_LONG',
  BAD_LENGTH: 'BAD_LENGTH',
  BODY_TOO_LARGE: 'BODY_TOO_LARGE',
  // Syntax: raised by the decoder.
  UNKNOWN_COMMAND: 'UNKNOWN_COMMAND',
  BAD_SYNTAX: 'BAD_SYNTAX',
  BAD_HANDLE: 'BAD_HANDLE',
  BAD_CHANNEL: 'BAD_CHANNEL',
  BAD_TARGET: 'BAD_TARGET',
  BAD_PASSWORD: 'BAD_PASSWORD',
  // State: raised by the server.
  NOT_REGISTERED: 'NOT_REGISTERED',
  ALREADY_REGISTERED: 'ALREADY_REGISTERED',
  HANDLE_TAKEN: 'HANDLE_TAKEN',
  /** REG of a new handle, or JOIN creating a channel, whose name looks like an existing one (`@aIice` beside `@alice`). */
  NAME_CONFUSABLE: 'NAME_CONFUSABLE',
  /**
   * CREATE of a name that is taken, or JOIN of a private channel you are not in: the sentence
   * says only that the name is not available (spec: CREATE).
   */
  CHANNEL_TAKEN: 'CHANNEL_TAKEN',
  PASSWORD_REQUIRED: 'PASSWORD_REQUIRED',
  WRONG_PASSWORD: 'WRONG_PASSWORD',
  /** RESUME with a session token that is unknown, expired or signed out. */
  BAD_TOKEN: 'BAD_TOKEN',
  /** TOKEN (or another claimed-only command) from a guest handle. */
  NOT_CLAIMED: 'NOT_CLAIMED',
  /** Too many password attempts, new claims or new channels: the sentence says how long to wait. */
  RATE_LIMITED: 'RATE_LIMITED',
  /** A JOIN past the number of channels one user may be in (`--max-channels-per-user`). */
  TOO_MANY_CHANNELS: 'TOO_MANY_CHANNELS',
  /** A PREF that would keep more settings than one user may (LIMITS.maxPrefs): clear one first. */
  TOO_MANY_PREFS: 'TOO_MANY_PREFS',
  NOT_MEMBER: 'NOT_MEMBER',
  NO_SUCH_CHANNEL: 'NO_SUCH_CHANNEL',
  NO_SUCH_USER: 'NO_SUCH_USER',
  /** REPLY/EDIT/DELETE/REACT/THREAD of an id that is not a live message of that conversation (an edit's id, past the end, 0, deleted). */
  NO_SUCH_MESSAGE: 'NO_SUCH_MESSAGE',
  /** EDIT or DELETE of someone else's message. */
  NOT_AUTHOR: 'NOT_AUTHOR',
  /** A reaction that is neither one emoji nor a `:shortcode:` of the app's set. */
  BAD_REACTION: 'BAD_REACTION',
  /** A 51st distinct reaction on one message. */
  TOO_MANY_REACTIONS: 'TOO_MANY_REACTIONS',
  /**
   * A direct message (or REPLY, EDIT, DELETE, REACT, TYPING in a direct conversation) that the
   * server will not deliver to a user it knows: the same words whatever the reason, so a block
   * is not revealed (spec: BLOCK).
   */
  UNDELIVERABLE: 'UNDELIVERABLE',
  /** A command aimed at yourself that cannot be (BLOCK of your own handle). */
  SELF_TARGET: 'SELF_TARGET',
  /** A BLOCK past the number of users one user may block (LIMITS.maxBlocks): unblock one first. */
  TOO_MANY_BLOCKS: 'TOO_MANY_BLOCKS',
  /** A moderation command (OP, KICK, BAN, DELETE of another's message, MODLOG…) from someone without the role for it, or against someone who outranks them. */
  NOT_OP: 'NOT_OP',
  /** SUSPEND, UNSUSPEND or OWNER from someone who is not a server admin (`--admins`). */
  NOT_ADMIN: 'NOT_ADMIN',
  /** JOIN of a channel one is banned from, or INVITE of a banned user (UNBAN first). */
  BANNED: 'BANNED',
  /** REG or RESUME of a suspended user (until UNSUSPEND). */
  SUSPENDED: 'SUSPENDED',
  STORE_FAILED: 'STORE_FAILED',
  SERVER_BUSY: 'SERVER_BUSY',
  // Admission: sent instead of HELLO, then the server closes the connection.
  TOO_MANY_CONNECTIONS: 'TOO_MANY_CONNECTIONS',
  SERVER_FULL: 'SERVER_FULL',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** A protocol error: becomes `ERR <code> <message>` on the wire. Never carries a secret. */
export class ProtocolError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string) {
    super(message);
    this.name = 'ProtocolError';
    this.code = code;
  }
}

export function isProtocolError(x: unknown): x is ProtocolError {
  return x instanceof ProtocolError;
}
