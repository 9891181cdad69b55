import { SvelteMap } from 'svelte/reactivity';
import { ServerError, type ChannelInfo, type Delivery, type UserInfo } from '../../../core/client.ts';
import { isChannel, nameKey, nameProblem, DEFAULT_CHANNEL } from '../../../core/names.ts';
import { LIMITS } from '../../../core/limits.ts';
import { utf8Length } from '../../../core/bytes.ts';
import { backoffDelay, type Connection } from './connection.svelte.ts';

/** The longest wait between sign-in retries while resuming. */
const REG_RETRY_MAX_MS = 2_000;
import { Conversation, toItem } from './conversation.svelte.ts';
import { catchUp, loadLatest, loadOlder } from './history.ts';
import * as storage from './storage.ts';

export type Phase = 'signed-out' | 'signing-in' | 'signed-in';
export type Person = { name: string; online: boolean };

const byName = (a: { name: string }, b: { name: string }) => nameKey(a.name).localeCompare(nameKey(b.name));
const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** Codes that mean "your old connection still holds the handle": wait and try again. */
const TRANSIENT_REG = new Set(['HANDLE_TAKEN', 'RATE_LIMITED']);

/**
 * Everything the signed-in person sees: conversations with their messages and unread counts,
 * the people directory with presence, the channel directory. It reacts to the server's
 * events and runs the commands the components ask for. Components never touch the socket.
 */
export class Chat {
  phase = $state<Phase>('signed-out');
  me = $state('');
  signInError = $state('');
  /** Registered on the current socket and caught up: commands may be sent. */
  ready = $state(false);
  /** While signed in but not ready: what is happening, for people. */
  syncNote = $state('');
  activeKey = $state<string | null>(null);
  view = $state<'conversation' | 'browse'>('conversation');
  directory = $state.raw<ChannelInfo[]>([]);
  readonly conversations = new SvelteMap<string, Conversation>();
  readonly people = new SvelteMap<string, Person>();

  channels = $derived([...this.conversations.values()].filter((c) => c.kind === 'channel').sort(byName));
  dms = $derived([...this.conversations.values()].filter((c) => c.kind === 'dm').sort(byName));
  active = $derived(this.activeKey === null ? undefined : this.conversations.get(this.activeKey));
  /**
   * Presence is only known while registered and caught up: while the link is down nobody
   * shows as online (components may grey presence out when this is false).
   */
  presenceKnown = $derived(this.ready);
  peopleList = $derived(
    [...this.people.values()]
      .map((p) => ({ ...p, online: this.ready && (this.isMe(p.name) || p.online) }))
      .sort((a, b) => Number(b.online) - Number(a.online) || byName(a, b)),
  );
  totalUnread = $derived([...this.conversations.values()].reduce((n, c) => n + c.unread, 0));

  readonly connection: Connection;
  private password: string | undefined;
  /** Signed in again by the page itself (reload): a held handle means "wait", not "taken". */
  private resuming = false;
  /** Between REG and the end of catching up: JOINED for us means a restored membership. */
  private registering = false;
  /** Channels the server put us back in after this REG. */
  readonly restored = new Set<string>();
  private regAttempt = 0;
  private regTimer: ReturnType<typeof setTimeout> | undefined;
  private savedActive: string | undefined;
  /** The current socket carries our REG: signing out must QUIT it. */
  private registeredOnSocket = false;
  /**
   * Per conversation, the id of the newest message held when the link last dropped: after
   * the reconnect, what was missed is fetched `after` it. Cleared once caught up.
   */
  readonly marks = new Map<string, number>();
  /** Per conversation, the id of the first message delivered live on this connection. */
  readonly firstLive = new Map<string, number>();
  /** The people directory has been read (USRS) since this REG: deliveries are live. */
  private peopleSynced = false;
  private directoryTimer: ReturnType<typeof setTimeout> | undefined;
  /** A channel appeared while not ready: read the channel list once ready. */
  private directoryStale = false;

  constructor(connection: Connection) {
    this.connection = connection;
    const c = connection.client;
    c.on('message', (d) => this.onMessage(d));
    c.on('joined', (e) => this.onJoined(e.channel, e.user));
    c.on('left', (e) => this.onLeft(e.channel, e.user));
    c.on('online', (e) => this.setPresence(e.user, true));
    c.on('offline', (e) => this.setPresence(e.user, false));
    // The server closes a connection that has not signed in for a while (BYE TIMEOUT). On the
    // sign-in page that is no trouble: stay closed until the person signs in (beginSignIn
    // opens the link again), rather than reconnect every minute.
    c.on('bye', (bye) => {
      if (bye.reason === 'TIMEOUT' && this.phase === 'signed-out') this.connection.stop();
    });
    connection.onOpen(() => {
      if (this.phase !== 'signed-out') void this.register();
    });
    connection.onClose(() => {
      clearTimeout(this.regTimer);
      clearTimeout(this.directoryTimer);
      // What we hold now is what we have seen: after the reconnect, fetch what is newer. A
      // mark left from an earlier drop that was never caught up stays (it is older).
      for (const conv of this.conversations.values()) {
        if (conv.loaded && !this.marks.has(conv.key)) this.marks.set(conv.key, conv.lastId);
      }
      this.firstLive.clear();
      this.peopleSynced = false;
      this.ready = false;
      this.registering = false;
      this.registeredOnSocket = false;
      if (this.phase === 'signed-in') this.syncNote = 'Reconnecting…';
    });
  }

  /** Presence as this page shows it: we are online exactly when our link is up. */
  isOnline(name: string): boolean {
    if (!this.ready) return false;
    if (this.isMe(name)) return true;
    return this.people.get(nameKey(name))?.online ?? false;
  }

  isMe(name: string): boolean {
    return this.me !== '' && nameKey(name) === nameKey(this.me);
  }

  // ------------------------------------------------------------------ signing in and out

  signIn(handle: string, password: string): void {
    const problem = nameProblem(handle, 'handle');
    if (problem) {
      this.signInError = problem.message;
      return;
    }
    if (/\s/.test(password)) {
      this.signInError = 'A password cannot contain spaces';
      return;
    }
    this.me = handle;
    this.password = password === '' ? undefined : password;
    this.resuming = false;
    this.beginSignIn();
  }

  /** After a reload: sign in again as the handle this tab used. */
  resume(saved: storage.SavedSession): void {
    this.me = saved.handle;
    this.savedActive = saved.active;
    this.resuming = true;
    this.beginSignIn();
  }

  private beginSignIn(): void {
    this.signInError = '';
    this.phase = 'signing-in';
    this.regAttempt = 0;
    if (this.connection.isOpen) void this.register();
    else this.connection.start();
  }

  /** Stop trying to sign in (the button on the sign-in screen while it waits). */
  cancelSignIn(): void {
    clearTimeout(this.regTimer);
    this.phase = 'signed-out';
    this.resuming = false;
  }

  async signOut(reason = ''): Promise<void> {
    const registered = this.registeredOnSocket;
    clearTimeout(this.regTimer);
    storage.saveSession(null);
    this.phase = 'signed-out';
    this.ready = false;
    this.signInError = reason;
    this.password = undefined;
    this.resuming = false;
    this.conversations.clear();
    this.marks.clear();
    this.firstLive.clear();
    clearTimeout(this.directoryTimer);
    this.directoryStale = false;
    this.people.clear();
    this.directory = [];
    this.activeKey = null;
    this.savedActive = undefined;
    this.view = 'conversation';
    // The server ends the connection after QUIT; the Connection opens a fresh one for the
    // next sign-in.
    if (registered) await this.connection.client.quit().catch(() => {});
  }

  private async register(): Promise<void> {
    clearTimeout(this.regTimer);
    const client = this.connection.client;
    const firstTime = this.phase === 'signing-in' && !this.resuming;
    this.restored.clear();
    this.firstLive.clear();
    this.peopleSynced = false;
    this.registering = true;
    this.syncNote = 'Signing in…';
    try {
      await client.reg(this.me, this.password);
    } catch (e) {
      this.registering = false;
      if (!(e instanceof ServerError) || e.code === 'DISCONNECTED') return; // onOpen runs again
      if (TRANSIENT_REG.has(e.code) && (this.resuming || this.phase === 'signed-in')) {
        // Our own session resuming: the handle is still held by our old connection (its node
        // died; the hold lasts until that node's heartbeat expires, 10 s). Ask every couple of
        // seconds so we are back soon after it is free, not a long backoff later.
        this.syncNote = e.code === 'HANDLE_TAKEN' ? 'Resuming your session…' : `${e.message}. Trying again…`;
        this.regTimer = setTimeout(() => void this.register(), Math.min(backoffDelay(this.regAttempt++), REG_RETRY_MAX_MS));
        return;
      }
      if (this.phase === 'signed-in' || this.resuming) {
        await this.signOut(e.message);
        return;
      }
      this.phase = 'signed-out';
      this.signInError = e.message;
      return;
    }
    this.registeredOnSocket = true;
    if (this.phase === 'signed-out') {
      // Cancelled while the server was answering: undo the registration.
      await this.signOut();
      return;
    }
    this.phase = 'signed-in';
    this.regAttempt = 0;
    this.connection.markHealthy();
    storage.saveLastHandle(this.me);
    storage.saveSession({ handle: this.me, claimed: this.password !== undefined, active: this.savedActive });
    if (firstTime || this.resuming) {
      for (const name of storage.loadDmPartners(this.me)) this.ensureDm(name);
    }
    this.resuming = false;
    try {
      await catchUp(this);
    } catch (e) {
      if (e instanceof ServerError && e.code === 'DISCONNECTED') return;
      console.error('catching up failed', e);
    } finally {
      this.registering = false;
    }
    if (!this.connection.isOpen || this.phase !== 'signed-in') return;
    this.ready = true;
    this.syncNote = '';
    if (this.directoryStale) {
      this.directoryStale = false;
      void this.refreshDirectory();
    }
    if (!this.active) this.openDefault();
    else if (!this.active.loaded) void loadLatest(this, this.active);
  }

  // ------------------------------------------------------------------ server events

  private onMessage(d: Delivery): void {
    const channel = isChannel(d.target);
    const mine = this.isMe(d.from);
    const name = channel || mine ? d.target : d.from;
    if (!mine) this.noteSender(d.from);
    const convKey = nameKey(name);
    if (!this.firstLive.has(convKey)) this.firstLive.set(convKey, d.id);
    let conv = this.conversations.get(convKey);
    if (!conv) {
      if (channel) return; // not a member: nothing to show it in
      conv = this.ensureDm(name);
    }
    const fresh = conv.addMessages([toItem(d, mine)]);
    if (!mine && fresh.length > 0 && !this.isViewing(conv)) conv.unread += fresh.length;
  }

  /**
   * Someone's message reached us. Once the people directory has been read on this
   * connection, deliveries are live, so the sender is online; before that they may be
   * direct messages kept while we were away, so an unknown sender is only listed.
   */
  private noteSender(user: string): void {
    if (this.peopleSynced) this.setPresence(user, true);
    else if (!this.people.has(nameKey(user))) this.people.set(nameKey(user), { name: user, online: false });
  }

  private onJoined(channel: string, user: string): void {
    const key = nameKey(channel);
    // A channel the list lacks: read the list again (unless this REG's catching up has yet
    // to read it).
    const listPending = this.registering && !this.peopleSynced;
    if (!listPending && !this.directory.some((c) => nameKey(c.channel) === key)) this.scheduleDirectoryRefresh();
    this.bumpDirectory(key, +1);
    if (this.isMe(user)) {
      let conv = this.conversations.get(key);
      if (!conv) this.conversations.set(key, (conv = new Conversation('channel', channel)));
      conv.members.set(nameKey(user), user);
      if (this.registering) {
        this.restored.add(key);
        return;
      }
      conv.addSystem(`You joined ${channel}`);
      void this.loadMembers(conv);
      return;
    }
    this.setPresence(user, true);
    const conv = this.conversations.get(key);
    if (!conv) return;
    conv.members.set(nameKey(user), user);
    conv.addSystem(`${user} joined ${channel}`);
  }

  private onLeft(channel: string, user: string): void {
    const key = nameKey(channel);
    this.bumpDirectory(key, -1);
    const conv = this.conversations.get(key);
    if (!conv) return;
    if (this.isMe(user)) {
      this.dropConversation(key);
      if (this.activeKey === key) this.openDefault();
      return;
    }
    conv.members.delete(nameKey(user));
    conv.addSystem(`${user} left ${channel}`);
  }

  setPresence(user: string, online: boolean): void {
    const key = nameKey(user);
    const known = this.people.get(key);
    this.people.set(key, { name: known?.name ?? user, online });
  }

  setPeople(users: readonly UserInfo[]): void {
    this.peopleSynced = true;
    this.people.clear();
    for (const u of users) {
      this.people.set(nameKey(u.user), { name: u.user, online: u.online });
      if (this.isMe(u.user)) this.me = u.user; // the case the server first saw
    }
  }

  /** Forget a conversation (we are no longer in the channel). */
  dropConversation(key: string): void {
    this.conversations.delete(key);
    this.marks.delete(key);
    this.firstLive.delete(key);
  }

  /** A channel the list does not show yet: read the list again, once for a burst of them. */
  private scheduleDirectoryRefresh(): void {
    if (!this.ready) {
      this.directoryStale = true;
      return;
    }
    clearTimeout(this.directoryTimer);
    this.directoryTimer = setTimeout(() => void this.refreshDirectory(), 300);
  }

  private bumpDirectory(key: string, by: number): void {
    this.directory = this.directory.map((c) =>
      nameKey(c.channel) === key ? { ...c, members: Math.max(0, c.members + by) } : c,
    );
  }

  private isViewing(conv: Conversation): boolean {
    const visible = typeof document === 'undefined' || document.visibilityState === 'visible';
    return visible && this.view === 'conversation' && this.activeKey === conv.key;
  }

  /** The page became visible again: what is on screen has been read. */
  markActiveRead(): void {
    if (this.active && this.view === 'conversation') this.active.unread = 0;
  }

  // ------------------------------------------------------------------ actions

  open(key: string): void {
    const conv = this.conversations.get(key);
    if (!conv) return;
    this.view = 'conversation';
    this.activeKey = key;
    conv.unread = 0;
    this.savedActive = conv.name;
    storage.saveSession({ handle: this.me, claimed: this.password !== undefined, active: conv.name });
    if (!conv.loaded && this.ready) void loadLatest(this, conv);
  }

  openDefault(): void {
    const saved = this.savedActive ? this.conversations.get(nameKey(this.savedActive)) : undefined;
    const next = saved ?? this.conversations.get(DEFAULT_CHANNEL) ?? this.channels[0] ?? this.dms[0];
    if (next) this.open(next.key);
    else this.activeKey = null;
  }

  openDm(user: string): void {
    this.open(this.ensureDm(user).key);
  }

  browse(): void {
    this.view = 'browse';
    void this.refreshDirectory();
  }

  async refreshDirectory(): Promise<void> {
    if (!this.ready) return;
    try {
      this.directory = await this.connection.client.chns();
    } catch {
      // Shown again on the next refresh; the list on screen stays as it was.
    }
  }

  /** Join (creating if needed) and open a channel. Returns a problem sentence, or ''. */
  async joinChannel(input: string): Promise<string> {
    const name = input.trim().startsWith('#') ? input.trim() : `#${input.trim()}`;
    const problem = nameProblem(name, 'channel');
    if (problem) return problem.message;
    if (!this.ready) return 'Not connected to the server';
    try {
      await this.connection.client.join(name);
    } catch (e) {
      return errorText(e);
    }
    // A channel this JOIN created reached us as a JOINED the channel list lacked, which
    // refreshes the list.
    this.open(nameKey(name));
    return '';
  }

  async leaveChannel(conv: Conversation): Promise<string> {
    try {
      await this.connection.client.leave(conv.name);
      return '';
    } catch (e) {
      return errorText(e);
    }
  }

  /** Send a message. Returns a problem sentence, or '' once the server has stored it. */
  async send(conv: Conversation, text: string): Promise<string> {
    const size = utf8Length(text);
    if (size > LIMITS.maxBody) {
      return `Message is ${size.toLocaleString('en')} bytes; the limit is ${LIMITS.maxBody.toLocaleString('en')}`;
    }
    if (!this.ready) return 'Not connected to the server';
    try {
      const sent = await this.connection.client.msg(conv.name, text);
      if ('muted' in sent) {
        conv.addSystem(`You are muted: message held back (${sent.muted} so far)`);
        return '';
      }
      conv.addMessages([{ kind: 'msg', id: sent.id, ts: sent.ts, from: this.me, body: text, mine: true }]);
      return '';
    } catch (e) {
      return errorText(e);
    }
  }

  loadOlder(conv: Conversation): Promise<void> {
    return loadOlder(this, conv);
  }

  async loadMembers(conv: Conversation): Promise<void> {
    const members = await this.connection.client.usrs(conv.name);
    conv.members.clear();
    for (const m of members) {
      conv.members.set(nameKey(m.user), m.user);
      this.setPresence(m.user, m.online);
    }
  }

  ensureDm(name: string): Conversation {
    const key = nameKey(name);
    let conv = this.conversations.get(key);
    if (!conv) {
      this.conversations.set(key, (conv = new Conversation('dm', name)));
      storage.saveDmPartners(this.me, [...this.conversations.values()].filter((c) => c.kind === 'dm').map((c) => c.name));
    }
    return conv;
  }
}
