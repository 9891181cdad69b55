import { Parser, type ParseResult } from './parser.ts';
import { ServerFrameDecoder } from './decode-server.ts';
import { encodeCommand, encodeEdit, encodeMsg, encodeReply } from './encode.ts';
import { ErrorCode, ProtocolError } from './errors.ts';
import type { Command, ServerFrame, ServerFrameOf } from './frames.ts';
import { LIMITS, SERVER_FRAME_LIMITS } from './limits.ts';
import { textEncoder } from './bytes.ts';
import { LIVE_EVENT, isLogFrame, logPage, logged, loggedOrNot, takeLive, type Logged, type LogFrame, type LogPage } from './client-log.ts';

import { searchCommand, searchPage } from './client-search.ts';
import { ServerError, type ChannelInfo, type ChannelPage, type ClientEvents, type Delivery, type HistoryOptions, type SearchPage, type Sent, type TopicInfo, type UnreadInfo, type UserInfo } from './client-types.ts';

export type { Logged, LogFrame, LogPage, StateFrame } from './client-log.ts';
export * from './client-types.ts';

type Pending = {
  type: Command['type'];
  resolve: (frames: ServerFrame[]) => void;
  reject: (e: Error) => void;
  /** Data lines (CHN, USR, INFO, logged frames and state lines, …) gathered until the reply's last frame. */
  items: ServerFrame[];
};

/**
 * A small typed SLCK client over any byte transport. Give it a `send` function, feed it
 * what the transport receives, and call its methods: each returns a promise of its reply.
 * Replies come back in the order commands were sent, so one FIFO of pending commands is
 * enough to match them.
 */
export class SlckClient {
  private readonly parser: Parser<ServerFrame>;
  private readonly pending: Pending[] = [];
  private readonly listeners = new Map<keyof ClientEvents, Set<(e: never) => void>>();
  private readonly send: (bytes: Uint8Array) => void;

  constructor(send: (bytes: Uint8Array) => void) {
    this.send = send;
    this.parser = new Parser(new ServerFrameDecoder(), SERVER_FRAME_LIMITS, (r) => this.onFrame(r));
  }

  /** Feed bytes received from the server. */
  receive(chunk: Uint8Array): void {
    this.parser.push(chunk);
  }

  /** The transport closed: fail what is pending and forget any half-read frame. */
  reset(reason = 'Connection closed'): void {
    this.parser.reset();
    const failed = this.pending.splice(0);
    for (const p of failed) p.reject(new ServerError('DISCONNECTED', reason));
  }

  /** Commands sent and not yet answered. */
  get inFlight(): number {
    return this.pending.length;
  }

  on<K extends keyof ClientEvents>(event: K, fn: (e: ClientEvents[K]) => void): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(fn as (e: never) => void);
    return () => set.delete(fn as (e: never) => void);
  }

  async reg(handle: string, password?: string): Promise<void> {
    await this.request(password ? { type: 'REG', handle, password } : { type: 'REG', handle });
  }
  /** Sign in with a session token from `token()` instead of the password (spec: RESUME). */
  async resume(handle: string, token: string): Promise<void> {
    await this.request({ type: 'RESUME', handle, token });
  }
  /** A session token for this claimed user, and when it expires (spec: TOKEN). */
  async token(): Promise<{ token: string; expires: string }> {
    const [ok] = await this.request({ type: 'TOKEN' });
    const [token, expires] = (ok as ServerFrameOf<'OK'>).args;
    return { token, expires };
  }
  /** End this connection's session (its token stops working), or with `all` every one of the user's. */
  async signOut(all = false): Promise<void> {
    await this.request({ type: 'SIGNOUT', all });
  }

  /** Claim a guest handle (`current` left out), or change the password. */
  async password(next: string, current?: string): Promise<void> {
    await this.request(current === undefined ? { type: 'PASSWORD', next } : { type: 'PASSWORD', current, next });
  }

  /** A channel's topic. */
  async topic(channel: string): Promise<TopicInfo> {
    const frames = await this.request({ type: 'TOPIC', channel });
    const t = frames.find((f): f is ServerFrameOf<'TOPIC'> => f.type === 'TOPIC');
    return { channel: t?.channel ?? channel, by: t?.by ?? '-', text: t?.text ?? '' };
  }

  /** Set a channel's topic ('' clears it). */
  async setTopic(channel: string, text: string): Promise<void> {
    await this.request({ type: 'TOPIC', channel, text: text === '' ? '-' : text });
  }

  async join(channel: string): Promise<void> {
    await this.request({ type: 'JOIN', channel });
  }
  /** A new channel with this user in it (spec: CREATE); `private`: for its members only. */
  async create(channel: string, isPrivate = false): Promise<void> {
    await this.request({ type: 'CREATE', channel, private: isPrivate });
  }
  /** Add `handle` to a channel this user is in (spec: INVITE). */
  async invite(channel: string, handle: string): Promise<void> {
    await this.request({ type: 'INVITE', channel, handle });
  }
  async leave(channel: string): Promise<void> {
    await this.request({ type: 'LEAVE', channel });
  }
  async mute(): Promise<void> {
    await this.request({ type: 'MUTE' });
  }
  async unmute(): Promise<void> {
    await this.request({ type: 'UNMUTE' });
  }
  async ping(token?: string): Promise<void> {
    await this.request(token ? { type: 'PING', token } : { type: 'PING' });
  }
  async quit(): Promise<void> {
    await this.request({ type: 'QUIT' });
  }

  /** Send a message; the body is UTF-8 encoded and its length counted in bytes. */
  async msg(target: string, body: string | Uint8Array): Promise<Sent> {
    const bytes = typeof body === 'string' ? textEncoder.encode(body) : body;
    const [ok] = await this.request({ type: 'MSG', target, body: bytes }, encodeMsg(target, bytes));
    const args = (ok as ServerFrameOf<'OK'>).args;
    if (args[0] === 'MUTED') return { muted: Number(args[1]) };
    return { id: Number(args[0]), ts: args[1] };
  }

  /** Reply in the thread of message `root` (`also`: shown in the main flow too). */
  async reply(target: string, root: number, body: string | Uint8Array, also = false): Promise<Sent> {
    const bytes = typeof body === 'string' ? textEncoder.encode(body) : body;
    const cmd: Command = also ? { type: 'REPLY', target, root, body: bytes, also: true } : { type: 'REPLY', target, root, body: bytes };
    const [ok] = await this.request(cmd, encodeReply(target, root, bytes, also));
    const args = (ok as ServerFrameOf<'OK'>).args;
    if (args[0] === 'MUTED') return { muted: Number(args[1]) };
    return { id: Number(args[0]), ts: args[1] };
  }

  /** New text for one's own message `id`; resolves with the edit's own id in the log. */
  async edit(target: string, id: number, body: string | Uint8Array): Promise<Logged> {
    const bytes = typeof body === 'string' ? textEncoder.encode(body) : body;
    return logged(await this.request({ type: 'EDIT', target, id, body: bytes }, encodeEdit(target, id, bytes)));
  }

  /** Delete one's own message `id` (or, as a channel's op, another's, with `reason`); resolves with the delete's id in the log. */
  async delete(target: string, id: number, reason?: string): Promise<Logged> {
    return logged(await this.request(reason ? { type: 'DELETE', target, id, reason } : { type: 'DELETE', target, id }));
  }

  /** Moderation (spec: OP, KICK, BAN, SUSPEND): resolves once done; refusals reject with the ERR's code. */
  async moderate(cmd: Extract<Command, { type: 'OP' | 'DEOP' | 'OWNER' | 'KICK' | 'BAN' | 'UNBAN' | 'SUSPEND' | 'UNSUSPEND' }>): Promise<void> {
    await this.request(cmd);
  }

  /** A channel's owner (first) and ops, in the order they became one (spec: OP). */
  async roles(channel: string): Promise<Array<ServerFrameOf<'ROLE'>>> {
    const frames = await this.request({ type: 'ROLES', channel });
    return frames.flatMap((f) => (f.type === 'ROLE' ? [f] : []));
  }

  /** This user's own roles (a bare ROLES): `admin` (channel `-`) first for a server admin, then each channel's owner or op. */
  async myRoles(): Promise<Array<ServerFrameOf<'ROLE'>>> {
    const frames = await this.request({ type: 'ROLES' });
    return frames.flatMap((f) => (f.type === 'ROLE' ? [f] : []));
  }

  /** Who is banned from `channel`, newest first (spec: BAN); for those who may UNBAN. */
  async bans(channel: string): Promise<Array<ServerFrameOf<'BAN'>>> {
    const frames = await this.request({ type: 'BANS', channel });
    return frames.flatMap((f) => (f.type === 'BAN' ? [f] : []));
  }

  /** The moderation log this user may read, newest first (spec: MODLOG). */
  async modlog(limit?: number): Promise<Array<ServerFrameOf<'MOD'>>> {
    const frames = await this.request(limit === undefined ? { type: 'MODLOG' } : { type: 'MODLOG', limit });
    return frames.flatMap((f) => (f.type === 'MOD' ? [f] : []));
  }

  /** React to message `id` (an emoji, or a `:shortcode:`); null when this user had that reaction already. */
  async react(target: string, id: number, reaction: string): Promise<Logged | null> {
    return loggedOrNot(await this.request({ type: 'REACT', target, id, reaction }));
  }

  /** Take back a reaction; null when this user did not have it. */
  async unreact(target: string, id: number, reaction: string): Promise<Logged | null> {
    return loggedOrNot(await this.request({ type: 'UNREACT', target, id, reaction }));
  }

  /** Tell the conversation this user is typing (the server passes on one per 3 s). */
  async typing(target: string): Promise<void> {
    await this.request({ type: 'TYPING', target });
  }

  /** Whether this connection is sent others' TYPING (`typing` events). */
  async typingEvents(on: boolean): Promise<void> {
    await this.request({ type: 'TYPING', watch: on });
  }

  /**
   * A thread: its root's frame, then its latest `limit` replies oldest first, each with its
   * state lines (`root` may be any reply of the thread).
   */
  async thread(target: string, root: number, limit?: number): Promise<LogPage> {
    return logPage(await this.request(limit === undefined ? { type: 'THREAD', target, root } : { type: 'THREAD', target, root, limit }));
  }

  /** The threads this user follows, unread first, then the most recent. */
  async threads(): Promise<ServerFrameOf<'FOLLOWING'>[]> {
    const frames = await this.request({ type: 'THREADS' });
    return frames.filter((f): f is ServerFrameOf<'FOLLOWING'> => f.type === 'FOLLOWING');
  }

  /** Mark the thread of `root` read up to reply `id`. */
  async readThread(target: string, root: number, id: number): Promise<void> {
    await this.request({ type: 'READ', target, id, thread: root });
  }

  /**
   * One page of the channel list, sorted by name: `limit` channels (the server's default
   * when not given) after `after`. `more` is where the next page starts, when there is one.
   */
  async chnsPage(opts: { limit?: number; after?: string } = {}): Promise<ChannelPage> {
    // Always paged (a limit given), so the server says whether more follow.
    const frames = await this.request({ type: 'CHNS', limit: opts.limit ?? LIMITS.defaultChannelsPage, ...(opts.after ? { after: opts.after } : {}) });
    const end = frames[frames.length - 1];
    const channels = frames.flatMap((f) => (f.type === 'CHN' ? [f.private ? { channel: f.channel, members: f.members, private: true as const } : { channel: f.channel, members: f.members }] : []));
    return end?.type === 'END' && end.more !== undefined ? { channels, more: end.more } : { channels };
  }

  /** Every channel, sorted by name: the pages of `chnsPage`, one after another. */
  async chns(): Promise<ChannelInfo[]> {
    const all: ChannelInfo[] = [];
    let after: string | undefined;
    for (;;) {
      const page = await this.chnsPage({ limit: LIMITS.maxChannelsPage, after });
      all.push(...page.channels);
      // A cursor that does not move on would page forever.
      if (page.more === undefined || page.more === after || page.channels.length === 0) return all;
      after = page.more;
    }
  }

  async usrs(channel?: string): Promise<UserInfo[]> {
    const frames = await this.request(channel ? { type: 'USRS', channel } : { type: 'USRS' });
    return frames.flatMap((f) => (f.type === 'USR' ? [f.guest ? { user: f.user, online: f.online, guest: true } : { user: f.user, online: f.online }] : []));
  }

  /**
   * Stored messages of a conversation, oldest first: the latest, or `before`/`after` an id, or
   * `around` one (up to half the limit before it, the message itself, the rest after it).
   */
  async history(target: string, opts: HistoryOptions = {}): Promise<Delivery[]> {
    const frames = await this.request({ type: 'HISTORY', target, ...opts });
    return frames.filter((f): f is Delivery => f.type === 'MSG');
  }

  /**
   * A HISTORY reply whole: `latest`, `before` or `around` give a page of the main flow (MSG,
   * and REPLY sent ALSO) with each message's state lines; `after` a replay of the log (every
   * logged frame after the id, no state lines).
   */
  async historyPage(target: string, opts: HistoryOptions = {}): Promise<LogPage> {
    return logPage(await this.request({ type: 'HISTORY', target, ...opts }));
  }

  /**
   * Messages this user may read that match `text`, newest first, a page at a time; `before`:
   * the next page, the `more` of the one before (spec: SEARCH). Refuses a bad query itself.
   */
  async search(text: string, before?: string): Promise<SearchPage> {
    return searchPage(await this.request(searchCommand(text, before)));
  }

  /** Mark `target` read up to message `id`. */
  async read(target: string, id: number): Promise<void> {
    await this.request({ type: 'READ', target, id });
  }

  /** The user's conversations, most recent first, with what is unread in each. */
  async unread(): Promise<UnreadInfo[]> {
    const frames = await this.request({ type: 'UNREAD' });
    return frames.flatMap((f) => (f.type === 'UNREAD' ? [{ target: f.target, unread: f.unread, mentions: f.mentions, readId: f.readId, lastId: f.lastId }] : []));
  }

  /**
   * The user's settings kept on the server (a claimed handle's only: a guest is refused with
   * NOT_CLAIMED, and keeps its settings itself). Keys as set, in a Map: a key may be any name.
   */
  async prefs(): Promise<Map<string, string>> {
    const frames = await this.request({ type: 'PREFS' });
    return new Map(frames.flatMap((f) => (f.type === 'PREF' ? [[f.key, f.value] as [string, string]] : [])));
  }

  /** Keep a setting on the server; the user's other connections get a `pref` event. '' clears it. */
  async setPref(key: string, value: string): Promise<void> {
    await this.request(value === '' ? { type: 'PREF', key } : { type: 'PREF', key, value });
  }

  /** Clear a setting; the user's other connections get a `pref` event with an empty value. */
  async clearPref(key: string): Promise<void> {
    await this.request({ type: 'PREF', key });
  }

  /** The users this user blocks (spec: BLOCK); BLOCK and UNBLOCK on another connection come as `blocked`/`unblocked` events. */
  async blocks(): Promise<string[]> {
    const frames = await this.request({ type: 'BLOCKS' });
    return frames.flatMap((f) => (f.type === 'BLOCKED' ? [f.user] : []));
  }

  /** Refuse `handle`'s direct messages (`on`), or stop refusing them. */
  async block(handle: string, on: boolean): Promise<void> {
    await this.request({ type: on ? 'BLOCK' : 'UNBLOCK', handle });
  }

  async time(): Promise<string> {
    const [f] = await this.request({ type: 'TIME' });
    return (f as ServerFrameOf<'TIME'>).time;
  }

  async help(): Promise<string[]> {
    const frames = await this.request({ type: 'HELP' });
    return frames.flatMap((f) => (f.type === 'INFO' ? [f.text] : []));
  }

  /** Send a command; resolves with its data lines followed by its final frame. */
  request(cmd: Command, bytes: Uint8Array = encodeCommand(cmd)): Promise<ServerFrame[]> {
    return new Promise((resolve, reject) => {
      const entry: Pending = { type: cmd.type, resolve, reject, items: [] };
      this.pending.push(entry);
      try {
        this.send(bytes);
      } catch (e) {
        // Nothing went out, so no reply will come: without this the FIFO would pair the
        // next command's reply with this one.
        this.pending.splice(this.pending.indexOf(entry), 1);
        reject(e instanceof Error ? e : new Error(String(e)));
      }
    });
  }

  private emit<K extends keyof ClientEvents>(event: K, value: ClientEvents[K]): void {
    const set = this.listeners.get(event) as Set<(e: ClientEvents[K]) => void> | undefined;
    if (set) for (const fn of set) fn(value);
  }

  private onFrame(r: ParseResult<ServerFrame>): void {
    if (r instanceof ProtocolError) {
      this.emit('error', r);
      return;
    }
    const head = this.pending[0];
    switch (r.type) {
      case 'OK':
      case 'TIME':
      case 'PONG':
        if (!head) return;
        // Setting a topic: the TOPIC line before its OK is the news everyone gets.
        if (head.type === 'TOPIC') for (const t of head.items.splice(0)) this.emit('topic', t as ServerFrameOf<'TOPIC'>);
        this.finish(r);
        return;
      case 'ERR':
        if (!head) return this.emit('error', new ProtocolError(ErrorCode.BAD_SYNTAX, `${r.code} ${r.text}`));
        this.pending.shift();
        // A refused HISTORY or THREAD sent nothing: whatever it held arrived live.
        if (holdsLog(head)) this.emitLive(head.items.filter(isLogFrame));
        // A refused PREFS sent no settings: a PREF that came meanwhile was another device's.
        if (head.type === 'PREFS') for (const p of head.items) this.emit('pref', p as ServerFrameOf<'PREF'>);
        if (head.type === 'BLOCKS') for (const b of head.items) this.emit('blocked', b as ServerFrameOf<'BLOCKED'>);
        head.reject(new ServerError(r.code, r.text));
        return;
      case 'CHN':
      case 'USR':
      case 'UNREAD':
      case 'INFO':
      case 'FOLLOWING':
        head?.items.push(r);
        return;
      case 'FOUND':
        // Only ever a SEARCH reply's data line: never a live message.
        if (head?.type === 'SEARCH') head.items.push(r);
        return;
      case 'MSG':
      case 'REPLY':
      case 'EDIT':
      case 'DELETE':
      case 'REACT':
      case 'UNREACT':
        // While HISTORY or THREAD is waiting, logged frames are held: its END says how many
        // of the last ones are its reply. The rest arrived live just before the reply began.
        if (head !== undefined && holdsLog(head)) head.items.push(r);
        else this.emitLive([r]);
        return;
      case 'EDITED':
      case 'DELETED':
      case 'REACTION':
      case 'REPLIES':
        // State lines come only inside a HISTORY or THREAD reply.
        if (head !== undefined && holdsLog(head)) head.items.push(r);
        return;
      case 'TYPING':
        return this.emit('typing', r);
      case 'END':
        if (!head) return;
        if (holdsLog(head)) this.emitLive(takeLive(head.items, r.count));
        // Asking a topic: a TOPIC line before the last `count` was someone setting it meanwhile.
        if (head.type === 'TOPIC') {
          const live = head.items.splice(0, Math.max(0, head.items.length - r.count));
          for (const t of live) this.emit('topic', t as ServerFrameOf<'TOPIC'>);
        }
        // Asking the settings: a PREF line before the last `count` came from another device.
        if (head.type === 'PREFS') {
          const live = head.items.splice(0, Math.max(0, head.items.length - r.count));
          for (const p of live) this.emit('pref', p as ServerFrameOf<'PREF'>);
        }
        // As PREFS: a ROLE line before the last `count` was a change told meanwhile.
        if (head.type === 'ROLES') {
          const live = head.items.splice(0, Math.max(0, head.items.length - r.count));
          for (const x of live) this.emit('role', x as ServerFrameOf<'ROLE'>);
        }
        // As PREFS: a BLOCKED line before the last `count` was another device's BLOCK.
        if (head.type === 'BLOCKS') {
          const live = head.items.splice(0, Math.max(0, head.items.length - r.count));
          for (const b of live) this.emit('blocked', b as ServerFrameOf<'BLOCKED'>);
        }
        this.finish(r);
        return;
      case 'BYE': {
        const quit = head?.type === 'QUIT' ? this.pending.shift() : undefined;
        // A reply is written whole, so a HISTORY still waiting at BYE got none of its own:
        // what it held arrived live, and the user should see it.
        for (const p of this.pending) {
          if (holdsLog(p)) this.emitLive(p.items.splice(0).filter(isLogFrame));
        }
        this.emit('bye', r);
        quit?.resolve([r]);
        this.reset(`Server closed the connection: ${r.text}`);
        return;
      }
      case 'HELLO':
        return this.emit('hello', r);
      case 'JOINED':
        return this.emit('joined', r);
      case 'LEFT':
        return this.emit('left', r);
      case 'ONLINE':
        return this.emit('online', r);
      case 'OFFLINE':
        return this.emit('offline', r);
      case 'NOTICE':
        return this.emit('notice', r);
      case 'READ':
        return this.emit('read', r);
      case 'PREF':
        if (head?.type === 'PREFS') head.items.push(r);
        else this.emit('pref', r);
        return;
      case 'TOPIC':
        if (head?.type === 'TOPIC') head.items.push(r);
        else this.emit('topic', r);
        return;
      case 'BLOCKED':
        if (head?.type === 'BLOCKS') head.items.push(r);
        else this.emit('blocked', r);
        return;
      case 'UNBLOCKED':
        return this.emit('unblocked', r);
      case 'KICKED':
        return this.emit('kicked', r);
      case 'BANNED':
        return this.emit('banned', r);
      case 'ROLE':
        if (head?.type === 'ROLES') head.items.push(r);
        else this.emit('role', r);
        return;
      case 'MOD':
        if (head?.type === 'MODLOG') head.items.push(r);
        return;
      case 'BAN':
        if (head?.type === 'BANS') head.items.push(r);
        return;
    }
  }

  /** Logged frames that arrived live, each as its event. */
  private emitLive(frames: LogFrame[]): void {
    for (const f of frames) this.emit(LIVE_EVENT[f.type], f as never);
  }

  private finish(last: ServerFrame): void {
    const head = this.pending.shift()!;
    head.items.push(last);
    head.resolve(head.items);
  }
}

/** Whether a pending command's reply is made of logged frames (so live ones are held until its END). */
const holdsLog = (p: Pending): boolean => p.type === 'HISTORY' || p.type === 'THREAD';
