/**
 * Shrinks a failing input to a small one that fails the same way (the same class key), so
 * a report shows `MSG #general 5 6\r\n......` and not 4 kB of noise. Each try replays the
 * candidate, unsplit, on a new connection with a fresh session, so what is left does not
 * depend on what earlier cases did to the connection.
 */
import type { TestServer } from '../support/server.ts';
import { caseOf } from './cases.ts';
import { Wire, runCase, type Failure } from './harness.ts';

export type Shrunk = {
  bytes: Uint8Array;
  /** Split points still needed (when the failure shows only with the case's own splits). */
  splits: number[];
  reproduced: 'unsplit' | 'with its splits' | 'not on a fresh connection';
  tries: number;
};

export type ShrinkOptions = { timeoutMs: number; maxTries: number; deadline: number; pipelineLog?: boolean };

let serial = 0;

/** Whether `bytes` sent this way still fails with `key`. */
async function failsAs(server: TestServer, f: Failure, bytes: Uint8Array, splits: number[], timeoutMs: number, pipelineLog = false): Promise<boolean> {
  // A log case's channel must be new: each try renames it (#lg12 -> #lg12s7) in the bytes.
  const plan = f.case.log;
  const fresh = plan && { ...plan, channel: `${plan.channel}s${serial}` };
  const renamed = plan ? renameChannel(bytes, plan.channel, fresh!.channel) : bytes;
  const c = caseOf(renamed, 900_000_000 + serial, splits, f.case.textFrames, 0, fresh);
  if (c === null) return false; // it would QUIT
  const wire = await Wire.open(f.transport, server, `@shrink${serial}`);
  const partner = plan ? await Wire.partner(server, `@shrinkp${serial}`) : null;
  serial++;
  try {
    return (await runCase(wire, c, timeoutMs, { partner, pipelineLog }))?.key === f.key;
  } finally {
    wire.destroy();
    partner?.destroy();
  }
}

/** Bytes with every `from` replaced by `to` (a channel's name, which is ASCII). */
function renameChannel(bytes: Uint8Array, from: string, to: string): Uint8Array {
  return Buffer.from(Buffer.from(bytes).toString('latin1').split(from).join(to), 'latin1');
}

export async function shrink(server: TestServer, f: Failure, opts: ShrinkOptions): Promise<Shrunk> {
  let tries = 0;
  const budget = () => tries < opts.maxTries && Date.now() < opts.deadline;
  const attempt = (bytes: Uint8Array, splits: number[] = []) => {
    tries++;
    return failsAs(server, f, bytes, splits, opts.timeoutMs, opts.pipelineLog);
  };
  const original = f.case.bytes;
  if (!(await attempt(original))) {
    const withSplits = await attempt(original, f.case.splits);
    return { bytes: original, splits: f.case.splits, reproduced: withSplits ? 'with its splits' : 'not on a fresh connection', tries };
  }
  let cur = Buffer.from(original);
  // Whole lines first (most cases are a few commands), then halving ranges of bytes.
  const lines = (b: Buffer) => {
    const out: [number, number][] = [];
    for (let at = 0; at < b.length; ) {
      const lf = b.indexOf(10, at);
      const end = lf === -1 ? b.length : lf + 1;
      out.push([at, end]);
      at = end;
    }
    return out;
  };
  const without = (b: Buffer, from: number, to: number) => Buffer.concat([b.subarray(0, from), b.subarray(to)]);
  for (let progress = true; progress && budget(); ) {
    progress = false;
    const ls = lines(cur);
    for (let i = ls.length - 1; i >= 0 && budget() && ls.length > 1; i--) {
      const next = without(cur, ls[i][0], ls[i][1]);
      if (await attempt(next)) {
        cur = next;
        progress = true;
        break;
      }
    }
  }
  for (let chunk = Math.max(1, cur.length >> 1); chunk >= 1 && budget(); chunk >>= 1) {
    for (let at = 0; at + 1 <= cur.length && budget(); ) {
      const next = without(cur, at, Math.min(cur.length, at + chunk));
      if (next.length > 0 && (await attempt(next))) cur = next;
      else at += chunk;
    }
    if (chunk === 1) break;
  }
  return { bytes: cur, splits: [], reproduced: 'unsplit', tries };
}
