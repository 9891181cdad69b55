import { refuse, type Refusal } from '../sentences.ts';
import { nameKey } from '../store/keys.ts';
import { BLOCKS_PER_USER, type Store } from '../store/store.ts';
import type { Caller, ChatHost } from './chat.ts';
import type { Directory } from './directory.ts';
import type { ChatEvent, MessageEvent } from './events.ts';
import type { GroupCommit } from './group-commit.ts';

/**
 * BLOCK, UNBLOCK and BLOCKS (spec: BLOCK). A block is stored, then every node's directory
 * learns it from the committed event (directory.ts), so the access rule (access.ts) refuses
 * the blocked user's DMs from then on without a store read: a Map lookup per DM. Across nodes
 * a block holds once the event has crossed the bus (the same window as a JOIN); a node that
 * may have missed events reloads the directory, blocks included.
 */
export type BlocksDeps = {
  readonly store: Store;
  readonly directory: Directory;
  readonly commits: GroupCommit;
  emit(event: ChatEvent): void;
  refreshUser(handle: string): Promise<string | undefined>;
};

/** Block (`on`) or unblock `target`: idempotent; the user's other connections are told. */
export async function setBlock(chat: BlocksDeps, user: Caller, via: string, target: string, on: boolean): Promise<Refusal | null> {
  const handle = chat.directory.user(target)?.handle ?? (await chat.refreshUser(target));
  if (handle === undefined) return refuse.noSuchUser(target);
  const key = chat.directory.user(handle)!.key;
  if (key === user.key) return refuse.blockSelf();
  let isNew = false;
  if (on) {
    // What this user's other connections have just blocked is committed first, so it counts.
    await chat.commits.settled();
    const now = await chat.store.blocksOf(user.handle);
    isNew = !now.some((h) => h.toLowerCase() === key);
    if (isNew && now.length >= BLOCKS_PER_USER) return refuse.tooManyBlocks(BLOCKS_PER_USER);
  }
  if ((await chat.commits.stage([{ op: on ? 'block' : 'unblock', handle: user.handle, blocked: handle }])) === null) {
    return refuse.notStored(on ? `Could not block ${handle}` : `Could not unblock ${handle}`);
  }
  // Another device may have added the last block the store allows meanwhile: the store kept
  // the bound, and this one was not kept.
  if (isNew) {
    const after = await chat.store.blocksOf(user.handle);
    if (!after.some((h) => h.toLowerCase() === key)) return refuse.tooManyBlocks(BLOCKS_PER_USER);
  }
  chat.emit({ t: 'block', user: user.handle, blocked: handle, on, via });
  return null;
}

/** BLOCKS: the handles the user blocks, by key. */
export async function listBlocks(chat: BlocksDeps, user: Caller): Promise<string[]> {
  await chat.commits.settled();
  return chat.store.blocksOf(user.handle);
}

/**
 * The host as message delivery sees it: a DM committed on a node that had not yet heard of
 * its recipient's block (the bus's window, above) is not handed to the recipient on a node that
 * has, so nobody who got OK for BLOCK is shown a DM from that user after it (CI caught the one
 * sent in the window reaching the blocker's phone). It stays in the conversation's history.
 */
export function blockAwareDelivery(host: ChatHost, directory: Directory): Pick<ChatHost, 'interested' | 'isHere' | 'deliver'> {
  const isDm = (m: MessageEvent) => m.conv.charCodeAt(0) !== 35;
  return {
    interested: (conversation) => host.interested(conversation),
    isHere: (userKey) => host.isHere(userKey),
    deliver: (m) => host.deliver(m, isDm(m) && directory.blocks(nameKey(m.target), nameKey(m.from))),
  };
}
