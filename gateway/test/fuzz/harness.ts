/**
 * Runs fuzz cases against a live server over TCP and WebSocket, several connections at a
 * time. Each case: the model (model.ts) predicts the replies the case's bytes are owed; the
 * case, its padding and a sentinel `PING z<i>` are sent, split as the case says; then the
 * replies up to the sentinel's PONG are compared with the prediction. Events and live
 * deliveries may come between replies and are not counted (frames.ts sorts them out).
 *
 * A failing connection is thrown away (its state is unknown) and a new one registered.
 */
import type { Config } from '../../config.ts';
import type { TestServer } from '../support/server.ts';
import { LOGGED, framesOff, modelForm, replyFrames, type Frame } from './frames.ts';
import { WireModel, type Expect } from './model.ts';
import { Wire, type Transport } from './wire.ts';
import { escapeBytes, makeCase, padFor, sentinelBytes, sentinelToken, type Case } from './cases.ts';
import { checkPartner, leave, runPrelude } from './partner.ts';

export { Wire, type Transport };

/**
 * Server options every fuzz server runs with: rate limits off, because a delayed or refused
 * command is not what is under test (the model predicts framing, not flood control).
 */
export const SERVER_OVERRIDES: Partial<Config> = { msgRate: 0, readRate: 0, channelCreateRate: 0, maxChannelsPerUser: 0 };

export type Failure = {
  /** The class of failure, for grouping: what went wrong, and at which rule. */
  key: string;
  /** What it led to: a wrong reply, a desync, a hang, a closed connection, a bad frame. */
  outcome: string;
  transport: Transport;
  case: Case;
  /** A readable account: the input, what the model expected, what came back. */
  detail: string;
};


const fits = (reply: Frame, e: Expect) => reply.keys.some((k) => e.allow.includes(k)) && framesOff(reply, e) === null;

/** Run one case on `wire`: null when the server did just what the model says. */
/**
 * How a case runs beyond its bytes. `partner`: the other member of a log case (partner.ts);
 * `pipelineLog`: see sendStepwise; `excuse`: a reply that breaks the model but is a server bug
 * already reported, accepted so that the rest of the case is still checked (the CI run only).
 */
export type RunOptions = { partner?: Wire | null; pipelineLog?: boolean; excuse?: (e: Expect, got: Frame) => boolean };

export async function runCase(wire: Wire, c: Case, timeoutMs: number, run: RunOptions = {}): Promise<Failure | null> {
  const { partner = null, pipelineLog = false, excuse = () => false } = run;
  // A log case: its channel made and filled by the partner first (partner.ts), its log known.
  wire.session.logs = new Map();
  let preludeLast = 0;
  if (c.log !== undefined && partner !== null) {
    const log = await runPrelude(partner, c.log);
    if (typeof log === 'string') {
      return { key: 'the prelude of a log case', outcome: log, transport: wire.transport, case: c, detail: `prelude on the partner: ${log}` };
    }
    wire.session.logs.set(c.log.channel.toLowerCase(), log);
    preludeLast = log.lastId;
  }
  if (c.log !== undefined) wire.events = [];
  // The case's pad closes it on a TCP connection that has not spoken telnet. With a 0xFF in
  // it, one that has (or a WebSocket, which never does) may read it otherwise: its own pad.
  const pad = wire.session.telnet !== 'ready' && c.bytes.includes(0xff) ? padFor(c.bytes, wire.session) ?? c.pad : c.pad;
  const model = new WireModel(wire.session).feed(c.bytes).feed(pad);
  const token = `PONG:${sentinelToken(c.index)}`;
  const stray = wire.replies.length;
  wire.watch = token;
  wire.watchAt = -1;
  const bytes = Buffer.concat([c.bytes, pad, sentinelBytes(c.index)]);
  // Others' TYPING must not come here while it is off and the case leaves it so.
  wire.typingOff = wire.session.typing === false && !model.session.typingSet;
  if (c.log !== undefined && !pipelineLog) await sendStepwise(wire, Buffer.concat([c.bytes, pad]), c.textFrames);
  await wire.send(c.log !== undefined && !pipelineLog ? sentinelBytes(c.index) : bytes, c.log !== undefined && !pipelineLog ? [] : c.splits, c.textFrames);
  const answered = await wire.waitFor(() => wire.watchAt !== -1, timeoutMs);
  wire.typingOff = false;
  const got = wire.replies;
  const at = wire.watchAt;
  const expects = model.expects;
  const firstOff = expects.findIndex((e, i) => i < got.length && i !== at && !fits(got[i], e) && !excuse(e, got[i]));
  // Keys name the rule and the replies, never the counts or tokens, so a class groups.
  const norm = (k: string) => k.replace(/^PONG:.*/, 'PONG:<token>');
  let outcome: string | null = null;
  if (stray) outcome = "replies arrived after the previous case's sentinel";
  else if (!answered) outcome = wire.closed ? `connection closed (${got.find((f) => f.type === 'BYE')?.line ?? 'no BYE'})` : 'hang: the sentinel PING was never answered';
  else if (at !== expects.length) outcome = `desync: ${at > expects.length ? 'more' : 'fewer'} replies than the model expects`;
  else if (firstOff !== -1) outcome = 'wrong reply';
  else if (wire.closed) outcome = 'connection closed after the sentinel';
  else if (wire.bad.length) outcome = `malformed server frame: ${wire.bad[0].replace(/:.*/, '').replace(/\d+/g, 'N')}`;
  // What the other member was told live, against the model's log.
  const known = c.log === undefined ? undefined : model.session.logs.get(c.log.channel.toLowerCase());
  const told = outcome === null && known !== undefined && partner !== null ? await checkPartner(partner, known, preludeLast, wire.session.handle) : null;
  let echo: string | null = null;
  if (told !== null) outcome = `the partner was told otherwise: ${told[0]}`;
  else if (outcome === null && c.log !== undefined) {
    // The connection that made a change has its OK, never the change's frame (section 5).
    echo = ownEcho(wire.events ?? [], got, c.log.channel, wire.session.handle);
    if (echo !== null) outcome = 'its own change sent back to the connection that made it';
  }
  wire.events = null;
  if (c.log !== undefined && partner !== null) await leave(partner, c.log.channel);
  // A class names the line where the server and the model part, whatever followed from it
  // (a wrong reply, more replies, a hang). When that line frames no bytes itself but a line
  // that does (a MSG, an over-long line) came before it, that one is the likelier culprit:
  // its own reply may be right while its body was not eaten, and the body's replies mislead.
  const framing = (e: Expect) => /^(MSG|REPLY|EDIT) /.test(e.label) || e.label === 'LINE_TOO_LONG';
  // With no wrong reply, the line whose reply never came may be the one still eating bytes.
  const upTo = firstOff === -1 ? Math.min(got.length + 1, expects.length) : firstOff;
  let culprit = -1;
  for (let i = upTo - 1; i >= 0 && culprit === -1; i--) if (framing(expects[i])) culprit = i;
  const framesWrong = firstOff === -1 ? null : framesOff(got[firstOff], expects[firstOff]);
  const gotKey = (f: Frame) => (f.keys[0] === 'OK-MSG' ? 'OK-MSG' : norm(f.keys.at(-1)!));
  const replied = firstOff === -1 ? '' : framesWrong !== null && expects[firstOff].allow.some((k) => got[firstOff].keys.includes(k)) ? 'other frames' : gotKey(got[firstOff]);
  const off = firstOff === -1 ? '' : `${expects[firstOff].label} answered ${replied}`;
  const key = told !== null ? `partner: ${told[0]}` : firstOff !== -1 && framing(expects[firstOff]) ? off : culprit !== -1 ? `out of step after ${expects[culprit].label}` : off || outcome;
  if (outcome === null || key === null) {
    wire.session = model.session;
    wire.session.logs = new Map();
    wire.replies = [];
    return null;
  }
  const rows = Math.max(expects.length + 1, got.length);
  const table = Array.from({ length: Math.min(rows, 40) }, (_, i) => {
    const e = i < expects.length ? `${expects[i].label} [${expects[i].cmd}] wants ${expects[i].allow.join('|')}` : i === expects.length ? `sentinel wants ${token}` : '(nothing)';
    return `  ${String(i).padStart(2)}. model: ${e}\n      got:   ${got[i]?.line.slice(0, 160) ?? '(nothing)'}`;
  });
  const detail = [
    `outcome: ${outcome}`,
    `replies: ${answered ? at : got.length} before the sentinel, the model expects ${expects.length}${answered ? '' : ' (no sentinel PONG)'}`,
    `input:  ${escapeBytes(c.bytes)}`,
    `pad:    ${escapeBytes(pad, 200)}  (model state after the input: ${new WireModel(wire.session).feed(c.bytes).state}; telnet ${wire.session.telnet} before it)`,
    `splits: [${c.splits.slice(0, 30).join(', ')}${c.splits.length > 30 ? ', …' : ''}]${wire.transport === 'ws' ? (c.textFrames ? ' as text messages' : ' as binary messages') : ''}`,
    ...table,
    ...(rows > 40 ? [`  … ${rows - 40} more rows`] : []),
    ...(framesWrong ? [`  reply ${firstOff}'s frames: ${framesWrong}`, ...(got[firstOff].since ?? []).slice(-30).map((f) => `    ${modelForm(f).slice(0, 200)}`)] : []),
    ...wire.bad.slice(0, 5).map((b) => `  bad frame: ${b}`),
    ...(c.log ? [`  log case: the partner's prelude on ${c.log.channel}: ${JSON.stringify(c.log.prelude)}`] : []),
    ...(told ? [`  the partner was told: ${told[1]}`] : []),
    ...(echo ? [`  sent back: ${echo}`] : []),
  ].join('\n');
  return { key, outcome, transport: wire.transport, case: c, detail };
}

/** A logged frame of `channel` from `handle` that no HISTORY or THREAD reply of `replies` holds. */
function ownEcho(events: Frame[], replies: Frame[], channel: string, handle: string): string | null {
  const inReplies = new Set<Frame>();
  for (const r of replies) {
    if (r.type !== 'END' || !/^END (HISTORY|THREAD) /.test(r.line)) continue;
    const frames = replyFrames(r.since ?? [], Number(r.line.split(' ')[2]));
    if (typeof frames !== 'string') for (const f of frames) inReplies.add(f);
  }
  const echo = events.find((f) => LOGGED.has(f.type) && !inReplies.has(f) && f.line.split(' ')[1].toLowerCase() === channel.toLowerCase() && f.line.split(' ')[2].toLowerCase() === handle.toLowerCase());
  return echo === undefined ? null : echo.line;
}

/**
 * A log case, a line at a time: each after the replies the model owes for what came before
 * it. The server does not apply a connection's pipelined commands in order (an EDIT sent
 * right behind the MSG it edits is refused NO_SUCH_MESSAGE, a HISTORY behind an EDIT shows
 * the old text: reported to the lead), so pipelined log cases run only with `pipelineLog`.
 */
async function sendStepwise(wire: Wire, bytes: Buffer, text: boolean): Promise<void> {
  const stepper = new WireModel(wire.session);
  for (let at = 0; at < bytes.length && !wire.closed; ) {
    const lf = bytes.indexOf(10, at);
    const end = lf === -1 ? bytes.length : lf + 1;
    const chunk = bytes.subarray(at, end);
    stepper.feed(chunk);
    await wire.send(chunk, [], text);
    const owed = stepper.owedNow;
    await wire.waitFor(() => wire.replies.length >= owed, 1000);
    at = end;
  }
}

export type FuzzOptions = {
  /** Send log cases pipelined, as generated, not a line at a time (see sendStepwise). */
  pipelineLog?: boolean;
  /** Replies of a known server bug to let pass (RunOptions). */
  excuse?: RunOptions['excuse'];
  server: TestServer;
  seed: number;
  cases: number;
  /** The first case index (a batch of a longer run starts further on). */
  first?: number;
  transports: Transport[];
  /** Connections per transport. */
  workers: number;
  timeoutMs: number;
  /** Stop at this time (ms since the epoch), whatever is left. */
  deadline: number;
  maxFailures: number;
  /** Prefix of this run's handles, so batches on one server never collide. */
  handlePrefix?: string;
};

export type FuzzResult = { ran: number; failures: Failure[] };

/** Run cases first..first+cases-1, shared by all connections as they come free. */
export async function fuzz(opts: FuzzOptions, progress: (ran: number, failures: number) => void = () => {}): Promise<FuzzResult> {
  const first = opts.first ?? 0;
  const failures: Failure[] = [];
  let next = first;
  let ran = 0;
  const stop = () => next >= first + opts.cases || Date.now() >= opts.deadline || failures.length >= opts.maxFailures;
  const worker = async (transport: Transport, w: number) => {
    let gen = 0;
    const open = () => Wire.open(transport, opts.server, `@${opts.handlePrefix ?? 'fz'}${w}r${gen++}`);
    let wire: Wire | null = await open();
    // The other member of log cases, opened at the first one, anew after any failure.
    let partner: Wire | null = null;
    let pgen = 0;
    while (!stop() && wire !== null) {
      const c = makeCase(opts.seed, next++);
      if (c.log !== undefined && partner === null) partner = await Wire.partner(opts.server, `@${opts.handlePrefix ?? 'fz'}${w}p${pgen++}`);
      const failure = await runCase(wire, c, opts.timeoutMs, { partner, pipelineLog: opts.pipelineLog, excuse: opts.excuse });
      ran++;
      // A connection that spoke telnet stays so: now and then a fresh one, so that most
      // cases meet a connection that has not.
      const recycle = failure === null && wire.session.telnet === 'on' && c.index % 3 === 0;
      if (recycle) {
        wire.destroy();
        wire = await open();
      }
      if (failure !== null) {
        failures.push(failure);
        wire.destroy();
        partner?.destroy();
        partner = null;
        // A server that no longer takes a new connection after this case is a finding too.
        wire = await open().catch((err: Error) => {
          failures.push({ ...failure, key: 'a new connection failed after a failing case', outcome: err.message });
          return null;
        });
      }
      progress(ran, failures.length);
    }
    wire?.destroy();
    partner?.destroy();
  };
  const all = opts.transports.flatMap((t, ti) => Array.from({ length: opts.workers }, (_, i) => worker(t, ti * opts.workers + i)));
  await Promise.all(all);
  return { ran, failures };
}

/** Failures grouped by class: how many, their outcomes, and the one with the smallest input. */
export type FailureClass = { key: string; count: number; outcomes: Map<string, number>; transports: Set<Transport>; first: Failure };

export function classes(failures: Failure[]): FailureClass[] {
  const by = new Map<string, FailureClass>();
  for (const f of failures) {
    let c = by.get(f.key);
    if (c === undefined) by.set(f.key, (c = { key: f.key, count: 0, outcomes: new Map(), transports: new Set(), first: f }));
    c.count++;
    c.outcomes.set(f.outcome, (c.outcomes.get(f.outcome) ?? 0) + 1);
    c.transports.add(f.transport);
    if (f.case.bytes.length < c.first.case.bytes.length) c.first = f;
  }
  return [...by.values()].sort((a, b) => b.count - a.count);
}
