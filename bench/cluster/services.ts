/**
 * PostgreSQL and Redis for the cluster bench: the real servers of gateway/test/support/services.ts
 * (Debian's packages, free ports, temporary directories, PostgreSQL with fsync and
 * synchronous_commit on). One PostgreSQL for the whole run, with a fresh database per
 * scenario; a fresh Redis per scenario. And the CPU time each has used, read from /proc.
 */
import { readdirSync, readFileSync, statfsSync } from 'node:fs';
import pg from 'pg';
import * as services from '../../gateway/test/support/services.ts';
import type { TestPostgres, TestRedis } from '../../gateway/test/support/services.ts';
import { cpuSeconds } from '../load/server.ts';

export type { TestPostgres, TestRedis };

/** What is still running, so an interrupted run (Ctrl-C) stops it too. */
const live = new Set<() => Promise<void>>();

export async function startPostgres(): Promise<TestPostgres> {
  const p = await services.startPostgres();
  const stop = p.stop;
  const entry = () => stop();
  live.add(entry);
  return { ...p, stop: () => (live.delete(entry), stop()) };
}

export async function startRedis(): Promise<TestRedis> {
  const r = await services.startRedis();
  const stop = r.stop;
  const entry = () => stop();
  live.add(entry);
  return { ...r, stop: () => (live.delete(entry), stop()) };
}

/** Stop every PostgreSQL and Redis this run started and has not stopped. */
export async function stopAllServices(): Promise<void> {
  await Promise.allSettled([...live].map((stop) => stop()));
  live.clear();
}

/** A new, empty database on `server`; its URL. */
export async function freshDatabase(server: TestPostgres, name: string): Promise<string> {
  const client = new pg.Client({ connectionString: server.url });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS ${name}`);
    await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
  return server.url.replace(/\/[^/]*$/, `/${name}`);
}

/** `conversation:id` of every message stored in the database at `url` (the checker's `committed`). */
export async function committedKeys(url: string): Promise<Set<string>> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ conversation: string; id: string }>('SELECT conversation, id FROM messages');
    return new Set(rows.map((r) => `${r.conversation}:${r.id}`));
  } finally {
    await client.end();
  }
}

type Proc = { pid: number; ppid: number; cmdline: string };

function processes(): Proc[] {
  const out: Proc[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const cmdline = readFileSync(`/proc/${name}/cmdline`, 'utf8').replace(/\0/g, ' ');
      out.push({ pid: Number(name), ppid, cmdline });
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/**
 * CPU seconds used so far by the PostgreSQL server on `port`, per process (the postmaster
 * and every backend now alive: compare two readings by pid, as the nodes' pools close idle
 * connections and open new ones), and by the Redis server on `port`.
 */
export function serviceCpu(pgPort: number, redisPort: number | null): { pg: Map<number, number>; redis: number } {
  const all = processes();
  const master = all.find((p) => /postgres/.test(p.cmdline) && p.cmdline.includes(` -p ${pgPort} `));
  const pgCpu = new Map<number, number>();
  if (master) for (const p of all) if (p.pid === master.pid || p.ppid === master.pid) pgCpu.set(p.pid, cpuSeconds(p.pid) || 0);
  let redisCpu = 0;
  if (redisPort !== null) {
    const r = all.find((p) => /redis-server/.test(p.cmdline) && (p.cmdline.includes(`:${redisPort}`) || p.cmdline.includes(`--port ${redisPort} `)));
    if (r) redisCpu = cpuSeconds(r.pid) || 0;
  }
  return { pg: pgCpu, redis: redisCpu };
}

const FS_TYPES: Record<number, string> = { 0xef53: 'ext4', 0x01021994: 'tmpfs', 0x794c7630: 'overlayfs', 0x58465342: 'xfs', 0x9123683e: 'btrfs' };

export function fsType(path: string): string {
  const t = statfsSync(path).type;
  return FS_TYPES[t] ?? `fs 0x${t.toString(16)}`;
}
