import { SvelteMap } from 'svelte/reactivity';
import { ServerError, type ChannelInfo, type Delivery } from '../../../core/client.ts';
import { isChannel, nameKey, nameProblem, DEFAULT_CHANNEL } from '../../../core/names.ts';
import { Conversation, toItem, type Jump, type MessageItem } from './conversation.svelte.ts';
import { catchUp, loadAround, loadLatest, loadNewer, loadOlder } from './history.ts';
import { byName, type People } from './people.svelte.ts';
import { followLiveChanges, type LoggedFrame } from './live-log.ts';
import { createRefusal } from './private-channels.ts';
import type { Session } from './session.svelte.ts';

const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** What the read state and the notifications hear about. */
type Listeners = {
  /** Messages new to this page in `conv`: live deliveries (`live`) or fetched after a drop. */
  messages: (conv: Conversation, fresh: MessageItem[], live: boolean) => void;
  /** The person opened `conv`; `again` when it was open already (a click on it, say). */
  opened: (conv: Conversation, again: boolean) => void;
  /** `key` is gone: we left the channel. */
  dropped: (key: string) => void;
  /**
   * `conv`'s latest page has been fetched. It may have brought nothing new (the messages
   * held already were the newest), so this, not `messages`, says it may now be marked read.
   */
  loaded: (conv: Conversation) => void;
  /** A logged frame (a message, a reply, an edit…) was applied to `conv`, live or replayed. */
  logged: (conv: Conversation, frame: LoggedFrame, live: boolean) => void;
  /** This person created `conv` (CREATE): they own it, if claimed. */
  created: (conv: Conversation) => void;
};

/**
 * The conversations the signed-in person is in, with their messages, and which one is on
 * screen; the channel directory. It reacts to the server's deliveries, joins and leaves, and
 * runs the commands the components ask for. Components never touch the socket.
 */
export class Conversations {
  activeKey = $state<string | null>(null);
  view = $state<'conversation' | 'browse' | 'threads' | 'moderation'>('conversation');
  directory = $state.raw<ChannelInfo[]>([]);
  /** Keys of the private channels I am in: CHNS marks them (it lists them to members only). */
  privateKeys = $derived(new Set(this.directory.filter((c) => c.private).map((c) => nameKey(c.channel))));
  readonly all = new SvelteMap<string, Conversation>();

  channels = $derived([...this.all.values()].filter((c) => c.kind === 'channel').sort(byName));
  /** Most recent first, as in Slack: the newest conversation is the one nearest the top. */
  dms = $derived([...this.all.values()].filter((c) => c.kind === 'dm').sort((a, b) => b.activity - a.activity || byName(a, b)));
  active = $derived(this.activeKey === null ? undefined : this.all.get(this.activeKey));

  readonly session: Session;
  readonly people: People;
  /** Channels the server put us back in after this REG. */
  readonly restored = new Set<string>();
  /**
   * Per conversation, the id of the newest message held when the link last dropped: after
   * the reconnect, what was missed is fetched `after` it. Cleared once caught up.
   */
  readonly marks = new Map<string, number>();
  /** Per conversation, the id of the first message delivered live on this connection. */
  readonly firstLive = new Map<string, number>();
  private directoryTimer: ReturnType<typeof setTimeout> | undefined;
  /** A channel appeared while not ready: read the channel list once ready. */
  private directoryStale = false;
  /** The router: open what the address names, after signing in; false if it names nothing. */
  openFromAddress: (() => boolean) | undefined;
  /** Hands out `activity`: a larger number is more recent. */
  private activitySeq = 0;
  private readonly listeners: { [K in keyof Listeners]: Listeners[K][] } = { messages: [], opened: [], dropped: [], loaded: [], logged: [], created: [] };

  constructor(session: Session, people: People) {
    this.session = session;
    this.people = people;
    const c = session.client;
    c.on('message', (d) => this.onMessage(d));
    followLiveChanges(this);
    c.on('joined', (e) => this.onJoined(e.channel, e.user));
    c.on('left', (e) => this.onLeft(e.channel, e.user));
    session.onRegister(() => {
      this.restored.clear();
      this.firstLive.clear();
    });
    session.onSync(() => catchUp(this));
    session.onReady(() => this.afterSync());
    session.onReset(() => this.reset());
    session.link.onClose(() => {
      clearTimeout(this.directoryTimer);
      // What we hold now is what we have seen: after the reconnect, fetch what is newer. A
      // mark left from an earlier drop that was never caught up stays (it is older).
      for (const conv of this.all.values()) {
        if (conv.loaded && !this.marks.has(conv.key)) this.marks.set(conv.key, conv.through);
      }
      this.firstLive.clear();
    });
  }

  on<K extends keyof Listeners>(event: K, fn: Listeners[K]): void {
    this.listeners[event].push(fn);
  }

  get(key: string): Conversation | undefined {
    return this.all.get(key);
  }

  /** The conversation is on screen: the page is visible and it is the one open. */
  isViewing(conv: Conversation): boolean {
    const visible = typeof document === 'undefined' || document.visibilityState === 'visible';
    return visible && this.view === 'conversation' && this.activeKey === conv.key;
  }

  private afterSync(): void {
    if (this.directoryStale) {
      this.directoryStale = false;
      void this.refreshDirectory();
    }
    if (!this.active) {
      if (!this.openFromAddress?.()) this.openDefault();
    } else this.load(this.active);
  }

  /** Fetch what `conv` needs for the screen: the page its pending jump goes to, or the latest. */
  private load(conv: Conversation): void {
    if (!this.session.ready) return; // afterSync loads the one open
    const jump = conv.jump;
    const target = jump?.to === 'message' ? jump.id : jump?.to === 'unread' ? jump.after + 1 : undefined;
    if (target !== undefined && !conv.holds(target)) void loadAround(this, conv, target);
    else if (jump?.to === 'latest' && conv.hasNewer) void loadLatest(this, conv);
    else if (!conv.loaded) void loadLatest(this, conv);
  }

  /**
   * Take the reader of `conv` to the first unread message, a message, or the newest: fetch
   * the page it is on unless held (MessageList scrolls once it is in).
   */
  jumpTo(conv: Conversation, jump: Jump): void {
    conv.jump = jump;
    this.load(conv);
  }

  private reset(): void {
    this.all.clear();
    this.marks.clear();
    this.firstLive.clear();
    clearTimeout(this.directoryTimer);
    this.directoryStale = false;
    this.directory = [];
    this.activeKey = null;
    this.view = 'conversation';
  }

  // ------------------------------------------------------------------ server events

  private onMessage(d: Delivery): void {
    const channel = isChannel(d.target);
    // A message of ours sent from another tab or device comes back as a delivery from us.
    const mine = this.session.isMe(d.from);
    const name = channel || mine ? d.target : d.from;
    if (!mine) this.people.noteSender(d.from);
    const convKey = nameKey(name);
    if (!this.firstLive.has(convKey)) this.firstLive.set(convKey, d.id);
    let conv = this.all.get(convKey);
    if (!conv) {
      if (channel) return; // not a member: nothing to show it in
      conv = this.ensureDm(name);
    }
    const fresh = conv.addMessages([toItem(d, mine)]);
    this.emitLogged(conv, d, true);
    if (fresh.length === 0) return;
    this.touch(conv);
    this.emitMessages(conv, fresh, true);
  }

  /** history.ts: the latest page of `conv` is in. */
  emitLoaded(conv: Conversation): void {
    for (const fn of this.listeners.loaded) fn(conv);
  }

  /** live-log.ts, history.ts: a logged frame was applied to `conv`. */
  emitLogged(conv: Conversation, frame: LoggedFrame, live: boolean): void {
    for (const fn of this.listeners.logged) fn(conv, frame, live);
  }

  /** Tell the listeners about messages new to this page (history.ts too, for what was missed). */
  emitMessages(conv: Conversation, fresh: MessageItem[], live: boolean): void {
    if (fresh.length > 0) for (const fn of this.listeners.messages) fn(conv, fresh, live);
  }

  private onJoined(channel: string, user: string): void {
    const key = nameKey(channel);
    // A channel the list lacks: read the list again (unless this REG's catching up has yet
    // to read it).
    const listPending = this.session.syncing && !this.people.synced;
    if (!listPending && !this.directory.some((c) => nameKey(c.channel) === key)) this.scheduleDirectoryRefresh();
    this.bumpDirectory(key, +1);
    if (this.session.isMe(user)) {
      let conv = this.all.get(key);
      if (!conv) this.all.set(key, (conv = new Conversation('channel', channel)));
      conv.members.set(nameKey(user), user);
      if (this.session.syncing) {
        this.restored.add(key);
        return;
      }
      conv.addSystem(`You joined ${channel}`);
      void this.loadMembers(conv);
      return;
    }
    this.people.setPresence(user, true);
    const conv = this.all.get(key);
    if (!conv) return;
    conv.members.set(nameKey(user), user);
    conv.addSystem(`${user} joined ${channel}`);
  }

  private onLeft(channel: string, user: string): void {
    const key = nameKey(channel);
    this.bumpDirectory(key, -1);
    const conv = this.all.get(key);
    if (!conv) return;
    if (this.session.isMe(user)) {
      this.drop(key);
      if (this.activeKey === key) this.openDefault();
      return;
    }
    conv.members.delete(nameKey(user));
    conv.addSystem(`${user} left ${channel}`);
  }

  /** Forget a conversation (we are no longer in the channel). */
  drop(key: string): void {
    this.all.delete(key);
    this.marks.delete(key);
    this.firstLive.delete(key);
    for (const fn of this.listeners.dropped) fn(key);
  }

  /** A channel the list does not show yet: read the list again, once for a burst of them. */
  private scheduleDirectoryRefresh(): void {
    if (!this.session.ready) {
      this.directoryStale = true;
      return;
    }
    clearTimeout(this.directoryTimer);
    this.directoryTimer = setTimeout(() => void this.refreshDirectory(), 300);
  }

  private bumpDirectory(key: string, by: number): void {
    this.directory = this.directory.map((c) => (nameKey(c.channel) === key ? { ...c, members: Math.max(0, c.members + by) } : c));
  }

  // ------------------------------------------------------------------ actions

  /**
   * Show `key`; with `at`, at that message (a link to it), highlighted. The read state may
   * ask for the first unread message instead of the newest (its 'opened' listener).
   */
  open(key: string, at?: number): void {
    const conv = this.all.get(key);
    if (!conv) return;
    const again = this.view === 'conversation' && this.activeKey === key;
    this.view = 'conversation';
    this.activeKey = key;
    this.session.remember(conv.name);
    if (!again || at !== undefined) {
      conv.highlight = at ?? null;
      conv.jump = at === undefined ? null : { to: 'message', id: at };
    }
    for (const fn of this.listeners.opened) fn(conv, again);
    // Nothing unread, and what is held stops short of the newest (Esc read it all): the newest.
    if (!again && !conv.jump && conv.hasNewer) conv.jump = { to: 'latest' };
    this.load(conv);
  }

  /** Show no conversation (the address names a channel we are not in). */
  showNone(): void {
    this.view = 'conversation';
    this.activeKey = null;
  }

  openDefault(): void {
    const savedName = this.session.savedActive;
    const saved = savedName ? this.all.get(nameKey(savedName)) : undefined;
    const next = saved ?? this.all.get(DEFAULT_CHANNEL) ?? this.channels[0] ?? this.dms[0];
    if (next) this.open(next.key);
    else this.activeKey = null;
  }

  /** Open the direct conversation with `user` (at message `at`), starting it (at the top of the list) if new. */
  openDm(user: string, at?: number): void {
    const known = this.all.has(nameKey(user));
    const conv = this.ensureDm(user);
    if (!known) this.touch(conv);
    this.open(conv.key, at);
  }

  /** The threads I follow (THREADS), in place of a conversation. */
  showThreads(): void {
    this.view = 'threads';
  }

  /** The moderation page (the log, suspensions), in place of a conversation. */
  showModeration(): void {
    this.view = 'moderation';
  }

  browse(): void {
    this.view = 'browse';
    void this.refreshDirectory();
  }

  async refreshDirectory(): Promise<void> {
    if (!this.session.ready) return;
    try {
      this.directory = await this.session.client.chns();
    } catch {
      // Shown again on the next refresh; the list on screen stays as it was.
    }
  }

  /** Join (creating if needed) and open a channel. Returns a problem sentence, or ''. */
  async joinChannel(input: string): Promise<string> {
    const name = input.trim().startsWith('#') ? input.trim() : `#${input.trim()}`;
    const problem = nameProblem(name, 'channel');
    if (problem) return problem.message;
    if (!this.session.ready) return 'Not connected to the server';
    try {
      await this.session.client.join(name);
    } catch (e) {
      return errorText(e);
    }
    // A channel this JOIN created reached us as a JOINED the channel list lacked, which
    // refreshes the list.
    this.open(nameKey(name));
    return '';
  }

  /**
   * Create a channel (CREATE) and open it. A public one whose name is taken is joined instead,
   * as the form says ("Create or join"); a private one never is: the taken name is refused.
   * Returns a problem sentence, or ''.
   */
  async createChannel(input: string, isPrivate: boolean): Promise<string> {
    const name = input.trim().startsWith('#') ? input.trim() : `#${input.trim()}`;
    const problem = nameProblem(name, 'channel');
    if (problem) return problem.message;
    if (!this.session.ready) return 'Not connected to the server';
    try {
      await this.session.client.create(name, isPrivate);
    } catch (e) {
      if (!isPrivate && e instanceof ServerError && e.code === 'CHANNEL_TAKEN') return this.joinChannel(name);
      return createRefusal(e, name, this.directory);
    }
    // The JOINED before the OK has scheduled a read of the list; read it now, so the lock
    // shows as the channel opens.
    await this.refreshDirectory();
    const conv = this.all.get(nameKey(name));
    if (conv) for (const fn of this.listeners.created) fn(conv);
    this.open(nameKey(name));
    return '';
  }

  /** Add `handle` to a channel I am in (INVITE): they get JOINED, as do we. A problem sentence, or ''. */
  async invite(conv: Conversation, handle: string): Promise<string> {
    if (!this.session.ready) return 'Not connected to the server';
    try {
      await this.session.client.invite(conv.name, handle);
      return '';
    } catch (e) {
      return errorText(e);
    }
  }

  isPrivate(name: string): boolean {
    return this.privateKeys.has(nameKey(name));
  }

  async leaveChannel(conv: Conversation): Promise<string> {
    try {
      await this.session.client.leave(conv.name);
      return '';
    } catch (e) {
      return errorText(e);
    }
  }

  loadOlder(conv: Conversation): Promise<void> {
    return loadOlder(this, conv);
  }

  loadNewer(conv: Conversation): Promise<void> {
    return loadNewer(this, conv);
  }

  async loadMembers(conv: Conversation): Promise<void> {
    const members = await this.session.client.usrs(conv.name);
    conv.members.clear();
    for (const m of members) {
      conv.members.set(nameKey(m.user), m.user);
      this.people.setPresence(m.user, m.online, m.guest === true);
    }
  }

  ensureDm(name: string): Conversation {
    const key = nameKey(name);
    let conv = this.all.get(key);
    if (!conv) this.all.set(key, (conv = new Conversation('dm', name)));
    return conv;
  }

  /** Something happened in `conv` just now: it moves to the top of its list. */
  touch(conv: Conversation): void {
    conv.activity = ++this.activitySeq;
  }
}
