import type { ServerFrameOf } from '../../../core/frames.ts';
import { fromUtf8 } from '../../../core/bytes.ts';
import { isChannel, nameKey } from '../../../core/names.ts';
import { toItem, type Conversation, type MessageItem } from './conversation.svelte.ts';
import type { Conversations } from './conversations.svelte.ts';
import { applyChange, replied, type Change } from './message-state.ts';

/** A frame that has a place in a conversation's log (issue 17): live, replayed, or in a page. */
export type LoggedFrame =
  | ServerFrameOf<'MSG'>
  | ServerFrameOf<'REPLY'>
  | ServerFrameOf<'EDIT'>
  | ServerFrameOf<'DELETE'>
  | ServerFrameOf<'REACT'>
  | ServerFrameOf<'UNREACT'>;


/** The change a frame makes to a message it names, with its body as text. */
export function changeOf(f: LoggedFrame): Change | undefined {
  switch (f.type) {
    case 'EDIT':
      return { type: 'EDIT', from: f.from, of: f.of, ts: f.ts, body: fromUtf8(f.body) };
    case 'DELETE':
      return { type: 'DELETE', from: f.from, of: f.of };
    case 'REACT':
    case 'UNREACT':
      return { type: f.type, from: f.from, of: f.of, reaction: f.reaction };
    default:
      return undefined;
  }
}

/**
 * Apply one logged frame to `conv`: a message joins it, a reply counts on its root (and joins
 * the main flow if sent also there), a change rewrites the message it names. Idempotent, so
 * a replay of what arrived live changes nothing. Returns the main-flow messages new here.
 */
export function applyLogged(convs: Conversations, conv: Conversation, f: LoggedFrame, live: boolean): MessageItem[] {
  const mine = convs.session.isMe(f.from);
  let fresh: MessageItem[] = [];
  if (f.type === 'MSG' || f.type === 'REPLY') {
    if (f.type === 'REPLY') conv.patch(f.root, (m) => replied(m, f.id, f.from, f.ts));
    if (f.type === 'MSG' || f.also) fresh = conv.addMessages([toItem(f, mine)]);
    else conv.noteLogged(f.id);
  } else {
    const change = changeOf(f)!;
    conv.patch(change.of, (m) => applyChange(m, change));
    conv.noteLogged(f.id);
  }
  convs.emitLogged(conv, f, live);
  return fresh;
}

/** The conversation a frame belongs to, as MSG's: the channel, or the other party of a DM. */
export function conversationName(convs: Conversations, f: { target: string; from: string }): string {
  return isChannel(f.target) || convs.session.isMe(f.from) ? f.target : f.from;
}

/**
 * Live changes (REPLY, EDIT, DELETE, REACT, UNREACT) from the server: each goes to its
 * conversation. A reply may start a direct conversation, as a message does; a change to a
 * conversation not held here has nothing to change.
 */
export function followLiveChanges(convs: Conversations): void {
  const c = convs.session.client;
  const on = (f: LoggedFrame) => {
    const name = conversationName(convs, f);
    const key = nameKey(name);
    if (!convs.firstLive.has(key)) convs.firstLive.set(key, f.id);
    let conv = convs.get(key);
    if (!conv) {
      if (f.type !== 'REPLY' || isChannel(name)) return;
      conv = convs.ensureDm(name);
    }
    const fresh = applyLogged(convs, conv, f, true);
    if (f.type === 'REPLY') convs.touch(conv);
    if (fresh.length > 0) convs.emitMessages(conv, fresh, true);
  };
  c.on('reply', on);
  c.on('edit', on);
  c.on('delete', on);
  c.on('react', on);
  c.on('unreact', on);
}
