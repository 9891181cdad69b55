import type Database from 'better-sqlite3';
import { UNREAD_CAP, type ConversationState } from './store.ts';
import { byRecent, dmPairKey, nameKey } from './keys.ts';

/**
 * Read marks, mentions and direct partners on SQLite (migration 3; main flow: 5): the statements, and the
 * writes and reads SqliteStore hands over to them. Counts stop at UNREAD_CAP, so asking
 * what is unread costs at most that many index steps per conversation however long the
 * user was away.
 */
export function prepareReadState(db: Database.Database) {
  const upsertMark = (value: string) =>
    db.prepare(
      `INSERT INTO read_marks (user_key, conversation, read_id) VALUES (?, ?, ${value}) ` +
        'ON CONFLICT (user_key, conversation) DO UPDATE SET read_id = max(read_id, excluded.read_id)',
    );
  const sql = {
    markRead: upsertMark('?'),
    // Joining reads the channel up to then.
    markJoined: upsertMark('coalesce((SELECT last_id FROM conversations WHERE key = ?), 0)'),
    mention: db.prepare('INSERT OR IGNORE INTO mentions (conversation, id, user_key) VALUES (?, ?, ?)'),
    partner: db.prepare('INSERT OR IGNORE INTO direct_partners (user_key, partner_key, partner) VALUES (?, ?, ?)'),
    partners: db.prepare('SELECT partner_key AS key, partner AS handle FROM direct_partners WHERE user_key = ?'),
    channelName: db.prepare('SELECT name FROM channels WHERE key = ?'),
    // The newest entry is a message or a change (migration 5): its time either way.
    last: db.prepare(
      'SELECT c.last_id AS lastId, coalesce(m.ts, ch.ts) AS ts FROM conversations c ' +
        'LEFT JOIN messages m ON m.conversation = c.key AND m.id = c.last_id ' +
        'LEFT JOIN changes ch ON ch.conversation = c.key AND ch.id = c.last_id WHERE c.key = ?',
    ),
    readId: db.prepare('SELECT read_id FROM read_marks WHERE user_key = ? AND conversation = ?'),
    // Main-flow messages only, not deleted: the gaps between the runs of thread replies not
    // in the main flow (migration 11), each of which holds only main-flow rows.
    unreadIn: db.prepare(
      'SELECT count(*) FROM (SELECT 1 FROM messages WHERE conversation = ? AND id > ? AND id < ? AND deleted = 0 AND lower(sender) <> ? LIMIT ?)',
    ),
    runAfter: db.prepare('SELECT first, last FROM reply_runs WHERE conversation = ? AND last > ? ORDER BY last LIMIT 1'),
    mentions: db.prepare(
      'SELECT count(*) FROM (SELECT DISTINCT mn.id FROM mentions mn JOIN messages m ON m.conversation = mn.conversation AND m.id = mn.id ' +
        "WHERE mn.conversation = ? AND mn.id > ? AND mn.user_key IN (?, '*') AND (m.root IS NULL OR m.also = 1) AND m.deleted = 0 " +
        `AND lower(m.sender) <> ? LIMIT ${UNREAD_CAP})`,
    ),
  };

  // Pairs of users known to have talked (their rows are committed): a DM between them needs no
  // insert. Bounded; forgetting only costs an INSERT OR IGNORE that changes nothing.
  const known = new Set<string>();
  let pending: string[] = [];
  const KNOWN_MAX = 100_000;

  function unreadAfter(conversation: string, readId: number, me: string): number {
    let n = 0;
    let lo = readId;
    while (n < UNREAD_CAP) {
      const run = sql.runAfter.get(conversation, lo) as { first: number; last: number } | undefined;
      if (run === undefined || run.first > lo) {
        n += sql.unreadIn.pluck().get(conversation, lo, run?.first ?? Number.MAX_SAFE_INTEGER, me, UNREAD_CAP - n) as number;
      }
      if (run === undefined) break;
      lo = run.last;
    }
    return n;
  }

  function state(me: string, conversation: string, target: string): ConversationState {
    const last = sql.last.get(conversation) as { lastId: number; ts: string | null } | undefined;
    const readId = (sql.readId.pluck().get(me, conversation) as number | undefined) ?? 0;
    const lastId = last?.lastId ?? 0;
    const behind = lastId > readId;
    return {
      conversation, target, lastId, lastTs: last?.ts ?? null, readId,
      unread: behind ? unreadAfter(conversation, readId, me) : 0,
      mentions: behind ? (sql.mentions.pluck().get(conversation, readId, me, me) as number) : 0,
    };
  }

  return {
    markRead(handle: string, conversation: string, id: number): void {
      sql.markRead.run(nameKey(handle), conversation, id);
    },
    markJoined(handle: string, channel: string): void {
      sql.markJoined.run(nameKey(handle), nameKey(channel), nameKey(channel));
    },
    /** After a message is stored: whom it mentions, and for a DM, that the two have talked. */
    appended(conversation: string, id: number, from: string, target: string, mentions: string[] | undefined): void {
      for (const user of mentions ?? []) sql.mention.run(conversation, id, user);
      if (!target.startsWith('@')) return;
      const pair = `${nameKey(from)} ${nameKey(target)}`;
      if (known.has(pair)) return;
      sql.partner.run(nameKey(from), nameKey(target), target);
      sql.partner.run(nameKey(target), nameKey(from), from);
      pending.push(pair);
    },
    /** The batch committed: its pairs are stored. */
    committed(): void {
      if (pending.length === 0) return;
      if (known.size + pending.length > KNOWN_MAX) known.clear();
      for (const p of pending) known.add(p);
      pending = [];
    },
    /** The batch was rolled back: its pairs may not be stored. */
    rolledBack(): void {
      pending = [];
    },
    conversationsOf(handle: string, channels: string[]): ConversationState[] {
      const me = nameKey(handle);
      const out: ConversationState[] = [];
      for (const key of channels) {
        const name = sql.channelName.pluck().get(key) as string | undefined;
        if (name !== undefined) out.push(state(me, key, name));
      }
      for (const p of sql.partners.all(me) as Array<{ key: string; handle: string }>) out.push(state(me, dmPairKey(me, p.key), p.handle));
      return out.sort(byRecent);
    },
  };
}
