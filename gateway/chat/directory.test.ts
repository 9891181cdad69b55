/**
 * The directory is a cache of the store that the bus keeps current; a reload (after the bus may
 * have lost events) reads the store while events still arrive. Those events must survive it.
 */
import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../store/memory-store.ts';
import { Directory } from './directory.ts';

describe('Directory reload', () => {
  it('keeps what was applied while it read the store: a JOIN made during a resync is still there after', async () => {
    const store = new MemoryStore();
    await store.commit([{ op: 'addUser', handle: '@kim' }, { op: 'addUser', handle: '@ann' }, { op: 'addChannel', name: '#devices' }]);
    const dir = new Directory();
    await dir.load(store);
    // A resync starts; before its snapshot is back, two commits' events are applied (one read
    // before the snapshot, one after: each is applied again on top of it, harmlessly).
    const reload = dir.load(store);
    dir.apply({ t: 'joined', channel: '#devices', user: '@kim' });
    dir.apply({ t: 'block', user: '@ann', blocked: '@kim', on: true, via: 'n1' });
    await reload;
    expect(dir.isMember('#devices', '@kim')).toBe(true);
    expect(dir.channel('#devices')?.members.size).toBe(1);
    expect(dir.blocks('@ann', '@kim')).toBe(true);
    // Once it is over, later events are not kept for a reload that has ended.
    dir.apply({ t: 'left', channel: '#devices', user: '@kim' });
    await dir.load(store);
    expect(dir.isMember('#devices', '@kim')).toBe(false);
  });
});
