import type { ChannelRole, ChannelTopic } from '../store/store.ts';

/**
 * What happened, once it has committed: the chat service applies each event to this node's
 * directory and hub, and publishes it on the bus for the other nodes, which apply it the
 * same way. A node applies its own events at once and drops their echo from the bus, so its
 * own users never wait on Redis.
 *
 * On the bus a node's events of one turn travel as one payload (encodeBatch): a header line,
 * then each event as a JSON line and, for a message, its body as raw bytes (binary-safe,
 * never base64'd).
 */

/** What a logged change does to the message it names (`of`); absent: a message or a reply. */
export type ChangeKind = 'edit' | 'delete' | 'react' | 'unreact';

/**
 * One entry of a conversation's log, committed: a message, a thread reply (`root`), or a
 * change to one (`kind`, naming it by `of`). Every entry takes the conversation's next id,
 * so one gapless sequence orders them all, on every node.
 */
export type MessageEvent = {
  t: 'msg';
  kind?: ChangeKind;
  /** The conversation key (keys.ts, `conversationOf`) and the id within it. */
  conv: string;
  id: number;
  /** A thread reply: its root's id; `also`: shown in the main flow too. */
  root?: number;
  also?: boolean;
  /** A change: the id of the message it changes; a reaction's emoji. */
  of?: number;
  reaction?: string;
  /** Display case: `#channel`, or the recipient's `@handle`. */
  target: string;
  from: string;
  ts: string;
  body: Uint8Array;
  /** Set when the message was also queued for the recipient's next sign-in. */
  queued?: boolean;
  /** The connection that sent it, `<node>/<connection>`: it has its OK, and is not sent it again. */
  via?: string;
};

export type ChatEvent =
  | MessageEvent
  /** A new handle, or one just claimed with a password. */
  | { t: 'user'; handle: string; claimed: boolean }
  /**
   * `private`: the channel is private (set on every event of a private channel: a node that
   * missed its creation learns it from any); `by`: the member who invited `user` (INVITE).
   */
  | { t: 'joined'; channel: string; user: string; private?: true; by?: string }
  | { t: 'left'; channel: string; user: string }
  /** `channels`: the keys of the user's channels, whose members hear of it. */
  | { t: 'online'; user: string; channels: string[] }
  | { t: 'offline'; user: string; channels: string[] }
  /**
   * The user has read `target` (as they name it: the channel, or the other user of a direct
   * conversation) up to `id`, on the connection `via`: their other connections are told.
   */
  | { t: 'read'; user: string; target: string; id: number; via: string }
  /**
   * The user set a setting (or, null, cleared it) on the connection `via`: their other
   * connections are told, so a mute on one device holds on the others at once.
   */
  | { t: 'pref'; user: string; key: string; value: string | null; via: string }
  /**
   * `user` blocked `blocked` (or, `on` false, unblocked them) on the connection `via`: every
   * node's directory knows at once, and the user's other connections are told.
   */
  | { t: 'block'; user: string; blocked: string; on: boolean; via: string }
  /**
   * A channel role changed (spec: OP): `user` became its owner, an op, or (null) lost their
   * role; `by` null when it passed by itself (the owner left); `ifNoOwner`: a creation, which
   * makes an owner only of a channel without one (as the store does).
   */
  | { t: 'role'; channel: string; user: string; role: ChannelRole | null; by: string | null; ifNoOwner?: true }
  /**
   * KICK, BAN or UNBAN of `user` in a channel by `by`. A kick or ban takes them out of the
   * channel on every node, as a LEFT does, before any later event (fanout.ts says why that is
   * enough for "no message after the kick"). `ts`: the log entry's time, which BANS lists
   * (absent from a node that predates BANS: the ban is listed without it until a reload).
   */
  | { t: 'moderated'; action: 'kick' | 'ban' | 'unban'; channel: string; user: string; by: string; reason: string | null; ts?: string }
  /** SUSPEND (`on`) or UNSUSPEND: a suspended user's connections end on every node. */
  | { t: 'suspended'; user: string; by: string; reason: string | null; on: boolean }
  /** A channel's topic was set (or, null, cleared). */
  | { t: 'topic'; channel: string; topic: ChannelTopic | null }
  /** The user signed out everywhere from the connection `via`: their other connections end. */
  | { t: 'signedOut'; user: string; via: string }
  /**
   * Someone is typing in a conversation (never stored): `target` as they addressed it, as in
   * a message; the connection `via` is not told.
   */
  | { t: 'typing'; conv: string; target: string; from: string; via: string };

/** Events on the bus: one payload per node per turn, with where and when they committed. */
export type Batch = { origin: string; at: number; events: ChatEvent[] };

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** One event: a JSON line, then a message's body as raw bytes. */
function encodeEvent(event: ChatEvent): Uint8Array {
  if (event.t !== 'msg') return encoder.encode(JSON.stringify(event) + '\n');
  const { body, ...head } = event;
  const line = encoder.encode(JSON.stringify(head) + '\n');
  const out = new Uint8Array(line.length + body.length);
  out.set(line, 0);
  out.set(body, line.length);
  return out;
}

function decodeEvent(bytes: Uint8Array): ChatEvent {
  const nl = bytes.indexOf(10);
  const event = JSON.parse(decoder.decode(bytes.subarray(0, nl))) as ChatEvent;
  if (event.t === 'msg') (event as MessageEvent).body = bytes.slice(nl + 1);
  return event;
}

/**
 * `{"origin":…,"at":…,"sizes":[…]}` on the first line, then each event's bytes. The origin
 * comes first so a node can drop its own echo by comparing a prefix, without parsing.
 */
export function encodeBatch(origin: string, at: number, events: ChatEvent[]): Uint8Array {
  const parts = events.map(encodeEvent);
  const head = encoder.encode(`${originPrefix(origin)}${JSON.stringify({ at, sizes: parts.map((p) => p.length) }).slice(1)}\n`);
  let total = head.length;
  for (const p of parts) total += p.length;
  const out = new Uint8Array(total);
  out.set(head, 0);
  let at2 = head.length;
  for (const p of parts) {
    out.set(p, at2);
    at2 += p.length;
  }
  return out;
}

/** The bytes every payload of `origin` starts with. */
export function originPrefix(origin: string): string {
  return `{"origin":${JSON.stringify(origin)},`;
}

/** Null for a payload that is not a batch (another program on the same Redis). */
export function decodeBatch(payload: Uint8Array): Batch | null {
  const nl = payload.indexOf(10);
  if (nl < 0) return null;
  try {
    const head = JSON.parse(decoder.decode(payload.subarray(0, nl))) as { origin: string; at: number; sizes: number[] };
    if (typeof head?.origin !== 'string' || !Array.isArray(head.sizes)) return null;
    const events: ChatEvent[] = [];
    let at = nl + 1;
    for (const size of head.sizes) {
      events.push(decodeEvent(payload.subarray(at, at + size)));
      at += size;
    }
    return { origin: head.origin, at: head.at, events };
  } catch {
    return null;
  }
}
