import type Database from 'better-sqlite3';
import { UNREAD_CAP, aroundBefore, type HistoryQuery, type KeptMessage, type LogEntry, type NewChange, type StoreWrite, type StoredMessage, type ThreadState } from './store.ts';
import { nameKey } from './keys.ts';
import { afterReply, byThreadNews, changeEntry, followersOf, mergeLog, reactionsAfter, withState, type Reactions, type ThreadSummary } from './log-state.ts';
import { applyChange, type ChangeHandlers } from './writes.ts';
import type { prepareSearch } from './sqlite-search.ts';

type Append = Extract<StoreWrite, { op: 'append' }>;
export type MessageRow = {
  conversation: string; id: number; target: string; sender: string; ts: string; body: Buffer;
  root: number | null; also: number; edited: string | null; deleted: number; reactions: string | null;
};
type ThreadRow = { root: number; replies: number; last_id: number; last_ts: string; repliers: string };
/** SEARCH's index (sqlite-search.ts): a new message queued for it, an edit or a delete told. */
type SearchIndex = Pick<ReturnType<typeof prepareSearch>, 'rowidFor' | 'indexed' | 'reindexed' | 'unindexed'>;

export const MESSAGE_COLUMNS = 'm.conversation, m.id, m.target, m.sender, m.ts, m.body, m.root, m.also, m.edited, m.deleted, m.reactions';
const NO_UPPER_BOUND = Number.MAX_SAFE_INTEGER;
const EMPTY = Buffer.alloc(0);

/**
 * The log on SQLite (migration 5): messages and replies, changes, reactions, thread summaries
 * and thread marks; the writes SqliteStore runs inside a batch's transaction, and the reads.
 */
export function prepareLog(db: Database.Database, index: SearchIndex) {
  const range = (order: 'ASC' | 'DESC') =>
    db.prepare(`SELECT ${MESSAGE_COLUMNS} FROM messages m WHERE m.conversation = ? AND m.id > ? AND m.id < ? ORDER BY m.id ${order} LIMIT ?`);
  const rangeDesc = range('DESC');
  const rangeAsc = range('ASC');
  type Run = { first: number; last: number };
  const runAtOrAfter = db.prepare('SELECT first, last FROM reply_runs WHERE conversation = ? AND last >= ? ORDER BY last LIMIT 1');
  const runBefore = db.prepare('SELECT first, last FROM reply_runs WHERE conversation = ? AND last < ? ORDER BY last DESC LIMIT 1');
  /**
   * Up to `limit` main-flow messages strictly between lo and hi, nearest hi first (desc) or
   * nearest lo (migration 11): every hidden reply is in a run, and between two runs are only
   * main-flow rows, so each step reads one gap between runs, all of whose rows are shown. Two
   * runs are never adjacent, so a page takes at most limit + 1 steps.
   */
  function mainFlow(conversation: string, lo: number, hi: number, limit: number, desc: boolean): MessageRow[] {
    const out: MessageRow[] = [];
    const take = (rows: MessageRow[]) => { for (const r of rows) if (!isHiddenReply(r)) out.push(r); };
    if (desc) {
      const inside = runAtOrAfter.get(conversation, hi) as Run | undefined;
      if (inside !== undefined && inside.first < hi) hi = inside.first;
      while (out.length < limit && lo < hi) {
        const run = runBefore.get(conversation, hi) as Run | undefined;
        take(rangeDesc.all(conversation, Math.max(lo, run?.last ?? lo), hi, limit - out.length) as MessageRow[]);
        if (run === undefined) break;
        hi = run.first;
      }
    } else {
      while (out.length < limit && lo < hi) {
        const run = runAtOrAfter.get(conversation, lo + 1) as Run | undefined;
        if (run !== undefined && run.first <= lo) { lo = run.last; continue; }
        take(rangeAsc.all(conversation, lo, Math.min(hi, run?.first ?? hi), limit - out.length) as MessageRow[]);
        if (run === undefined) break;
        lo = run.last;
      }
    }
    return out;
  }

  const sql = {
    append: db.prepare(
      'INSERT INTO messages (rowid, conversation, id, target, sender, ts, body, root, also) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
    ),
    change: db.prepare('INSERT INTO changes (conversation, id, kind, of, target, sender, ts, reaction) VALUES (?, ?, ?, ?, ?, ?, ?, ?)'),
    edit: db.prepare('UPDATE messages SET body = ?, edited = ? WHERE conversation = ? AND id = ? AND deleted = 0 RETURNING rowid'),
    erase: db.prepare("UPDATE messages SET body = x'', deleted = 1, reactions = NULL WHERE conversation = ? AND id = ? AND deleted = 0 RETURNING rowid"),
    dropReactions: db.prepare('DELETE FROM reactions WHERE conversation = ? AND id = ?'),
    dropMentions: db.prepare('DELETE FROM mentions WHERE conversation = ? AND id = ?'),
    dropOffline: db.prepare('DELETE FROM offline WHERE conversation = ? AND id = ?'),
    react: db.prepare('INSERT OR IGNORE INTO reactions (conversation, id, reaction, user_key, user, added) VALUES (?, ?, ?, ?, ?, ?)'),
    unreact: db.prepare('DELETE FROM reactions WHERE conversation = ? AND id = ? AND reaction = ? AND user_key = ?'),
    getThread: db.prepare('SELECT root, replies, last_id, last_ts, repliers FROM threads WHERE conversation = ? AND root = ?'),
    putThread: db.prepare(
      'INSERT INTO threads (conversation, root, replies, last_id, last_ts, repliers) VALUES (?, ?, ?, ?, ?, ?) ' +
        'ON CONFLICT (conversation, root) DO UPDATE SET replies = excluded.replies, last_id = excluded.last_id, ' +
        'last_ts = excluded.last_ts, repliers = excluded.repliers',
    ),
    follow: db.prepare(
      'INSERT INTO thread_marks (user_key, conversation, root, read_id, following) VALUES (?, ?, ?, 0, 1) ' +
        'ON CONFLICT (user_key, conversation, root) DO UPDATE SET following = 1',
    ),
    markThreadRead: db.prepare(
      'INSERT INTO thread_marks (user_key, conversation, root, read_id, following) VALUES (?, ?, ?, ?, 0) ' +
        'ON CONFLICT (user_key, conversation, root) DO UPDATE SET read_id = max(read_id, excluded.read_id)',
    ),
    one: db.prepare(`SELECT ${MESSAGE_COLUMNS} FROM messages m WHERE m.conversation = ? AND m.id = ?`),
    before: db.prepare('SELECT id, root, also FROM messages WHERE conversation = ? AND id < ? ORDER BY id DESC LIMIT 1'),
    extendRun: db.prepare('UPDATE reply_runs SET last = ? WHERE conversation = ? AND last = ?'),
    startRun: db.prepare('INSERT INTO reply_runs (conversation, last, first) VALUES (?, ?, ?)'),
    shownReactions: db.prepare('SELECT reactions FROM messages WHERE conversation = ? AND id = ?'),
    showReactions: db.prepare('UPDATE messages SET reactions = ? WHERE conversation = ? AND id = ?'),
    threadsIn: db.prepare('SELECT root, replies, last_id, last_ts, repliers FROM threads WHERE conversation = ? AND root >= ? AND root <= ?'),
    replies: db.prepare(`SELECT ${MESSAGE_COLUMNS} FROM messages m WHERE m.conversation = ? AND m.root = ? ORDER BY m.id DESC LIMIT ?`),
    logMessages: db.prepare(`SELECT ${MESSAGE_COLUMNS} FROM messages m WHERE m.conversation = ? AND m.id > ? ORDER BY m.id LIMIT ?`),
    logChanges: db.prepare(
      "SELECT ch.id, ch.kind, ch.of, ch.target, ch.sender, ch.ts, ch.reaction, CASE WHEN ch.kind = 'edit' THEN m.body END AS body " +
        'FROM changes ch LEFT JOIN messages m ON m.conversation = ch.conversation AND m.id = ch.of ' +
        'WHERE ch.conversation = ? AND ch.id > ? ORDER BY ch.id LIMIT ?',
    ),
    followed: db.prepare(
      'SELECT tm.conversation, tm.root, tm.read_id, t.replies, t.last_id, t.last_ts FROM thread_marks tm ' +
        'JOIN threads t ON t.conversation = tm.conversation AND t.root = tm.root WHERE tm.user_key = ? AND tm.following = 1',
    ),
    unreadReplies: db.prepare(
      'SELECT count(*) FROM (SELECT 1 FROM messages WHERE conversation = ? AND root = ? AND id > ? AND deleted = 0 ' +
        `AND lower(sender) <> ? LIMIT ${UNREAD_CAP})`,
    ),
    replyMentions: db.prepare(
      'SELECT count(*) FROM (SELECT DISTINCT mn.id FROM mentions mn JOIN messages m ON m.conversation = mn.conversation AND m.id = mn.id ' +
        "WHERE mn.conversation = ? AND mn.id > ? AND mn.user_key IN (?, '*') AND m.root = ? AND m.deleted = 0 " +
        `AND lower(m.sender) <> ? LIMIT ${UNREAD_CAP})`,
    ),
    channelName: db.prepare('SELECT name FROM channels WHERE key = ?'),
    userHandle: db.prepare('SELECT handle FROM users WHERE key = ?'),
  };

  type Ctx = { conversation: string; id: number };
  const changes: ChangeHandlers<Ctx, void> = {
    edit: (c, { conversation }) => {
      const rowid = sql.edit.pluck().get(c.body, c.ts, conversation, c.of) as number | undefined;
      if (rowid !== undefined) index.reindexed(rowid, c.body);
    },
    delete: (c, { conversation }) => {
      const rowid = sql.erase.pluck().get(conversation, c.of) as number | undefined;
      if (rowid === undefined) return;
      index.unindexed(rowid);
      sql.dropReactions.run(conversation, c.of);
      sql.dropMentions.run(conversation, c.of);
      sql.dropOffline.run(conversation, c.of);
    },
    react: (c, { conversation, id }) => {
      if (sql.react.run(conversation, c.of, c.reaction, nameKey(c.from), c.from, id).changes > 0) shown(conversation, c);
    },
    unreact: (c, { conversation }) => {
      if (sql.unreact.run(conversation, c.of, c.reaction, nameKey(c.from)).changes > 0) shown(conversation, c);
    },
  };

  /** The message's reactions column after a change of its set (migration 5). */
  function shown(conversation: string, c: NewChange & { kind: 'react' | 'unreact' }): void {
    const json = sql.shownReactions.pluck().get(conversation, c.of) as string | null | undefined;
    const list = reactionsAfter(json == null ? [] : (JSON.parse(json) as Reactions), c.kind, c.reaction, c.from);
    sql.showReactions.run(list.length === 0 ? null : JSON.stringify(list), conversation, c.of);
  }

  /**
   * Messages in their current state with reactions (their rows' column) and thread summaries:
   * by id range for a page of the main flow, one by one for a thread.
   */
  function full<M extends StoredMessage>(conversation: string, rows: MessageRow[], dense: boolean, build: (row: MessageRow) => M): M[] {
    if (rows.length === 0) return [];
    const first = rows[0].id;
    const last = rows[rows.length - 1].id;
    const threads = new Map<number, ThreadSummary>();
    const threadRows = dense
      ? (sql.threadsIn.all(conversation, first, last) as ThreadRow[])
      : [sql.getThread.get(conversation, first) as ThreadRow | undefined].filter((t) => t !== undefined);
    for (const t of threadRows) threads.set(t.root, toSummary(t));
    // One object per message, built once: a page of 200 is HISTORY's hot path.
    return rows.map((r) => {
      const m = build(r);
      if (r.reactions !== null) m.reactions = JSON.parse(r.reactions) as Reactions;
      const t = threads.get(r.id);
      if (t !== undefined && t.count > 0) m.thread = t;
      return m;
    });
  }

  const message = (conversation: string, id: number): KeptMessage | undefined => {
    const row = sql.one.get(conversation, id) as MessageRow | undefined;
    return row && full(conversation, [row], false, toKept)[0];
  };

  return {
    append(conversation: string, id: number, a: Append): void {
      const { target, from, ts, body } = a.message;
      const rowid = index.rowidFor(ts);
      sql.append.run(rowid, conversation, id, target, from, ts, body, a.root ?? null, a.also === true ? 1 : 0);
      index.indexed(rowid, body);
      if (a.root === undefined) return;
      if (a.also !== true) {
        // A hidden reply extends the run its conversation's previous row ends, or starts one.
        const prev = sql.before.get(conversation, id) as Pick<MessageRow, 'id' | 'root' | 'also'> | undefined;
        if (prev !== undefined && isHiddenReply(prev)) sql.extendRun.run(id, conversation, prev.id);
        else sql.startRun.run(conversation, id, id);
      }
      const old = sql.getThread.get(conversation, a.root) as ThreadRow | undefined;
      const t = afterReply(old && toSummary(old), id, ts, from);
      sql.putThread.run(conversation, a.root, t.count, t.lastId, t.lastTs, JSON.stringify(t.by));
      const root = sql.one.get(conversation, a.root) as MessageRow | undefined;
      for (const user of followersOf(from, root?.sender, a.mentions)) sql.follow.run(user, conversation, a.root);
    },
    change(conversation: string, id: number, c: NewChange): void {
      sql.change.run(conversation, id, c.kind, c.of, c.target, c.from, c.ts, 'reaction' in c ? c.reaction : null);
      applyChange(changes, c, { conversation, id });
    },
    markThreadRead(handle: string, conversation: string, root: number, id: number): void {
      sql.markThreadRead.run(nameKey(handle), conversation, root, id);
    },
    history(conversation: string, q: HistoryQuery): StoredMessage[] {
      const limit = Math.floor(q.limit);
      if (!(limit > 0)) return []; // SQLite reads LIMIT -1 as "no limit"
      let rows: MessageRow[];
      if (q.around !== undefined) {
        const older = mainFlow(conversation, 0, q.around, aroundBefore(limit), true).reverse();
        rows = older.concat(mainFlow(conversation, q.around - 1, NO_UPPER_BOUND, limit - older.length, false));
      } else if (q.after !== undefined) {
        rows = mainFlow(conversation, q.after, q.before ?? NO_UPPER_BOUND, limit, false);
      } else {
        rows = mainFlow(conversation, 0, q.before ?? NO_UPPER_BOUND, limit, true).reverse();
      }
      return full(conversation, rows, true, toMessage);
    },
    log(conversation: string, after: number, limit: number): LogEntry[] {
      const n = Math.floor(limit);
      if (!(n > 0)) return [];
      const messages = (sql.logMessages.all(conversation, after, n) as MessageRow[]).map((r): LogEntry => ({ kind: 'msg', ...toMessage(r) }));
      type ChangeRow = { id: number; kind: string; of: number; target: string; sender: string; ts: string; reaction: string | null; body: Buffer | null };
      const changed = (sql.logChanges.all(conversation, after, n) as ChangeRow[])
        .map((r) => changeEntry({ ...r, from: r.sender }, r.body === null ? undefined : bytes(r.body)));
      return mergeLog(messages, changed, n);
    },
    message,
    thread(conversation: string, root: number, limit: number): StoredMessage[] {
      let head = message(conversation, root);
      if (head?.root !== undefined) head = message(conversation, head.root);
      if (head === undefined) return [];
      const { conversation: _, ...rootMessage } = head;
      const n = Math.max(0, Math.floor(limit));
      const replies = n === 0 ? [] : (sql.replies.all(conversation, head.id, n) as MessageRow[]).reverse();
      return [rootMessage, ...full(conversation, replies, false, toMessage)];
    },
    threadsOf(handle: string): ThreadState[] {
      const me = nameKey(handle);
      type Row = { conversation: string; root: number; read_id: number; replies: number; last_id: number; last_ts: string };
      const out: ThreadState[] = [];
      for (const r of sql.followed.all(me) as Row[]) {
        const target = targetOf(r.conversation, me);
        if (target === undefined) continue;
        const behind = r.last_id > r.read_id;
        out.push({
          conversation: r.conversation, target, root: r.root, replies: r.replies, lastId: r.last_id, lastTs: r.last_ts, readId: r.read_id,
          unread: behind ? (sql.unreadReplies.pluck().get(r.conversation, r.root, r.read_id, me) as number) : 0,
          mentions: behind ? (sql.replyMentions.pluck().get(r.conversation, r.read_id, me, r.root, me) as number) : 0,
        });
      }
      return out.sort(byThreadNews);
    },
  };

  /** As the user names a conversation: the channel's name, or the other user's handle. */
  function targetOf(conversation: string, me: string): string | undefined {
    const [a, b] = conversation.split(' ');
    if (b === undefined) return sql.channelName.pluck().get(a) as string | undefined;
    const other = a === me ? b : a;
    return (sql.userHandle.pluck().get(other) as string | undefined) ?? other;
  }
}

/** A thread reply not shown in the main flow (root set, also not). */
export const isHiddenReply = (r: Pick<MessageRow, 'root' | 'also'>): boolean => r.root !== null && r.also === 0;

const bytes = (b: Buffer): Uint8Array => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);

const toSummary = (t: ThreadRow): ThreadSummary =>
  ({ count: t.replies, lastId: t.last_id, lastTs: t.last_ts, by: JSON.parse(t.repliers) as string[] });

export function toMessage(row: MessageRow): StoredMessage {
  const m: StoredMessage = { id: row.id, target: row.target, from: row.sender, ts: row.ts, body: bytes(row.body ?? EMPTY) };
  return withState(m, { root: row.root, also: row.also === 1, edited: row.edited, deleted: row.deleted === 1 });
}

export function toKept(row: MessageRow): KeptMessage {
  return { ...toMessage(row), conversation: row.conversation };
}

