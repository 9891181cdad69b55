import { encodeDelivery, encodeServerFrame, nameKey } from '../core/index.ts';
import { addOnline, removeOnline, type Channel, type Conn, type Departure, type User } from './conn.ts';
import type { ChatHost } from './chat/chat.ts';
import type { ChatEvent, MessageEvent } from './chat/events.ts';
import { farewell } from './sentences.ts';
import type { ServerFrame } from '../core/index.ts';

/** What fan-out needs of the hub: its output queues and its farewells. */
export type FanoutOutput = {
  send(conn: Conn, bytes: Uint8Array): void;
  end(conn: Conn, how: Departure, bye: ServerFrame): void;
  /** Kept messages handed over: they leave the recipient's offline queue. */
  /** Bytes queued now that leave only once `after` has settled (a delivered mark committed). */
  sendAfter(conn: Conn, after: Promise<unknown>, bytes: Uint8Array): void;
  delivered(handle: string, messages: Array<{ conversation: string; id: number }>): Promise<boolean>;
  readonly metrics?: { delivered(n: number): void };
};

/**
 * Who is signed in on this node and where they sit, and what they are told of what the chat
 * rules commit: messages (each frame encoded once, for every recipient here), joins, leaves
 * and presence. The chat rules know this node only as this `ChatHost`.
 */
export class Fanout implements ChatHost {
  /** Users signed in on this node. */
  readonly users = new Map<string, User>();
  /** Channels with someone online here (or once had). */
  readonly channels = new Map<string, Channel>();
  /**
   * user key -> people they have exchanged direct messages with through this node. They hear
   * of each other's presence, as co-members of a channel do.
   */
  private readonly partners = new Map<string, Set<string>>();

  constructor(private readonly out: FanoutOutput) {}

  /** A user signed in here: seated in their channels. */
  add(user: User, channels: string[]): void {
    this.users.set(user.key, user);
    for (const name of channels) this.seat(user, this.channel(name));
  }

  /** Their connection has gone. */
  remove(user: User): void {
    this.users.delete(user.key);
    for (const ch of user.channels) removeOnline(ch, user.conn);
  }

  isHere(userKey: string): boolean {
    return this.users.has(userKey);
  }

  interested(conversation: string): boolean {
    if (conversation.charCodeAt(0) === 35) return (this.channels.get(conversation)?.online.length ?? 0) > 0;
    const space = conversation.indexOf(' ');
    return this.users.has(conversation.slice(0, space)) || this.users.has(conversation.slice(space + 1));
  }

  deliver(m: MessageEvent): void {
    const from = nameKey(m.from);
    const frame = encodeDelivery(m.target, m.from, m.id, m.ts, m.body);
    if (m.conv.charCodeAt(0) === 35) {
      const online = this.channels.get(m.conv)?.online ?? [];
      let n = 0;
      for (let i = 0; i < online.length; i++) {
        const c = online[i];
        if (c.user !== null && c.user.key !== from) {
          this.out.send(c, frame);
          n++;
        }
      }
      this.out.metrics?.delivered(n);
      return;
    }
    const to = nameKey(m.target);
    if (this.users.has(from) || this.users.has(to)) this.noteDirect(from, to);
    const recipient = this.users.get(to);
    if (recipient === undefined || to === from) return;
    this.out.metrics?.delivered(1);
    if (!m.queued) return this.out.send(recipient.conn, frame);
    // Kept for the recipient too: taken out of their queue first, and only then handed over,
    // so a node that dies in between has not given it to them, and their next sign-in does,
    // once. (Dying after the mark and before the write leaves it to their HISTORY catch-up.)
    this.out.sendAfter(recipient.conn, this.out.delivered(recipient.handle, [{ conversation: m.conv, id: m.id }]), frame);
  }

  lost(userKey: string, connId: string): void {
    const user = this.users.get(userKey);
    if (user !== undefined && user.conn.session.id === connId) this.out.end(user.conn, 'closed', farewell.elsewhere(user.handle));
  }

  apply(e: Exclude<ChatEvent, MessageEvent>): void {
    switch (e.t) {
      case 'joined': {
        const ch = this.channel(e.channel);
        const user = this.users.get(nameKey(e.user));
        if (user !== undefined) this.seat(user, ch);
        this.broadcast(ch, encodeServerFrame({ type: 'JOINED', channel: ch.name, user: e.user }));
        return;
      }
      case 'left': {
        const ch = this.channels.get(nameKey(e.channel));
        if (ch === undefined) return;
        this.broadcast(ch, encodeServerFrame({ type: 'LEFT', channel: ch.name, user: e.user }));
        const user = this.users.get(nameKey(e.user));
        if (user !== undefined) {
          user.channels.delete(ch);
          removeOnline(ch, user.conn);
        }
        return;
      }
      case 'online':
      case 'offline':
        this.toCoMembers(nameKey(e.user), e.channels, encodeServerFrame({ type: e.t === 'online' ? 'ONLINE' : 'OFFLINE', user: e.user }));
        return;
      default:
        return;
    }
  }

  /** One channel's online members here get the same bytes. */
  private broadcast(ch: Channel, bytes: Uint8Array): void {
    const online = ch.online;
    for (let i = 0; i < online.length; i++) this.out.send(online[i], bytes);
  }

  /** Everyone here who shares one of `channels` with the user, or has DMs with them, each once. */
  private toCoMembers(userKey: string, channels: string[], bytes: Uint8Array): void {
    const own = this.users.get(userKey)?.conn;
    const seen = new Set<Conn>();
    if (own !== undefined) seen.add(own);
    for (const key of channels) {
      for (const c of this.channels.get(key)?.online ?? []) {
        if (!seen.has(c)) {
          seen.add(c);
          this.out.send(c, bytes);
        }
      }
    }
    for (const key of this.partners.get(userKey) ?? []) {
      const c = this.users.get(key)?.conn;
      if (c !== undefined && !seen.has(c)) {
        seen.add(c);
        this.out.send(c, bytes);
      }
    }
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

  seat(user: User, ch: Channel): void {
    user.channels.add(ch);
    addOnline(ch, user.conn);
  }
}
