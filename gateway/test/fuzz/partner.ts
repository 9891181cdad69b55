/**
 * The partner of a log case (cases-log.ts): a second user on its own connection. Before the
 * case it makes the case's channel and fills it (the prelude: its own messages, a reply, an
 * edit, a delete, a reaction), so that the case has others' messages to act on; it checks
 * each prelude reply against the model's log as it goes. After the case it is the other
 * member who is told live: every logged change the case made must reach it, once, in order,
 * with the id and text the model gives (section 5), and the case's TYPINGs as the 3 s rule
 * allows (the first passed on, later ones within 3 s dropped: between one and all of them).
 */
import type { Frame } from './frames.ts';
import { LOGGED, modelForm } from './frames.ts';
import { preludeBytes, type LogPlan } from './cases-log.ts';
import { ConvLog } from './model-log.ts';
import type { Wire } from './harness.ts';

const utf8 = (s: string) => Buffer.from(s, 'utf8');

/** The commands that make a partner: typing events on, out of #general (another's noise). */
export const PARTNER_SETUP = ['TYPING ON', 'LEAVE #general'];

/** Runs the prelude on `partner`: the channel's log as the model has it, or what went wrong. */
export async function runPrelude(partner: Wire, plan: LogPlan): Promise<ConvLog | string> {
  const log = new ConvLog(plan.channel);
  const me = partner.session.handle;
  const join = await partner.command(Buffer.from(`JOIN ${plan.channel}\r\n`));
  if (join?.line !== 'OK') return `JOIN ${plan.channel} answered ${join?.line ?? 'nothing'}`;
  for (const op of plan.prelude) {
    const text = utf8('text' in op ? op.text : '');
    const want =
      op.cmd === 'MSG' ? log.msg(me, text)
      : op.cmd === 'REPLY' ? log.reply(me, op.id, text, op.also)
      : op.cmd === 'EDIT' ? log.edit(me, op.id, text)
      : op.cmd === 'DELETE' ? log.delete(me, op.id)
      : log.react(me, op.id, op.reaction, true);
    const got = await partner.command(preludeBytes(plan.channel, op));
    if (got === null || !got.keys.some((k) => want.allow.includes(k))) {
      return `${op.cmd} ${'id' in op ? op.id : ''} answered ${got?.line ?? 'nothing'}, the model wants ${want.allow.join('|')}`;
    }
  }
  partner.events = [];
  return log;
}

/** The partner's frames of `channel`: its logged frames, and the TYPINGs of `from`. */
function seen(partner: Wire, channel: string, from: string): { logged: Frame[]; typing: number } {
  const mine = (partner.events ?? []).filter((f) => f.line.split(' ')[1]?.toLowerCase() === channel.toLowerCase());
  return {
    logged: mine.filter((f) => LOGGED.has(f.type)),
    typing: mine.filter((f) => f.type === 'TYPING' && f.line.split(' ')[2]?.toLowerCase() === from.toLowerCase()).length,
  };
}

/**
 * After the case: what the partner was told of the channel, against the model's log since
 * the prelude (`after`). Returns null, or [a class of the difference, its account].
 */
export async function checkPartner(partner: Wire, log: ConvLog, after: number, from: string): Promise<[string, string] | null> {
  const want = log.liveFrames(after);
  const last = log.lastId;
  // Deliveries go out as the changes commit, the case's replies with them: wait a little for
  // the last (the OK may overtake the delivery to another connection).
  await partner.waitFor(() => {
    const s = seen(partner, log.target, from);
    return s.logged.length >= want.length && (log.typing === 0 || s.typing > 0);
  }, 1500);
  const s = seen(partner, log.target, from);
  const got = s.logged.map(modelForm);
  for (let i = 0; i < Math.max(got.length, want.length); i++) {
    if (got[i] !== want[i]) {
      const account = [
        `frame ${i} of ${want.length} after id ${after} (last ${last}): the model wants ${JSON.stringify(want[i] ?? '(no more)')}, got ${JSON.stringify(got[i] ?? '(no more)')}`,
        ...want.map((w, j) => `    want ${j}: ${w.slice(0, 160)}`),
        ...got.map((g, j) => `    got  ${j}: ${g.slice(0, 160)}`),
      ].join('\n');
      const kind = got[i] === undefined ? 'a logged frame missing' : want[i] === undefined ? 'a logged frame too many' : `a different ${got[i].split(' ')[0]}`;
      return [kind, account];
    }
  }
  if (log.typing === 0 ? s.typing !== 0 : s.typing < 1 || s.typing > log.typing) {
    return ['TYPING events', `${s.typing} TYPING events for ${log.typing} TYPING commands answered OK`];
  }
  return null;
}

/** The partner leaves the case's channel, so its memberships stay few. */
export async function leave(partner: Wire, channel: string): Promise<void> {
  partner.events = null;
  await partner.command(Buffer.from(`LEAVE ${channel}\r\n`));
}
