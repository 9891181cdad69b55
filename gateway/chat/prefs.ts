import { refuse, type Refusal } from '../sentences.ts';
import { PREFS_PER_USER, type Store, type StoredPref } from '../store/store.ts';
import type { Caller } from './chat.ts';
import type { Directory } from './directory.ts';
import type { ChatEvent } from './events.ts';
import type { GroupCommit } from './group-commit.ts';

/**
 * A user's settings kept on the server (PREFS, PREF): a mute, say, set in one browser holds
 * in a new one. Only a claimed handle keeps them: a guest handle is whoever signs in as it
 * next, so its settings would be handed to a stranger (the web app keeps a guest's locally).
 */
export type PrefsDeps = {
  readonly store: Store;
  readonly directory: Directory;
  readonly commits: GroupCommit;
  emit(event: ChatEvent): void;
};

const claimed = (chat: PrefsDeps, user: Caller): boolean => chat.directory.user(user.handle)?.claimed ?? false;

export async function listPrefs(chat: PrefsDeps, user: Caller): Promise<Refusal | StoredPref[]> {
  if (!claimed(chat, user)) return refuse.prefsNotClaimed(user.handle);
  // What this user's connections have just set is committed first, so the list shows it.
  await chat.commits.settled();
  return chat.store.prefs(user.handle);
}

/**
 * Set (or, `value` null, clear) one setting: stored, then the user's other connections on
 * every node are told. `via` names the connection that set it, which has its OK instead.
 */
export async function setPref(chat: PrefsDeps, user: Caller, via: string, key: string, value: string | null): Promise<Refusal | null> {
  if (!claimed(chat, user)) return refuse.prefsNotClaimed(user.handle);
  let isNew = false;
  if (value !== null) {
    await chat.commits.settled();
    const now = await chat.store.prefs(user.handle);
    isNew = !now.some((p) => p.key === key);
    if (isNew && now.length >= PREFS_PER_USER) return refuse.tooManyPrefs(PREFS_PER_USER);
  }
  if ((await chat.commits.stage([{ op: 'setPref', handle: user.handle, key, value }])) === null) {
    return refuse.notStored(`Could not keep the setting ${key}`);
  }
  // Another device may have added the last key the store allows meanwhile: the store kept
  // the bound, and this one was not kept.
  if (isNew) {
    const after = await chat.store.prefs(user.handle);
    if (after.length >= PREFS_PER_USER && !after.some((p) => p.key === key)) return refuse.tooManyPrefs(PREFS_PER_USER);
  }
  chat.emit({ t: 'pref', user: user.handle, key, value, via });
  return null;
}
