/**
 * Flood control of moderation writes (spec §7, "Flood control"): OP, DEOP, OWNER, KICK, BAN,
 * UNBAN, SUSPEND, UNSUSPEND, INVITE, BLOCK, UNBLOCK and a TOPIC that sets one draw on the
 * same tokens as MSG, so a pipelined burst of them waits, in order, and is all answered;
 * a --rate-exempt user is not held.
 */
import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../core/index.ts';
import { perTestServer } from './support/per-test-server.ts';
import { show } from './support/client.ts';
import type { Config } from '../config.ts';

const { start, exactUser: user } = perTestServer();
const pong = (token: string) => (f: unknown) => !(f instanceof ProtocolError) && show(f as never) === `PONG ${token}`;
/** `n` lines making and unmaking @kim an op of #dev, alternately. */
const opDeop = (n: number) => Array.from({ length: n }, (_, i) => `${i % 2 === 0 ? 'OP' : 'DEOP'} #dev @kim\r\n`).join('');

async function devChannel(opts: Partial<Config>) {
  await start(opts);
  const jane = await user('@jane j4ne-pass', '#dev');
  const kim = await user('@kim k1m-pass', '#dev');
  return { jane, kim };
}

describe('moderation writes under flood control', () => {
  it('a pipelined burst past the tokens waits, and another connection is answered meanwhile: a member sees its message between them', async () => {
    // One token a second, none to spare: the second OP waits about a second.
    const { jane, kim } = await devChannel({ msgRate: 1, msgBurst: 1 });
    const other = await user('@jane j4ne-pass');
    const from = jane.frames.length;
    jane.write(`${opDeop(2)}PING held\r\n`);
    await kim.until((f) => show(f) === 'ROLE #dev @kim op @jane');
    await other.ok('SAY #dev meanwhile');
    await jane.until(pong('held'));
    const seen = (await kim.settle()).filter((l) => l.startsWith('ROLE') || l.startsWith('MSG'));
    expect(seen).toEqual([expect.stringMatching(/^MSG #dev @jane \d+ \S+ 9\nmeanwhile$/), 'ROLE #dev @kim member @jane']);
    expect(jane.frames.slice(from).map(show).filter((l) => !l.startsWith('MSG'))).toEqual([
      'ROLE #dev @kim op @jane', 'OK', 'ROLE #dev @kim member @jane', 'OK', 'PONG held',
    ]);
  });

  it('every write of a long pipeline is answered, in order; the messages after it wait their turn too', async () => {
    const { jane, kim } = await devChannel({ msgRate: 50, msgBurst: 5 });
    await user('@troll', '#dev');
    const from = jane.frames.length;
    const writes = `${opDeop(20)}BLOCK @troll\r\nUNBLOCK @troll\r\nTOPIC #dev plans\r\nKICK #dev @troll\r\nINVITE #dev @troll\r\nBAN #dev @troll\r\nUNBAN #dev @troll\r\nSAY #dev done\r\nPING end\r\n`;
    jane.write(writes);
    await jane.until(pong('end'), 20_000);
    const answers = jane.frames.slice(from).map(show).filter((l) => /^(OK|ERR|PONG)/.test(l));
    expect(answers.slice(0, 27)).toEqual(Array(27).fill('OK'));
    expect(answers[27]).toMatch(/^OK \d+ \S+Z$/);
    expect(answers.slice(28)).toEqual(['PONG end']);
    expect((await kim.settle()).filter((l) => l.startsWith('ROLE')).length).toBe(20);
  });

  it('asking a topic is a read: it takes no token', async () => {
    // A token a minute, one to spare: the SAY after ten TOPIC reads still goes at once.
    const { jane } = await devChannel({ msgRate: 1 / 60, msgBurst: 1 });
    const from = jane.frames.length;
    jane.write(`${'TOPIC #dev\r\n'.repeat(10)}SAY #dev first\r\nPING read\r\n`);
    await jane.until(pong('read'));
    const answers = jane.frames.slice(from).map(show).filter((l) => /^(OK|ERR|END)/.test(l));
    expect(answers.slice(0, 10)).toEqual(Array(10).fill('END TOPIC 1'));
    expect(answers[10]).toMatch(/^OK \d+ /);
  });

  it('a --rate-exempt user is not held (at one a second, 60 would take a minute)', async () => {
    const { jane } = await devChannel({ msgRate: 1, msgBurst: 1, rateExempt: ['@jane'] });
    const from = jane.frames.length;
    jane.write(`${opDeop(60)}PING free\r\n`);
    await jane.until(pong('free'));
    expect(jane.frames.slice(from).map(show).filter((l) => l === 'OK')).toHaveLength(60);
  });
});
