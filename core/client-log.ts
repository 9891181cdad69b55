import type { ServerFrame, ServerFrameOf } from './frames.ts';
import type { ClientEvents } from './client-types.ts';

/**
 * The frames a conversation's log is made of, as SlckClient sorts them (spec sections 5 and
 * 6): each takes the conversation's next id, arrives live, and is replayed by HISTORY `after`
 * and THREAD. A client tracks the highest id over all of them to notice a gap.
 */
export type LogFrame = ServerFrameOf<'MSG' | 'REPLY' | 'EDIT' | 'DELETE' | 'REACT' | 'UNREACT'>;

/**
 * State lines: a message's current state, right after its frame in HISTORY (not `after`) and
 * THREAD replies. Part of the reply, never counted by its END, never sent live.
 */
export type StateFrame = ServerFrameOf<'EDITED' | 'DELETED' | 'REACTION' | 'REPLIES'>;

/** A page of HISTORY or THREAD: the logged frames, oldest first, and the state lines that came with them. */
export type LogPage = { frames: LogFrame[]; states: StateFrame[] };

const LOG = new Set<string>(['MSG', 'REPLY', 'EDIT', 'DELETE', 'REACT', 'UNREACT']);
const STATE = new Set<string>(['EDITED', 'DELETED', 'REACTION', 'REPLIES']);

export const isLogFrame = (f: ServerFrame): f is LogFrame => LOG.has(f.type);
export const isStateFrame = (f: ServerFrame): f is StateFrame => STATE.has(f.type);

/**
 * Split what a pending HISTORY or THREAD held at its `END <verb> <count>`: the reply is the
 * last `count` logged frames with the state lines among and after them; logged frames before
 * those arrived live, just before the reply began (a reply is written whole). Returns the
 * live ones, and leaves the reply in `items`.
 */
export function takeLive(items: ServerFrame[], count: number): LogFrame[] {
  let split = items.length;
  let counted = 0;
  for (let i = items.length - 1; i >= 0 && counted < count; i--) {
    if (isLogFrame(items[i])) {
      counted++;
      split = i;
    }
  }
  // With a count of 0 the reply has no frames, so no state lines: everything held was live.
  if (count === 0) split = items.length;
  return items.splice(0, split).filter(isLogFrame);
}

/** A HISTORY or THREAD reply as frames and state lines, the END line dropped. */
export function logPage(frames: ServerFrame[]): LogPage {
  return { frames: frames.filter(isLogFrame), states: frames.filter(isStateFrame) };
}

/** A logged change acknowledged: its id in the conversation's log, and its time. */
export type Logged = { id: number; ts: string };

/** `OK <id> <ts>` of a logged change (the last frame of a reply). */
export function logged(frames: ServerFrame[]): Logged {
  const args = (frames[frames.length - 1] as ServerFrameOf<'OK'>).args;
  return { id: Number(args[0]), ts: args[1] };
}

/** `OK <id> <ts>`, or a bare `OK` when nothing changed (null). */
export function loggedOrNot(frames: ServerFrame[]): Logged | null {
  const args = (frames[frames.length - 1] as ServerFrameOf<'OK'>).args;
  return args.length < 2 ? null : { id: Number(args[0]), ts: args[1] };
}

/** The event a live logged frame is reported as. */
export const LIVE_EVENT = {
  MSG: 'message', REPLY: 'reply', EDIT: 'edit', DELETE: 'delete', REACT: 'react', UNREACT: 'unreact',
} as const satisfies Record<LogFrame['type'], keyof ClientEvents>;
