import { LIMITS } from '../../../core/limits.ts';
import { ServerError } from '../../../core/client.ts';
import type { Conversations } from './conversations.svelte.ts';
import { toItem, type Conversation, type MessageItem } from './conversation.svelte.ts';
import { applyLogged } from './live-log.ts';
import { withStates } from './message-state.ts';

/** Messages per page when opening a conversation or scrolling back. */
const PAGE = 50;
/** Pages of missed messages fetched after a reconnect before giving up and starting afresh. */
const MAX_MISSED_PAGES = 20;

/**
 * Whether older messages may exist before a page. A reply also stops at a byte budget (spec:
 * HISTORY), so a page of large messages holds fewer than asked with more before it: only an
 * empty page, or one that reaches the very first message (id 1), says there is nothing older.
 */
function maybeOlder(page: readonly { id: number }[]): boolean {
  return page.length > 0 && page[0].id > 1;
}

type PageOpts = { limit?: number; before?: number; after?: number; around?: number };

/**
 * A page of the main flow (HISTORY latest, before, around): its messages, each in its
 * current state (its state lines applied: edited, deleted, reactions, a thread's summary).
 */
async function fetchPage(convs: Conversations, conv: Conversation, opts: PageOpts): Promise<MessageItem[]> {
  const page = await convs.session.client.historyPage(conv.name, opts);
  const items = page.frames.flatMap((f) => (f.type === 'MSG' || f.type === 'REPLY' ? [toItem(f, convs.session.isMe(f.from))] : []));
  return withStates(items, page.states);
}

/**
 * A replay of the log after `after` (HISTORY after): each entry applied as if live, oldest
 * first. Returns how many entries came, the newest id among them, and the main-flow
 * messages new to the page.
 */
async function replay(convs: Conversations, conv: Conversation, after: number, limit: number): Promise<{ count: number; newest: number; fresh: MessageItem[] }> {
  const page = await convs.session.client.historyPage(conv.name, { limit, after });
  const frames = page.frames;
  const fresh: MessageItem[] = [];
  for (const f of frames) fresh.push(...applyLogged(convs, conv, f, false));
  return { count: frames.length, newest: Math.max(after, ...frames.map((f) => f.id)), fresh };
}

/**
 * The page being fetched for each conversation, latest or around an id. The last one asked
 * wins: a jump to the latest while the first unread is on its way (or the other way round)
 * drops the earlier reply. Asking again for the page on its way waits for that one.
 */
const loads = new WeakMap<Conversation, { gen: number; what: string }>();
let loadSeq = 0;

function beginLoad(conv: Conversation, what: string): number | undefined {
  if (conv.loading && loads.get(conv)?.what === what) return undefined;
  const gen = ++loadSeq;
  loads.set(conv, { gen, what });
  conv.loading = true;
  return gen;
}

const isCurrent = (conv: Conversation, gen: number): boolean => loads.get(conv)?.gen === gen;

function endLoad(conv: Conversation, gen: number): void {
  if (isCurrent(conv, gen)) conv.loading = false;
}

/** Fetch the latest page of a conversation (and hold only it, if what was held stopped short of it). */
export async function loadLatest(convs: Conversations, conv: Conversation): Promise<void> {
  const gen = beginLoad(conv, 'latest');
  if (gen === undefined) return;
  try {
    const page = await fetchPage(convs, conv, { limit: PAGE });
    if (!isCurrent(conv, gen)) return;
    if (conv.hasNewer) conv.replaceWith(page, maybeOlder(page), false);
    else {
      // Messages that arrived live before the conversation was loaded may be older than this
      // page with a stretch missing in between: let scrolling back fetch them in one piece.
      if (page.length > 0) conv.dropBefore(page[0].id);
      conv.addMessages(page);
      // What is held already (arrived live) takes the page's current state.
      for (const m of page) conv.patch(m.id, () => m);
      conv.hasOlder = maybeOlder(page);
    }
    conv.loaded = true;
    conv.loadError = '';
    convs.emitLoaded(conv);
  } catch (e) {
    if (!isCurrent(conv, gen)) return;
    // A direct conversation with someone the server no longer knows has no history: that is
    // an empty conversation, not a failure.
    if (e instanceof ServerError && e.code === 'NO_SUCH_USER') {
      conv.loaded = true;
      conv.hasOlder = false;
    } else conv.loadError = e instanceof Error ? e.message : String(e);
  } finally {
    endLoad(conv, gen);
  }
}

/**
 * Hold the page of messages around `id` instead of what was held: the first unread message
 * (with what came before it, so scrolling up reads on) or a linked one. The newer messages
 * come as the reader scrolls down (loadNewer).
 */
export async function loadAround(convs: Conversations, conv: Conversation, id: number): Promise<void> {
  const gen = beginLoad(conv, `around ${id}`);
  if (gen === undefined) return;
  try {
    const page = await fetchPage(convs, conv, { limit: PAGE, around: Math.max(1, id) });
    if (!isCurrent(conv, gen)) return;
    // A full page may have more after it; a short one ends at the newest unless the byte
    // bound cut it short, which the newest id known (UNREAD, deliveries) shows.
    const last = page.at(-1)?.id ?? 0;
    const hasNewer = page.length > 0 && (page.length >= PAGE || last < conv.latestId);
    conv.replaceWith(page, maybeOlder(page), hasNewer);
    conv.loadError = '';
    convs.emitLoaded(conv);
  } catch (e) {
    if (!isCurrent(conv, gen)) return;
    if (e instanceof ServerError && e.code === 'NO_SUCH_USER') {
      conv.replaceWith([], false, false);
    } else conv.loadError = e instanceof Error ? e.message : String(e);
  } finally {
    endLoad(conv, gen);
  }
}

/** Fetch the page after the newest message held, when that is not the newest (the reader scrolled down). */
export async function loadNewer(convs: Conversations, conv: Conversation): Promise<void> {
  if (!convs.session.ready || !conv.loaded || !conv.hasNewer || conv.loadingNewer || conv.loading) return;
  conv.loadingNewer = true;
  const epoch = conv.epoch;
  try {
    // The log from the newest applied on: messages, and the changes to those held.
    const page = await replay(convs, conv, conv.through, PAGE);
    if (conv.epoch !== epoch) return;
    // Live messages that followed on have joined already; an empty page is the end.
    conv.hasNewer = page.count > 0 && (page.count >= PAGE || conv.through < conv.latestId);
  } catch (e) {
    conv.loadError = e instanceof Error ? e.message : String(e);
  } finally {
    conv.loadingNewer = false;
  }
}

/** Fetch the page before the oldest message held (the reader scrolled up). */
export async function loadOlder(convs: Conversations, conv: Conversation): Promise<void> {
  if (!convs.session.ready || !conv.loaded || !conv.hasOlder || conv.loadingOlder || conv.firstId === 0) return;
  conv.loadingOlder = true;
  const epoch = conv.epoch;
  try {
    const page = await fetchPage(convs, conv, { limit: PAGE, before: conv.firstId });
    if (conv.epoch !== epoch) return;
    conv.addMessages(page);
    conv.hasOlder = maybeOlder(page);
  } catch (e) {
    conv.loadError = e instanceof Error ? e.message : String(e);
  } finally {
    conv.loadingOlder = false;
  }
}

/** The message held with this id, if any. */
const heldMessage = (conv: Conversation, id: number) => conv.items.find((i) => i.kind === 'msg' && i.id === id);

/**
 * Is the server's message `id` of this conversation the one we hold (same id and time)? `id`
 * is the newest message held (a log mark may be an edit's or a reaction's id, which a page
 * of the main flow does not show).
 */
async function sameAsServer(convs: Conversations, conv: Conversation, id: number): Promise<boolean> {
  const probe = (await fetchPage(convs, conv, { limit: 1, before: id + 1 })).at(-1);
  const held = heldMessage(conv, id);
  return probe?.id === id && held?.kind === 'msg' && probe.ts === held.ts;
}

/**
 * Bring one loaded conversation up to date after a reconnect: replay the log after the
 * newest entry applied when the link dropped (`convs.marks`; live frames that arrived since
 * REG are newer and must not move that mark): messages, replies, edits, deletes and
 * reactions, each applied idempotently, so what also came live changes nothing. If the
 * server's history no longer contains the newest message held as we saw it (a server that
 * lost its memory, whose ids start again), start the conversation afresh.
 */
async function fetchMissed(convs: Conversations, conv: Conversation, viewing: boolean): Promise<void> {
  if (!conv.loaded) {
    convs.marks.delete(conv.key);
    return;
  }
  const mark = conv.hasNewer ? conv.through : (convs.marks.get(conv.key) ?? conv.through);
  if (conv.lastId !== 0 && !(await sameAsServer(convs, conv, conv.lastId))) {
    conv.clear();
    conv.addSystem('The server restarted without its history; showing what it has now.');
    convs.marks.delete(conv.key);
    if (viewing) await loadLatest(convs, conv);
    return;
  }
  // Held apart from the newest: what was missed lies beyond, and comes on scrolling down.
  if (conv.hasNewer) {
    convs.marks.delete(conv.key);
    return;
  }
  if (mark === 0) {
    conv.loaded = false;
    convs.marks.delete(conv.key);
    await loadLatest(convs, conv);
    return;
  }
  // Page forward from the mark until the server has nothing newer, or until a page reaches
  // the messages delivered live on this connection (from the first of those on, nothing was
  // missed). A short page is not taken to be the last one.
  let after = mark;
  for (let pages = 0; ; pages++) {
    if (pages === MAX_MISSED_PAGES) {
      // Too much happened while away to replay: show the latest page, older ones on scroll.
      conv.clear();
      if (viewing) await loadLatest(convs, conv);
      break;
    }
    // The log replayed: messages, replies, and the edits, deletes and reactions missed.
    const missed = await replay(convs, conv, after, LIMITS.maxHistory);
    if (missed.count === 0) break;
    // The read state counts these, until the server's UNREAD (asked next) says exactly.
    convs.emitMessages(conv, missed.fresh, false);
    after = missed.newest;
    const firstLive = convs.firstLive.get(conv.key);
    if (firstLive !== undefined && after >= firstLive) break;
  }
  convs.marks.delete(conv.key);
}

/**
 * Did the server lose what it knew about us (restarted without storage)? It restores every
 * channel we belong to on REG, so restoring none of the channels we held says so, unless a
 * direct conversation's history shows the server still has its memory (then we left those
 * channels elsewhere).
 */
async function serverForgotUs(convs: Conversations, notRestored: readonly Conversation[]): Promise<boolean> {
  if (notRestored.length === 0 || convs.restored.size > 0) return false;
  for (const dm of convs.dms) {
    if (!dm.loaded || dm.lastId === 0) continue;
    try {
      return !(await sameAsServer(convs, dm, dm.lastId));
    } catch (e) {
      if (e instanceof ServerError && e.code === 'DISCONNECTED') throw e;
    }
  }
  return true;
}

/**
 * Run after every successful REG, first sign-in and reconnects alike. The server has sent a
 * JOINED for each membership it restored before it answers the commands below, so once
 * they are answered `convs.restored` is complete: it is the list of our channels.
 */
export async function catchUp(convs: Conversations): Promise<void> {
  const client = convs.session.client;
  convs.session.syncNote = 'Catching up…';
  const [users, channels] = await Promise.all([client.usrs(), client.chns()]);
  convs.people.set(users);
  convs.directory = channels;

  const notRestored = convs.channels.filter((c) => !convs.restored.has(c.key));
  if (await serverForgotUs(convs, notRestored)) {
    // The server restarted without storage: join our channels again.
    for (const conv of notRestored) {
      try {
        await client.join(conv.name);
      } catch (e) {
        if (e instanceof ServerError && e.code === 'DISCONNECTED') throw e;
        convs.drop(conv.key);
      }
    }
  } else {
    // The server says we are no longer in these (left from elsewhere): trust it.
    for (const conv of notRestored) convs.drop(conv.key);
  }
  // A new handle is put in #general by the server (spec: REG); one that left it stays out,
  // whichever browser it signs in from next.

  await Promise.all(convs.channels.map((c) => convs.loadMembers(c)));
  for (const conv of [...convs.all.values()]) {
    try {
      await fetchMissed(convs, conv, convs.activeKey === conv.key);
    } catch (e) {
      if (e instanceof ServerError && e.code === 'DISCONNECTED') throw e;
    }
  }
}
