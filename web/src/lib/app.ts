import { Connection } from './connection.svelte.ts';
import { Conversations } from './conversations.svelte.ts';
import { Notifications } from './notifications.svelte.ts';
import { People } from './people.svelte.ts';
import { ReadState } from './read-state.svelte.ts';
import { Session } from './session.svelte.ts';
import { Settings } from './settings.svelte.ts';

export type AppState = {
  settings: Settings;
  session: Session;
  people: People;
  conversations: Conversations;
  reads: ReadState;
  notifications: Notifications;
};

/**
 * The app's state, wired together. The order matters: each part registers its sign-in steps
 * with the session as it is made, and they run in that order after every REG: catching up
 * (Conversations) before the unread counts (ReadState), which need the channels restored.
 */
export function createAppState(connection: Connection = new Connection()): AppState {
  const settings = new Settings();
  const session = new Session(connection);
  const people = new People(session);
  const conversations = new Conversations(session, people);
  const reads = new ReadState(session, conversations, settings);
  const notifications = new Notifications(session, conversations, reads, settings);
  return { settings, session, people, conversations, reads, notifications };
}
