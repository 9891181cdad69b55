import type { ServerFrame } from '../../core/index.ts';
import type { MessageEvent } from '../chat/events.ts';
import type { LogEntry, StoredMessage } from '../store/store.ts';

/**
 * The wire frames of a conversation's log (spec: MSG, REPLY, EDIT, DELETE, REACT, UNREACT):
 * from a committed event as it is fanned out, from a log entry replayed (HISTORY after), and
 * from a message in its current state with its state lines (HISTORY, THREAD, kept mail).
 * The chat rules name no wire; this is where their events become SLCK frames.
 */

const EMPTY = new Uint8Array(0);

/** The live frame of a committed log event. */
export function frameOfEvent(e: MessageEvent): ServerFrame {
  const head = { target: e.target, from: e.from, id: e.id, ts: e.ts };
  switch (e.kind) {
    case undefined:
      return e.root === undefined
        ? { type: 'MSG', ...head, body: e.body }
        : { type: 'REPLY', ...head, root: e.root, also: e.also === true, body: e.body };
    case 'edit':
      return { type: 'EDIT', ...head, of: e.of ?? 0, body: e.body };
    case 'delete':
      return { type: 'DELETE', ...head, of: e.of ?? 0 };
    case 'react':
    case 'unreact':
      return { type: e.kind === 'react' ? 'REACT' : 'UNREACT', ...head, of: e.of ?? 0, reaction: e.reaction ?? '' };
  }
}

/** A replayed log entry's frame, as it would have been sent live (from the current state). */
export function frameOfEntry(e: LogEntry): ServerFrame {
  if (e.kind === 'msg') return messageFrame(e);
  const head = { target: e.target, from: e.from, id: e.id, ts: e.ts };
  switch (e.kind) {
    case 'edit':
      return { type: 'EDIT', ...head, of: e.of, body: e.body ?? EMPTY };
    case 'delete':
      return { type: 'DELETE', ...head, of: e.of };
    default:
      return { type: e.kind === 'react' ? 'REACT' : 'UNREACT', ...head, of: e.of, reaction: e.reaction ?? '' };
  }
}

/** A message's frame: MSG, or REPLY for a thread reply; a deleted one has an empty body. */
export function messageFrame(m: StoredMessage): ServerFrame {
  const head = { target: m.target, from: m.from, id: m.id, ts: m.ts };
  const body = m.deleted ? EMPTY : m.body;
  return m.root === undefined
    ? { type: 'MSG', ...head, body }
    : { type: 'REPLY', ...head, root: m.root, also: m.also === true, body };
}

/** A message's state lines (spec: HISTORY): edited, deleted, each reaction, its thread. */
export function stateLines(m: StoredMessage): ServerFrame[] {
  const out: ServerFrame[] = [];
  const at = { target: m.target, id: m.id };
  if (m.deleted) out.push({ type: 'DELETED', ...at });
  else if (m.edited !== undefined) out.push({ type: 'EDITED', ...at, ts: m.edited });
  if (!m.deleted) for (const r of m.reactions ?? []) if (r.by.length > 0) out.push({ type: 'REACTION', ...at, reaction: r.reaction, by: r.by });
  const t = m.thread;
  if (t !== undefined && t.count > 0) out.push({ type: 'REPLIES', ...at, count: t.count, lastId: t.lastId, lastTs: t.lastTs, by: t.by });
  return out;
}
