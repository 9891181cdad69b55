import { encodeServerFrame, nameKey } from '../../core/index.ts';
import { addOnline, removeOnline, type Channel, type Conn, type Departure, type User } from './conn.ts';
import { FrameBytes } from './frame-bytes.ts';
import { frameOfEvent } from './log-frames.ts';
import type { ChatHost } from '../chat/chat.ts';
import type { ChatEvent, MessageEvent } from '../chat/events.ts';
import { farewell } from '../sentences.ts';
import type { ServerFrame } from '../../core/index.ts';

/** What fan-out needs of the hub: its output queues and its farewells. */
export type FanoutOutput = {
  send(conn: Conn, bytes: Uint8Array): void;
  end(conn: Conn, how: Departure, bye: ServerFrame): void;
  /** Kept messages handed over: they leave the recipient's offline queue. */
  /** Bytes queued now that leave only once `after` has settled (a delivered mark committed). */
  sendAfter(conn: Conn, after: Promise<unknown>, bytes: Uint8Array): void;
  delivered(handle: string, messages: Array<{ conversation: string; id: number }>): Promise<boolean>;
  /** A person's connection was sent message `id` of `target` (as its user names it) live: it counts as read. */
  shown(conn: Conn, target: string, id: number): void;
  readonly metrics?: { delivered(n: number): void };
};

/**
 * Who is signed in on this node and where they sit, and what they are told of what the chat
 * rules commit: messages, joins, leaves, topics and presence, each frame encoded once per
 * kind of reader among its recipients here (frame-bytes.ts), that one buffer written to every
 * connection of the kind. The chat rules know this node only as this `ChatHost`.
 */
export class Fanout implements ChatHost {
  /** Users signed in on this node, each with their connections here. */
  readonly users = new Map<string, User>();
  /** Channels with someone online here (or once had). */
  readonly channels = new Map<string, Channel>();
  /**
   * user key -> people they have exchanged direct messages with through this node. They hear
   * of each other's presence, as co-members of a channel do.
   */
  private readonly partners = new Map<string, Set<string>>();
  /** What this node's events name their connections by: `<node>/<connection id>`. */
  private readonly viaPrefix: string;
  /** Signed-in connections here by id: an event's origin is looked up, never searched for. */
  private readonly byId = new Map<string, Conn>();

  constructor(private readonly out: FanoutOutput, nodeId: string) {
    this.viaPrefix = `${nodeId}/`;
  }

  /** A connection signed in here as `handle`: seated in the user's channels. */
  add(conn: Conn, handle: string, channels: string[]): User {
    const key = nameKey(handle);
    let user = this.users.get(key);
    if (user === undefined) this.users.set(key, (user = { key, handle, conns: [], channels: new Set() }));
    user.conns.push(conn);
    conn.user = user;
    this.byId.set(conn.session.id, conn);
    for (const name of channels) user.channels.add(this.channel(name));
    for (const ch of user.channels) addOnline(ch, conn);
    return user;
  }

  /** A signed-in connection has gone; the user stays here while another of theirs is open. */
  remove(conn: Conn): void {
    const user = conn.user;
    if (user === null) return;
    conn.user = null;
    this.byId.delete(conn.session.id);
    for (const ch of user.channels) removeOnline(ch, conn);
    const i = user.conns.indexOf(conn);
    if (i >= 0) user.conns.splice(i, 1);
    if (user.conns.length === 0 && this.users.get(user.key) === user) this.users.delete(user.key);
  }

  /** How events name a connection of this node (a message's or a read mark's origin). */
  via(conn: Conn): string {
    return this.viaPrefix + conn.session.id;
  }

  isHere(userKey: string): boolean {
    return this.users.has(userKey);
  }

  interested(conversation: string): boolean {
    if (conversation.charCodeAt(0) === 35) return (this.channels.get(conversation)?.online.length ?? 0) > 0;
    const space = conversation.indexOf(' ');
    return this.users.has(conversation.slice(0, space)) || this.users.has(conversation.slice(space + 1));
  }

  /**
   * `recipientBlocks`: the recipient of this DM blocks its sender (known here, committed on
   * another node before that node heard of the block): the sender's connections get it, the
   * recipient's do not, and it leaves their queue of kept messages unsent.
   */
  deliver(m: MessageEvent, recipientBlocks = false): void {
    const frame = new FrameBytes(frameOfEvent(m));
    // The connection that sent it has its OK; the sender's other connections get the message,
    // so a conversation reads the same on every device. A person shown it has read it.
    const origin = this.originConn(m.via);
    if (m.conv.charCodeAt(0) === 35) {
      const online = this.channels.get(m.conv)?.online ?? [];
      let n = 0;
      for (let i = 0; i < online.length; i++) {
        const c = online[i];
        if (c !== origin && c.user !== null) {
          this.out.send(c, frame.for(c));
          if (c.kind === 'person') this.out.shown(c, m.target, m.id);
          n++;
        }
      }
      this.out.metrics?.delivered(n);
      return;
    }
    const from = nameKey(m.from);
    const to = nameKey(m.target);
    if (this.users.has(from) || this.users.has(to)) this.noteDirect(from, to);
    const sender = this.users.get(from);
    if (sender !== undefined) {
      for (const c of sender.conns) {
        if (c === origin) continue;
        this.out.send(c, frame.for(c));
        if (c.kind === 'person') this.out.shown(c, m.target, m.id);
      }
    }
    const recipient = this.users.get(to);
    if (recipient === undefined || to === from) return;
    if (recipientBlocks) {
      if (m.queued) void this.out.delivered(recipient.handle, [{ conversation: m.conv, id: m.id }]);
      return;
    }
    this.out.metrics?.delivered(1);
    if (!m.queued) {
      for (const c of recipient.conns) {
        this.out.send(c, frame.for(c));
        if (c.kind === 'person') this.out.shown(c, m.from, m.id);
      }
      return;
    }
    // Kept for the recipient too: taken out of their queue first, and only then handed over,
    // so a node that dies in between has not given it to them, and their next sign-in does,
    // once. (Dying after the mark and before the write leaves it to their HISTORY catch-up.)
    const marked = this.out.delivered(recipient.handle, [{ conversation: m.conv, id: m.id }]);
    for (const c of recipient.conns) {
      this.out.sendAfter(c, marked, frame.for(c));
      if (c.kind === 'person') this.out.shown(c, m.from, m.id);
    }
  }

  probe(userKey: string): void {
    for (const c of this.users.get(userKey)?.conns ?? []) c.session.probe?.();
  }

  lost(userKey: string, connId: string): void {
    const conn = this.byId.get(connId);
    if (conn !== undefined && conn.user?.key === userKey) this.out.end(conn, 'closed', farewell.elsewhere(conn.user!.handle));
  }

  apply(e: Exclude<ChatEvent, MessageEvent>): void {
    switch (e.t) {
      case 'joined': {
        const ch = this.channel(e.channel);
        const user = this.users.get(nameKey(e.user));
        if (user !== undefined) {
          user.channels.add(ch);
          for (const c of user.conns) addOnline(ch, c);
        }
        this.broadcast(ch, new FrameBytes({ type: 'JOINED', channel: ch.name, user: e.user }));
        return;
      }
      case 'left': {
        const ch = this.channels.get(nameKey(e.channel));
        if (ch === undefined) return;
        this.broadcast(ch, new FrameBytes({ type: 'LEFT', channel: ch.name, user: e.user }));
        const user = this.users.get(nameKey(e.user));
        if (user !== undefined) {
          user.channels.delete(ch);
          for (const c of user.conns) removeOnline(ch, c);
        }
        return;
      }
      case 'online':
      case 'offline':
        this.toCoMembers(nameKey(e.user), e.channels, new FrameBytes({ type: e.t === 'online' ? 'ONLINE' : 'OFFLINE', user: e.user }));
        return;
      case 'read':
      case 'pref': {
        // The user's other connections: the badge clears, the setting holds, on every device.
        const user = this.users.get(nameKey(e.user));
        if (user === undefined) return;
        const origin = this.originConn(e.via);
        const frame = encodeServerFrame(e.t === 'read' ? { type: 'READ', target: e.target, id: e.id } : { type: 'PREF', key: e.key, value: e.value ?? '' });
        // A person is not told of read marks: a terminal has no badge to clear, and their
        // own live reading would print a READ line a second on their other terminals.
        for (const c of user.conns) if (c !== origin && (c.kind === 'program' || e.t !== 'read')) this.out.send(c, frame);
        return;
      }
      case 'block': {
        // The user's other connections: a web app collapses the blocked user's messages there too.
        const user = this.users.get(nameKey(e.user));
        if (user === undefined) return;
        const origin = this.originConn(e.via);
        const frame = encodeServerFrame({ type: e.on ? 'BLOCKED' : 'UNBLOCKED', user: e.blocked });
        for (const c of user.conns) if (c !== origin) this.out.send(c, frame);
        return;
      }
      case 'role': {
        // A creator's ownership is not announced: they made the channel, and nobody else is in it.
        const ch = e.ifNoOwner ? undefined : this.channels.get(nameKey(e.channel));
        if (ch !== undefined) this.broadcast(ch, new FrameBytes({ type: 'ROLE', channel: ch.name, user: e.user, role: e.role ?? 'member', by: e.by ?? '-' }));
        return;
      }
      case 'moderated':
        if (e.action !== 'unban') this.removed(e);
        return;
      case 'suspended': {
        const user = this.users.get(nameKey(e.user));
        if (!e.on || user === undefined) return;
        for (const c of [...user.conns]) this.out.end(c, 'closed', farewell.suspended(e.by, e.reason));
        return;
      }
      case 'topic': {
        const ch = this.channels.get(nameKey(e.channel));
        if (ch !== undefined) this.broadcast(ch, new FrameBytes({ type: 'TOPIC', channel: ch.name, by: e.topic?.by ?? '-', text: e.topic?.text ?? '' }));
        return;
      }
      case 'typing':
        this.typing(e);
        return;
      case 'signedOut': {
        const user = this.users.get(nameKey(e.user));
        if (user === undefined) return;
        const origin = this.originConn(e.via);
        for (const c of [...user.conns]) if (c !== origin) this.out.end(c, 'closed', farewell.signedOut(user.handle));
        return;
      }
      default:
        return;
    }
  }

  /**
   * KICK or BAN: the channel's members here, the removed user included, are told; then the
   * user's connections leave the channel's seats, so no message of it reaches them after.
   *
   * Why "after" holds: delivery (`deliver`) reads the seats at the moment each message is
   * written to the sockets, never a list taken when it was sent, so a message still in flight
   * (held by inbound.ts for an earlier id, or not yet arrived) is not delivered to them. On
   * the node that commits the kick this event is applied at its commit, before any later
   * commit's messages; every other node applies each node's events in that node's commit
   * order, since the bus (one Redis topic) hands every subscriber the payloads in one order.
   * A message committed on another node before this node heard of the kick may still reach
   * them: the same window as any JOIN or LEFT across nodes (spec: KICK).
   */
  private removed(e: Extract<ChatEvent, { t: 'moderated' }>): void {
    const ch = this.channels.get(nameKey(e.channel));
    if (ch === undefined) return;
    this.broadcast(ch, new FrameBytes({ type: e.action === 'ban' ? 'BANNED' : 'KICKED', channel: ch.name, user: e.user, by: e.by, reason: e.reason ?? '' }));
    const user = this.users.get(nameKey(e.user));
    if (user === undefined) return;
    user.channels.delete(ch);
    for (const c of user.conns) removeOnline(ch, c);
  }

  /** To the conversation's other members here whose connections take typing events. */
  private typing(e: Extract<ChatEvent, { t: 'typing' }>): void {
    const frame = new FrameBytes({ type: 'TYPING', target: e.target, from: e.from });
    const from = nameKey(e.from);
    const to = e.conv.charCodeAt(0) === 35 ? this.channels.get(e.conv)?.online ?? [] : this.users.get(nameKey(e.target))?.conns ?? [];
    for (let i = 0; i < to.length; i++) {
      const c = to[i];
      if (c.typingEvents && c.user !== null && c.user.key !== from) this.out.send(c, frame.for(c));
    }
  }

  /** The connection of this node an event came from, if it did. */
  private originConn(via: string | undefined): Conn | undefined {
    if (via === undefined || !via.startsWith(this.viaPrefix)) return undefined;
    return this.byId.get(via.slice(this.viaPrefix.length));
  }

  /** One channel's online members here get the same bytes, per kind. */
  private broadcast(ch: Channel, frame: FrameBytes): void {
    const online = ch.online;
    for (let i = 0; i < online.length; i++) this.out.send(online[i], frame.for(online[i]));
  }

  /** Everyone here who shares one of `channels` with the user, or has DMs with them, each once. */
  private toCoMembers(userKey: string, channels: string[], frame: FrameBytes): void {
    const seen = new Set<Conn>(this.users.get(userKey)?.conns ?? []);
    const tell = (c: Conn) => {
      if (!seen.has(c)) {
        seen.add(c);
        this.out.send(c, frame.for(c));
      }
    };
    for (const key of channels) for (const c of this.channels.get(key)?.online ?? []) tell(c);
    for (const key of this.partners.get(userKey) ?? []) for (const c of this.users.get(key)?.conns ?? []) tell(c);
  }

  private noteDirect(a: string, b: string): void {
    if (a === b) return;
    for (const [x, y] of [[a, b], [b, a]]) {
      let set = this.partners.get(x);
      if (set === undefined) this.partners.set(x, (set = new Set()));
      set.add(y);
    }
  }

  // ------------------------------------------------------------ local channels

  channel(name: string): Channel {
    const key = nameKey(name);
    let ch = this.channels.get(key);
    if (ch === undefined) this.channels.set(key, (ch = { key, name, online: [], slot: new Map() }));
    return ch;
  }
}
