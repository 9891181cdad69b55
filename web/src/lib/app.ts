import { Connection } from './connection.svelte.ts';
import { Conversations } from './conversations.svelte.ts';
import { Notifications } from './notifications.svelte.ts';
import { Outbox } from './outbox.svelte.ts';
import { People } from './people.svelte.ts';
import { ReadState } from './read-state.svelte.ts';
import { Router } from './router.svelte.ts';
import { Session } from './session.svelte.ts';
import { Settings } from './settings.svelte.ts';
import { Topics } from './topics.svelte.ts';
import { Threads } from './threads.svelte.ts';
import { MessageActions } from './message-actions.svelte.ts';
import { Typing } from './typing.svelte.ts';
import { Search } from './search.svelte.ts';
import { Uploads } from './uploads.svelte.ts';
import { FileMetas } from './file-metas.svelte.ts';
import { Moderation } from './moderation.svelte.ts';

export type AppState = {
  settings: Settings;
  session: Session;
  people: People;
  conversations: Conversations;
  reads: ReadState;
  notifications: Notifications;
  outbox: Outbox;
  topics: Topics;
  router: Router;
  threads: Threads;
  actions: MessageActions;
  typing: Typing;
  search: Search;
  uploads: Uploads;
  fileMetas: FileMetas;
  moderation: Moderation;
};

/**
 * The app's state, wired together. The order matters: each part registers its sign-in steps
 * with the session as it is made, and they run in that order after every REG: catching up
 * (Conversations) before the unread counts (ReadState), which need the channels restored,
 * and both before the outbox decides what a drop left unanswered, which needs the history.
 */
export function createAppState(connection: Connection = new Connection()): AppState {
  const settings = new Settings();
  const session = new Session(connection);
  // A claimed handle's mutes and notification choices are kept on the server: read first.
  settings.follow(session);
  const people = new People(session);
  const conversations = new Conversations(session, people);
  const reads = new ReadState(session, conversations, settings);
  const notifications = new Notifications(session, conversations, reads, settings);
  const outbox = new Outbox(session, conversations, reads);
  const topics = new Topics(session, conversations);
  const router = new Router(session, conversations);
  const threads = new Threads(session, conversations);
  const actions = new MessageActions(session, conversations);
  const typing = new Typing(session, conversations);
  const search = new Search(session, conversations);
  // A file this page uploaded is described by its upload's answer: no need to ask for it.
  const uploads: Uploads = new Uploads(session, (meta) => fileMetas.learn(meta));
  const fileMetas: FileMetas = new FileMetas(session, uploads);
  const moderation = new Moderation(session, conversations);
  // A link to a message the main flow does not hold, once its page is in: a thread reply?
  conversations.on('loaded', (conv) => {
    const at = conv.highlight;
    if (at !== null && conversations.activeKey === conv.key && !conv.has(at)) void threads.showLinked(conv, at);
  });
  // Another conversation: its thread pane closes. A link to a message the page holds no
  // place for (no page is fetched, so 'loaded' does not come): a thread reply?
  conversations.on('opened', (conv, again) => {
    if (!again && threads.open && threads.open.key !== conv.key) threads.close();
    const at = conv.highlight;
    if (at !== null && conv.loaded && conv.holds(at) && !conv.has(at)) void threads.showLinked(conv, at);
  });
  // A direct conversation opened: is its person a guest (the composer warns)?
  conversations.on('opened', (conv) => {
    if (conv.kind === 'dm') void people.checkGuest(conv.name);
  });
  return { settings, session, people, conversations, reads, notifications, outbox, topics, router, threads, actions, typing, search, uploads, fileMetas, moderation };
}
