/**
 * Channel caps (spec §7, gateway/limits/flood.ts): how many channels one user may be in
 * (`--max-channels-per-user`) and create an hour (`--channel-create-rate`). Past either,
 * JOIN is refused with an ERR and nothing changes; joining a channel one is in stays OK.
 */
import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../core/index.ts';
import { perTestServer } from './support/per-test-server.ts';

const { start, user, tcp } = perTestServer();

describe('--max-channels-per-user', () => {
  it('a JOIN past the cap is refused; joining again one is in, or after leaving one, is OK', async () => {
    await start({ maxChannelsPerUser: 3, channelCreateRate: 0 });
    await user('@kim', '#theirs');
    // #general, where a new user is put, counts as one of the three.
    const jane = await user('@jane', '#a', '#b');
    expect(await jane.cmd('JOIN #d')).toEqual(['ERR TOO_MANY_CHANNELS You are in 3 channels, the most allowed; leave one first']);
    // Existing channels count the same as new ones.
    expect(await jane.cmd('JOIN #theirs')).toEqual([expect.stringMatching(/^ERR TOO_MANY_CHANNELS /)]);
    // Nothing was created or joined.
    expect(await jane.cmd('CHNS')).toEqual(['CHN #a 1', 'CHN #b 1', 'CHN #general 2', 'CHN #theirs 1', 'END CHNS 4']);
    expect(await jane.cmd('JOIN #a')).toEqual(['OK']);
    expect(await jane.cmd('LEAVE #a')).toEqual(['LEFT #a @jane', 'OK']);
    expect(await jane.cmd('JOIN #d')).toEqual(['JOINED #d @jane', 'OK']);
  });

  it('counts memberships kept across a reconnect', async () => {
    await start({ maxChannelsPerUser: 2, channelCreateRate: 0 });
    const first = await user('@sam', '#x');
    first.end();
    await first.waitClosed();
    const again = await tcp();
    await again.until((f) => !(f instanceof ProtocolError) && f.type === 'HELLO');
    await again.cmd('REG @sam');
    // REG's JOINED lines for #general (where a new user is put) and #x come first.
    expect(await again.cmd('JOIN #z')).toEqual(['JOINED #general @sam', 'JOINED #x @sam', expect.stringMatching(/^ERR TOO_MANY_CHANNELS /)]);
  });
});

describe('--channel-create-rate', () => {
  it('new channels past the rate are refused with a wait; existing ones may still be joined', async () => {
    await start({ channelCreateRate: 2 });
    const john = await user('@john', '#theirs');
    const jane = await user('@jane', '#one', '#two');
    // 2 an hour: the next one is due in half an hour.
    expect(await jane.cmd('JOIN #three')).toEqual(['ERR RATE_LIMITED Too many new channels (2 an hour); wait 1800 s']);
    expect(await jane.cmd('JOIN #theirs')).toEqual(['JOINED #theirs @jane', 'OK']);
    expect((await jane.cmd('CHNS')).at(-1)).toBe('END CHNS 4');
    // The rate is per user: someone else may create theirs. (What john heard meanwhile is read past.)
    await john.settle();
    expect(await john.cmd('JOIN #three')).toEqual(['JOINED #three @john', 'OK']);
    expect(await jane.cmd('JOIN #three')).toEqual(['JOINED #three @jane', 'OK']);
  });

  it('holds across connections of the same user', async () => {
    await start({ channelCreateRate: 1 });
    const first = await user('@kim', '#mine');
    first.end();
    await first.waitClosed();
    const again = await tcp();
    await again.until((f) => !(f instanceof ProtocolError) && f.type === 'HELLO');
    await again.cmd('REG @kim');
    expect(await again.cmd('JOIN #another')).toEqual(['JOINED #general @kim', 'JOINED #mine @kim', expect.stringMatching(/^ERR RATE_LIMITED /)]);
  });

  it('a claimed handle in --rate-exempt may create more', async () => {
    await start({ channelCreateRate: 1, rateExempt: ['@bridge'] });
    const bot = await tcp();
    await bot.until((f) => !(f instanceof ProtocolError) && f.type === 'HELLO');
    await bot.ok('REG @bridge long-secret');
    for (const ch of ['#b1', '#b2', '#b3']) await bot.ok(`JOIN ${ch}`);
  });
});
