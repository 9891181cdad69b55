import type Database from 'better-sqlite3';
import { nameKey } from './keys.ts';
import type { ChannelRole, ModAction, ModEntry, StoredModeration, StoreWrite } from './store.ts';

type Write<K extends 'setRole' | 'setBan' | 'setSuspended' | 'logModeration'> = Extract<StoreWrite, { op: K }>;
type ModRow = { ts: string; action: ModAction; by_handle: string; whom: string; channel: string | null; msg_id: number | null; reason: string | null };

export const toModEntry = (r: ModRow): ModEntry => ({ ts: r.ts, action: r.action, by: r.by_handle, whom: r.whom, channel: r.channel, id: r.msg_id, reason: r.reason });

/** Roles, bans, suspensions and the moderation log on SQLite (migration 9). */
export function prepareModeration(db: Database.Database) {
  const sql = {
    owner: db.prepare("SELECT user_key FROM channel_roles WHERE channel_key = ? AND role = 'owner'"),
    demoteOwner: db.prepare("UPDATE channel_roles SET role = 'op' WHERE channel_key = ? AND role = 'owner' AND user_key <> ?"),
    // An upsert keeps the row, so its seq: the order the role was first granted.
    upsert: db.prepare('INSERT INTO channel_roles (channel_key, user_key, role) VALUES (?, ?, ?) ON CONFLICT (channel_key, user_key) DO UPDATE SET role = excluded.role'),
    addOp: db.prepare("INSERT INTO channel_roles (channel_key, user_key, role) VALUES (?, ?, 'op') ON CONFLICT (channel_key, user_key) DO NOTHING"),
    dropRole: db.prepare('DELETE FROM channel_roles WHERE channel_key = ? AND user_key = ?'),
    ban: db.prepare('INSERT OR IGNORE INTO channel_bans (channel_key, user_key) VALUES (?, ?)'),
    unban: db.prepare('DELETE FROM channel_bans WHERE channel_key = ? AND user_key = ?'),
    suspend: db.prepare('INSERT OR IGNORE INTO suspensions (user_key) VALUES (?)'),
    unsuspend: db.prepare('DELETE FROM suspensions WHERE user_key = ?'),
    log: db.prepare('INSERT INTO modlog (ts, action, by_handle, whom, channel, channel_key, msg_id, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?)'),
    roles: db.prepare('SELECT channel_key AS channel, user_key AS user, role FROM channel_roles ORDER BY seq'),
    // Who banned, when and why: the ban's newest entry in the log (the same commit wrote both).
    bans: db.prepare(`SELECT b.channel_key AS channel, b.user_key AS user, m.by_handle AS "by", m.ts AS ts, m.reason AS reason FROM channel_bans b
      LEFT JOIN modlog m ON m.seq = (SELECT max(seq) FROM modlog WHERE channel_key = b.channel_key AND action = 'ban' AND lower(whom) = b.user_key)
      ORDER BY b.channel_key, b.user_key`),
    suspended: db.prepare('SELECT user_key FROM suspensions ORDER BY user_key'),
    all: db.prepare('SELECT ts, action, by_handle, whom, channel, msg_id, reason FROM modlog ORDER BY seq DESC LIMIT ?'),
    of: db.prepare('SELECT ts, action, by_handle, whom, channel, msg_id, reason FROM modlog WHERE channel_key IN (SELECT value FROM json_each(?)) ORDER BY seq DESC LIMIT ?'),
  };
  return {
    setRole(w: Write<'setRole'>): void {
      const ch = nameKey(w.channel);
      const user = nameKey(w.handle);
      if (w.role === null) sql.dropRole.run(ch, user);
      else if (w.role === 'op') sql.addOp.run(ch, user);
      else {
        const owner = sql.owner.pluck().get(ch) as string | undefined;
        if (owner !== undefined && w.ifNoOwner) return;
        sql.demoteOwner.run(ch, user);
        sql.upsert.run(ch, user, 'owner' satisfies ChannelRole);
      }
    },
    setBan(w: Write<'setBan'>): void {
      (w.on ? sql.ban : sql.unban).run(nameKey(w.channel), nameKey(w.handle));
    },
    setSuspended(w: Write<'setSuspended'>): void {
      (w.on ? sql.suspend : sql.unsuspend).run(nameKey(w.handle));
    },
    append({ entry: e }: Write<'logModeration'>): void {
      sql.log.run(e.ts, e.action, e.by, e.whom, e.channel, e.channel === null ? null : nameKey(e.channel), e.id, e.reason);
    },
    list(): StoredModeration {
      return {
        roles: sql.roles.all() as StoredModeration['roles'],
        bans: sql.bans.all() as StoredModeration['bans'],
        suspended: sql.suspended.pluck().all() as string[],
      };
    },
    entries(channels: string[] | null, limit: number): ModEntry[] {
      const rows = (channels === null ? sql.all.all(limit) : sql.of.all(JSON.stringify(channels), limit)) as ModRow[];
      return rows.map(toModEntry);
    },
  };
}
