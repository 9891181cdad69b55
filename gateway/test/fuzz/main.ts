/**
 * The wire fuzzer's command line:
 *
 *   npm run fuzz -- --cases 1000000 [--seed N] [--transport tcp|ws|both] [--workers 4]
 *                   [--max-seconds 600] [--timeout-ms 3000] [--max-failures 500] [--no-shrink]
 *                   [--pipeline-log]   (log cases pipelined, not a line at a time: harness.ts)
 *   npm run fuzz -- --seed N --case I      replay one case, printing what it sends and gets
 *
 * It starts its own server in this process, on 127.0.0.1 with free ports and a memory store,
 * and restarts it every --batch cases so the store's memory stays bounded on long runs. It
 * stops at --cases, at --max-seconds or at --max-failures, whichever comes first, prints
 * every class of failure with a shrunk input, and exits 1 if there was any failure.
 */
import { parseArgs } from 'node:util';
import { randomInt } from 'node:crypto';
import { startServer } from '../support/server.ts';
import { escapeBytes, makeCase } from './cases.ts';
import { SERVER_OVERRIDES, Wire, classes, fuzz, runCase, type Failure, type FailureClass, type Transport } from './harness.ts';
import { shrink, type Shrunk } from './shrink.ts';

const { values } = parseArgs({
  options: {
    cases: { type: 'string', default: '10000' },
    seed: { type: 'string' },
    transport: { type: 'string', default: 'both' },
    workers: { type: 'string', default: '4' },
    'max-seconds': { type: 'string', default: '600' },
    'timeout-ms': { type: 'string', default: '3000' },
    'max-failures': { type: 'string', default: '500' },
    batch: { type: 'string', default: '100000' },
    case: { type: 'string' },
    'no-shrink': { type: 'boolean', default: false },
    'pipeline-log': { type: 'boolean', default: false },
  },
});

function int(name: string, v: string | undefined, min: number): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be a whole number of at least ${min}, not ${v}`);
  return n;
}

const seed = values.seed === undefined ? randomInt(0, 2 ** 31) : int('seed', values.seed, 0);
const transports: Transport[] = values.transport === 'both' ? ['tcp', 'ws'] : values.transport === 'tcp' || values.transport === 'ws' ? [values.transport] : [];
if (transports.length === 0) throw new Error(`--transport must be tcp, ws or both, not ${values.transport}`);
const timeoutMs = int('timeout-ms', values['timeout-ms'], 100);

/** `--case I`: the one case, on each transport, on a fresh connection. */
async function replay(index: number): Promise<number> {
  const c = makeCase(seed, index);
  console.log(`seed ${seed} case ${index} (${c.kind}), ${c.bytes.length} bytes:\n  ${escapeBytes(c.bytes, 100_000)}`);
  const server = await startServer(SERVER_OVERRIDES);
  let failed = 0;
  try {
    for (const t of transports) {
      const wire = await Wire.open(t, server, `@replay${t}`);
      // A log case on its own channel per transport, with its partner (partner.ts).
      const own = c.log && { ...c, log: { ...c.log, channel: `${c.log.channel}${t}` }, bytes: Buffer.from(Buffer.from(c.bytes).toString('latin1').split(c.log.channel).join(`${c.log.channel}${t}`), 'latin1') };
      const partner = c.log ? await Wire.partner(server, `@replayp${t}`) : null;
      const f = await runCase(wire, own || c, timeoutMs, { partner, pipelineLog: values['pipeline-log'] });
      wire.destroy();
      partner?.destroy();
      console.log(f === null ? `${t}: ok` : `${t}: FAIL ${f.key}\n${f.detail}`);
      if (f !== null) failed++;
    }
  } finally {
    await server.close();
  }
  return failed ? 1 : 0;
}

function report(cl: FailureClass, s: Shrunk | undefined): string {
  const f = cl.first;
  const c = f.case;
  const outcomes = [...cl.outcomes].map(([o, n]) => `${o} ×${n}`).join('; ');
  const lines = [
    `■ ${f.key}`,
    `  ${cl.count} case${cl.count === 1 ? '' : 's'} over ${[...cl.transports].join('+')}: ${outcomes}`,
    `  smallest: ${f.transport}, ${c.kind} case — replay: npm run fuzz -- --seed ${c.seed} --case ${c.index} --transport ${f.transport}`,
  ];
  if (s !== undefined) {
    lines.push(`  shrunk (${s.reproduced}, ${s.tries} tries): ${escapeBytes(s.bytes, 600)}`);
    if (s.splits.length) lines.push(`  split at: [${s.splits.join(', ')}]`);
  }
  lines.push(...f.detail.split('\n').map((l) => `  ${l}`));
  return lines.join('\n');
}

async function main(): Promise<number> {
  if (values.case !== undefined) return replay(int('case', values.case, 0));
  const total = int('cases', values.cases, 1);
  const workers = int('workers', values.workers, 1);
  const batch = int('batch', values.batch, 1);
  const maxFailures = int('max-failures', values['max-failures'], 1);
  const deadline = Date.now() + int('max-seconds', values['max-seconds'], 1) * 1000;
  console.log(`fuzzing: seed ${seed}, ${total} cases over ${transports.join('+')}, ${workers} connection(s) per transport`);
  const failures: Failure[] = [];
  const shrunk = new Map<string, Shrunk>();
  const started = Date.now();
  let ran = 0;
  let shown = started;
  let shrinkMs = 0;
  for (let first = 0, b = 0; first < total && Date.now() < deadline && failures.length < maxFailures; first += batch, b++) {
    const server = await startServer(SERVER_OVERRIDES);
    try {
      const res = await fuzz(
        {
          server, seed, cases: Math.min(batch, total - first), first, transports, workers, timeoutMs, deadline,
          maxFailures: maxFailures - failures.length, handlePrefix: `b${b}w`, pipelineLog: values['pipeline-log'],
        },
        (n, nf) => {
          if (Date.now() - shown < 2000) return;
          shown = Date.now();
          const done = ran + n;
          console.log(`  ${done} cases, ${Math.round(done / ((shown - started) / 1000))} cases/s, ${failures.length + nf} failures`);
        },
      );
      ran += res.ran;
      failures.push(...res.failures);
      // Shrink each new class on the server it showed on, before that server goes.
      const shrinkStart = Date.now();
      if (!values['no-shrink']) {
        for (const cl of classes(res.failures)) {
          if (shrunk.has(cl.key) || shrunk.size >= 12) continue;
          shrunk.set(cl.key, await shrink(server, cl.first, { timeoutMs: Math.min(timeoutMs, 1000), maxTries: 300, deadline: Date.now() + 30_000, pipelineLog: values['pipeline-log'] }));
        }
      }
      shrinkMs += Date.now() - shrinkStart;
    } finally {
      await server.close();
    }
  }
  // The rate counts fuzzing only; shrinking (after each batch) is reported apart.
  const secs = (Date.now() - started - shrinkMs) / 1000;
  const cls = classes(failures);
  console.log(`\nran ${ran} cases in ${secs.toFixed(1)} s: ${Math.round(ran / secs)} cases/s (seed ${seed}); ${failures.length} failures in ${cls.length} classes${shrinkMs ? `; shrinking took ${(shrinkMs / 1000).toFixed(1)} s` : ''}`);
  for (const cl of cls) console.log(`\n${report(cl, shrunk.get(cl.key))}`);
  return failures.length ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(2);
  },
);
