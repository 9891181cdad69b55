import { DEFAULT_CHANNEL, nameKey } from '../../../core/names.ts';
import { LIMITS } from '../../../core/limits.ts';
import { ServerError } from '../../../core/client.ts';
import type { Chat } from './chat.svelte.ts';
import { toItem, type Conversation } from './conversation.svelte.ts';

/** Messages per page when opening a conversation or scrolling back. */
const PAGE = 50;
/** Pages of missed messages fetched after a reconnect before giving up and starting afresh. */
const MAX_MISSED_PAGES = 10;

/** Fetch the latest page of a conversation. */
export async function loadLatest(chat: Chat, conv: Conversation): Promise<void> {
  if (conv.loading) return;
  conv.loading = true;
  try {
    const page = await chat.connection.client.history(conv.name, { limit: PAGE });
    conv.addMessages(page.map((d) => toItem(d, chat.isMe(d.from))));
    conv.hasOlder = page.length === PAGE;
    conv.loaded = true;
    conv.loadError = '';
  } catch (e) {
    // A direct conversation with someone the server no longer knows has no history: that is
    // an empty conversation, not a failure.
    if (e instanceof ServerError && e.code === 'NO_SUCH_USER') {
      conv.loaded = true;
      conv.hasOlder = false;
    } else conv.loadError = e instanceof Error ? e.message : String(e);
  } finally {
    conv.loading = false;
  }
}

/** Fetch the page before the oldest message held (the reader scrolled up). */
export async function loadOlder(chat: Chat, conv: Conversation): Promise<void> {
  if (!chat.ready || !conv.loaded || !conv.hasOlder || conv.loadingOlder || conv.firstId === 0) return;
  conv.loadingOlder = true;
  try {
    const page = await chat.connection.client.history(conv.name, { limit: PAGE, before: conv.firstId });
    conv.addMessages(page.map((d) => toItem(d, chat.isMe(d.from))));
    conv.hasOlder = page.length === PAGE;
  } catch (e) {
    conv.loadError = e instanceof Error ? e.message : String(e);
  } finally {
    conv.loadingOlder = false;
  }
}

/**
 * Bring one loaded conversation up to date after a reconnect: fetch what arrived while we
 * were away. If the server's history no longer contains our newest message as we saw it
 * (a server that lost its memory, whose ids start again), start the conversation afresh.
 */
async function fetchMissed(chat: Chat, conv: Conversation, viewing: boolean): Promise<void> {
  const client = chat.connection.client;
  if (!conv.loaded) return;
  const last = conv.lastId;
  const lastItem = conv.items.findLast((i) => i.kind === 'msg');
  const probe = last === 0 ? [] : await client.history(conv.name, { limit: 1, before: last + 1 });
  const same = last === 0 || (probe[0]?.id === last && lastItem?.kind === 'msg' && probe[0].ts === lastItem.ts);
  if (!same) {
    conv.clear();
    conv.addSystem('The server restarted without its history; showing what it has now.');
    if (viewing) await loadLatest(chat, conv);
    return;
  }
  if (last === 0) {
    conv.loaded = false;
    await loadLatest(chat, conv);
    return;
  }
  for (let pages = 0; ; pages++) {
    if (pages === MAX_MISSED_PAGES) {
      // Too much happened while away to replay: show the latest page, older ones on scroll.
      conv.clear();
      if (viewing) await loadLatest(chat, conv);
      return;
    }
    const missed = await client.history(conv.name, { limit: LIMITS.maxHistory, after: conv.lastId });
    const fresh = conv.addMessages(missed.map((d) => toItem(d, chat.isMe(d.from))));
    if (!viewing) conv.unread += fresh.filter((m) => !m.mine).length;
    if (missed.length < LIMITS.maxHistory) return;
  }
}

/**
 * Run after every successful REG, first sign-in and reconnects alike. The server has sent a
 * JOINED for each membership it restored before it answers the commands below, so once
 * they are answered `chat.restored` is complete.
 */
export async function catchUp(chat: Chat, opts: { joinGeneral: boolean }): Promise<void> {
  const client = chat.connection.client;
  chat.syncNote = 'Catching up…';
  const [users, channels] = await Promise.all([client.usrs(), client.chns()]);
  chat.setPeople(users);
  chat.directory = channels;

  // Channels we were in before the link dropped but the server did not restore (it restarted
  // without storage): join them again.
  for (const conv of chat.channels) {
    if (chat.restored.has(conv.key)) continue;
    try {
      await client.join(conv.name);
    } catch (e) {
      if (e instanceof ServerError && e.code === 'DISCONNECTED') throw e;
      chat.conversations.delete(conv.key);
    }
  }
  if (opts.joinGeneral && !chat.conversations.has(nameKey(DEFAULT_CHANNEL))) {
    await client.join(DEFAULT_CHANNEL).catch((e) => {
      if (e instanceof ServerError && e.code === 'DISCONNECTED') throw e;
    });
  }

  await Promise.all(chat.channels.map((c) => chat.loadMembers(c)));
  for (const conv of [...chat.conversations.values()]) {
    try {
      await fetchMissed(chat, conv, chat.activeKey === conv.key);
    } catch (e) {
      if (e instanceof ServerError && e.code === 'DISCONNECTED') throw e;
    }
  }
}
