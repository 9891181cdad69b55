/**
 * What happened, once it has committed: the chat service applies each event to this node's
 * directory and hub, and publishes it on the bus for the other nodes, which apply it the
 * same way. A node applies its own events at once and drops their echo from the bus, so its
 * own users never wait on Redis.
 *
 * On the bus an event is one payload: a JSON header line, then the message body as raw
 * bytes (binary-safe, and never base64'd).
 */

export type MessageEvent = {
  t: 'msg';
  /** The conversation key (keys.ts, `conversationOf`) and the id within it. */
  conv: string;
  id: number;
  /** Display case: `#channel`, or the recipient's `@handle`. */
  target: string;
  from: string;
  ts: string;
  body: Uint8Array;
  /** Set when the message was also queued for the recipient's next sign-in. */
  queued?: boolean;
};

export type ChatEvent =
  | MessageEvent
  /** A new handle, or one just claimed with a password. */
  | { t: 'user'; handle: string; claimed: boolean }
  | { t: 'joined'; channel: string; user: string }
  | { t: 'left'; channel: string; user: string }
  /** `channels`: the keys of the user's channels, whose members hear of it. */
  | { t: 'online'; user: string; channels: string[] }
  | { t: 'offline'; user: string; channels: string[] };

/** An event on the bus, with where and when it was committed. */
export type Envelope = { origin: string; at: number; event: ChatEvent };

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encodeEnvelope(e: Envelope): Uint8Array {
  const { event } = e;
  if (event.t !== 'msg') return encoder.encode(JSON.stringify(e) + '\n');
  const { body, ...head } = event;
  const line = encoder.encode(JSON.stringify({ ...e, event: head }) + '\n');
  const out = new Uint8Array(line.length + body.length);
  out.set(line, 0);
  out.set(body, line.length);
  return out;
}

/** Null for a payload that is not an envelope (another program on the same Redis). */
export function decodeEnvelope(payload: Uint8Array): Envelope | null {
  const nl = payload.indexOf(10);
  if (nl < 0) return null;
  try {
    const e = JSON.parse(decoder.decode(payload.subarray(0, nl))) as Envelope;
    if (typeof e?.origin !== 'string' || typeof e.event?.t !== 'string') return null;
    if (e.event.t === 'msg') (e.event as MessageEvent).body = payload.slice(nl + 1);
    return e;
  } catch {
    return null;
  }
}
