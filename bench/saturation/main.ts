/**
 * Issue 16's saturation comparison: `npm run bench:saturation -- [options]` (and, in short
 * mode, scenario `g` of `npm run bench`).
 *
 *   --only sat,b      scenarios: sat (window 1, as fast as OKs come) and b (a fixed rate); default both
 *   --rounds N        run each comparison N times, SLCK then nats-server each time (default 1)
 *   --servers LIST    which servers, in order: slck,nats (default); one alone for experiments
 *   --full            30 s measured per leg (default 10 s); --duration S sets it
 *   --rate N          (b): messages per second into the 1,000-member channel (default 100 = 99,900 copies/s)
 *   --memory          SLCK with --memory instead of SQLite in a fresh data dir (`npm start` keeps SQLite)
 *   --queues          read the kernel's socket queues (ss) every 500 ms while sending
 *   --cpu-prof DIR    write a V8 CPU profile of each SLCK server into DIR
 *   --json FILE       also write every figure as JSON
 *
 * One generator process, 127.0.0.1 only; every leg stops by itself.
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { natsServerPath } from '../load/nats.ts';
import { runSaturation, table, verdicts } from './run.ts';

export type SaturationArgs = {
  only?: string; rounds?: string; servers?: string; full?: boolean; duration?: string; rate?: string;
  memory?: boolean; queues?: boolean; 'cpu-prof'?: string; json?: string;
};

/** Also what `npm run bench` calls for its scenario `g`. */
export async function saturationBench(v: SaturationArgs): Promise<boolean> {
  const log = (line: string) => console.error(`[${new Date().toISOString().slice(11, 19)}] ${line}`);
  if (natsServerPath() === null) {
    log('saturation: skipped: nats-server is not installed (apt-get install nats-server)');
    return true;
  }
  const scenarios = (v.only ?? 'sat,b').split(',').map((s) => s.trim()) as ('sat' | 'b')[];
  const started = Date.now();
  const { legs, failed } = await runSaturation({
    scenarios: scenarios.filter((s) => s === 'sat' || s === 'b'),
    rounds: Number(v.rounds ?? 1),
    servers: v.servers ? (v.servers.split(',').map((s) => s.trim()) as ('slck' | 'nats')[]) : undefined,
    full: v.full ?? false,
    store: v.memory ? 'memory' : 'sqlite',
    rate: Number(v.rate ?? 100),
    durationS: v.duration ? Number(v.duration) : undefined,
    queues: v.queues ?? false,
    slckNodeArgs: v['cpu-prof'] ? ['--cpu-prof', '--cpu-prof-dir', resolve(v['cpu-prof'])] : [],
    log,
  });
  console.log(`\nSaturation, one generator process (issue 16 §5), node ${process.version}, ${Math.round((Date.now() - started) / 1000)} s`);
  const commands = [...new Set(legs.map((l) => l.command))];
  for (const c of commands) console.log(`  server: ${c}`);
  console.log(`\n${table(legs)}\n`);
  for (const line of verdicts(legs)) console.log(line);
  if (v.json) writeFileSync(v.json, JSON.stringify(legs, null, 2));
  if (failed) console.log('\nSome copies were lost, duplicated or damaged, or a leg failed.');
  return !failed;
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  const { values } = parseArgs({
    options: {
      only: { type: 'string' },
      rounds: { type: 'string' },
      servers: { type: 'string' },
      full: { type: 'boolean' },
      duration: { type: 'string' },
      rate: { type: 'string' },
      memory: { type: 'boolean' },
      queues: { type: 'boolean' },
      'cpu-prof': { type: 'string' },
      json: { type: 'string' },
    },
    strict: true,
  });
  if (!(await saturationBench(values))) process.exitCode = 1;
}
