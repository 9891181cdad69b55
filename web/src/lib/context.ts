import { createContext } from 'svelte';
import type { Conversations } from './conversations.svelte.ts';
import type { Notifications } from './notifications.svelte.ts';
import type { Outbox } from './outbox.svelte.ts';
import type { People } from './people.svelte.ts';
import type { ReadState } from './read-state.svelte.ts';
import type { Router } from './router.svelte.ts';
import type { Session } from './session.svelte.ts';
import type { Settings } from './settings.svelte.ts';
import type { Topics } from './topics.svelte.ts';
import type { Threads } from './threads.svelte.ts';
import type { MessageActions } from './message-actions.svelte.ts';
import type { Typing } from './typing.svelte.ts';
import type { Search } from './search.svelte.ts';
import type { Uploads } from './uploads.svelte.ts';
import type { FileMetas } from './file-metas.svelte.ts';
import type { Moderation } from './moderation.svelte.ts';

// The app's state, one class per concern, made once by App.svelte (lib/app.ts) and provided
// to every component below it.

/** Who is signed in; signing in, out, and staying signed in across drops and reloads. */
export const [getSession, setSession] = createContext<Session>();

/** The conversations, their messages, which one is open; the channel directory. */
export const [getConversations, setConversations] = createContext<Conversations>();

/** The people directory and presence. */
export const [getPeople, setPeople] = createContext<People>();

/** Unread and mention counts, read marks, the "New" divider. */
export const [getReads, setReads] = createContext<ReadState>();

/** Tab title, favicon badge, desktop notifications and sound. */
export const [getNotifications, setNotifications] = createContext<Notifications>();

/** The person's preferences for this browser. */
export const [getSettings, setSettings] = createContext<Settings>();

/** What this tab has sent and the server has not yet stored: waiting, sending, or refused. */
export const [getOutbox, setOutbox] = createContext<Outbox>();

/** Channel topics. */
export const [getTopics, setTopics] = createContext<Topics>();

/** The address: each conversation and message has one; Back and Forward move between them. */
export const [getRouter, setRouter] = createContext<Router>();

/** The thread pane, replies, and the threads I follow. */
export const [getThreads, setThreads] = createContext<Threads>();

/** Edit, delete, react: what a person does to a message. */
export const [getActions, setActions] = createContext<MessageActions>();

/** Who is typing, and telling the others when I type. */
export const [getTyping, setTyping] = createContext<Typing>();

/** The search panel: SEARCH, its results and filters, opening a result. */
export const [getSearch, setSearch] = createContext<Search>();

/** Files going up from the message boxes, and the cookie that opens files in this browser. */
export const [getUploads, setUploads] = createContext<Uploads>();

/** What the files shared in messages are (type, size, an image's dimensions). */
export const [getFileMetas, setFileMetas] = createContext<FileMetas>();

/** Roles, kick, ban, suspension, the moderation log; the notice of one's own removal. */
export const [getModeration, setModeration] = createContext<Moderation>();
