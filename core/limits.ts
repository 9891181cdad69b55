/** Protocol limits. Both ends enforce them before buffering anything. */
export const LIMITS = {
  /** Longest command line in bytes, line end excluded (the one-line MSG form counts its body here). */
  maxLine: 4096,
  /** Largest MSG body in bytes. */
  maxBody: 65536,
  /**
   * A refused MSG whose body is at most this long has its body read and dropped. A longer
   * length is taken for garbage: nothing is skipped, and the lines that follow are commands.
   */
  maxSkip: 1024 * 1024,
  /** Handle and channel names: characters after the sigil. */
  maxName: 32,
  /** Longest password in bytes. */
  maxPassword: 128,
  /** A channel topic, in bytes. */
  maxTopic: 250,
  /** A session token (TOKEN, RESUME): what the server hands out is 43 characters. */
  maxToken: 128,
  /** A moderation reason (KICK, BAN, SUSPEND, DELETE), in bytes. */
  maxReason: 250,
  /** Most entries one MODLOG returns; and when no number is given. */
  maxModlog: 200,
  defaultModlog: 50,
  /** Most bans one BANS lists (the newest). */
  maxBans: 200,
  /** A setting's key, in characters (`[A-Za-z0-9_.:#@-]`). */
  maxPrefKey: 64,
  /** A setting's value, in bytes of UTF-8. */
  maxPrefValue: 256,
  /** Settings one user may keep. */
  maxPrefs: 100,
  /** Users one user may block (BLOCK). */
  maxBlocks: 1000,
  /** Most messages one HISTORY command returns. */
  maxHistory: 500,
  /** Messages HISTORY returns when no limit is given. */
  defaultHistory: 50,
  /** Most replies one THREAD command returns (the root comes besides). */
  maxThread: 500,
  /** Replies THREAD returns when no limit is given. */
  defaultThread: 50,
  /** Distinct reactions one message may carry. */
  maxReactions: 50,
  /** Longest reaction word a command may carry, in bytes (an emoji ZWJ sequence is up to ~35). */
  maxReaction: 64,
  /** TYPING passed on at most once per this many ms, per conversation and connection. */
  typingEveryMs: 3000,
  /** How long a client shows "… is typing" after a TYPING, without the user's message. */
  typingShownMs: 6000,
  /** Most channels one CHNS page lists. */
  maxChannelsPage: 500,
  /** Channels a CHNS page lists when no limit is given. */
  defaultChannelsPage: 100,
  /** Longest SEARCH query, in characters (code points) once trimmed. */
  maxSearch: 256,
  /** Most messages one SEARCH reply finds (FOUND lines); `END SEARCH <n> MORE <ts>` pages on. */
  searchPage: 20,
} as const;

export type Limits = { maxLine: number; maxBody: number };

/** Limits for parsing frames a server sends: data lines can be longer than commands. */
export const SERVER_FRAME_LIMITS: Limits = { maxLine: 16384, maxBody: LIMITS.maxBody };
export const COMMAND_LIMITS: Limits = { maxLine: LIMITS.maxLine, maxBody: LIMITS.maxBody };

export const PROTOCOL_VERSION = '1';
