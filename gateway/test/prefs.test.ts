import { describe, expect, it } from 'vitest';
import { LIMITS } from '../../core/index.ts';
import type { TestClient } from './support/client.ts';
import { useTelnetServer } from './support/telnet.ts';

// Settings kept on the server (spec: PREFS, PREF), over TCP on a real SQLite file: a claimed
// user's mute set on one connection holds on the others at once, and in a new one later.

const t = useTelnetServer('prefs');
const { connect, user } = t;

/** Frames other than replies that reached a connection, once it has caught up. */
const events = async (c: TestClient) => (await c.settle()).filter((l) => l.startsWith('PREF'));

describe('PREFS and PREF', () => {
  it('a claimed user keeps settings: set, listed, changed, cleared, and kept across a restart', async () => {
    const jane = await user('@jane s3cret-pass');
    expect(await jane.cmd('PREFS')).toEqual(['END PREFS 0']);
    expect(await jane.cmd('PREF mute:#dev 1')).toEqual(['OK']);
    expect(await jane.cmd('PREF theme dark,  high contrast')).toEqual(['OK']);
    expect(await jane.cmd('pref mute:@bob 1')).toEqual(['OK']);
    expect(await jane.cmd('PREFS')).toEqual(['PREF mute:#dev 1', 'PREF mute:@bob 1', 'PREF theme dark,  high contrast', 'END PREFS 3']);
    expect(await jane.cmd('PREF theme light')).toEqual(['OK']);
    expect(await jane.cmd('PREF mute:@bob')).toEqual(['OK']);
    // Clearing what is not set is fine too.
    expect(await jane.cmd('PREF never-set')).toEqual(['OK']);
    await t.restart();
    const back = await user('@jane s3cret-pass');
    expect(await back.cmd('PREFS')).toEqual(['PREF mute:#dev 1', 'PREF theme light', 'END PREFS 2']);
  });

  it("the user's other connections are told at once; the one that set it gets its OK only; others' are not", async () => {
    const laptop = await user('@jane s3cret-pass');
    const phone = await user('@jane s3cret-pass');
    const kim = await user('@kim k1m-pass');
    // Kim arriving in #general is read past.
    await laptop.settle();
    await phone.settle();
    expect(await laptop.cmd('PREF mute:#dev 1')).toEqual(['OK']);
    expect(await laptop.cmd('PREF mute:#dev')).toEqual(['OK']);
    expect(await events(phone)).toEqual(['PREF mute:#dev 1', 'PREF mute:#dev']);
    expect(await events(laptop)).toEqual([]);
    expect(await events(kim)).toEqual([]);
    expect(await kim.cmd('PREFS')).toEqual(['END PREFS 0']);
  });

  it('a guest handle keeps none: NOT_CLAIMED, until it claims the handle', async () => {
    const kim = await user('@kim');
    const refusal = 'ERR NOT_CLAIMED @kim is a guest handle: claim it with a password to keep settings on the server';
    expect(await kim.cmd('PREFS')).toEqual([refusal]);
    expect(await kim.cmd('PREF mute:#dev 1')).toEqual([refusal]);
    expect(await kim.cmd('PASSWORD n3w-secret')).toEqual(['OK']);
    expect(await kim.cmd('PREF mute:#dev 1')).toEqual(['OK']);
    expect(await kim.cmd('PREFS')).toEqual(['PREF mute:#dev 1', 'END PREFS 1']);
    const before = await connect();
    expect(await before.cmd('PREFS')).toEqual(['ERR NOT_REGISTERED Register first: REG @handle']);
  });

  it(`keeps at most ${LIMITS.maxPrefs}: TOO_MANY_PREFS for one more, while a change or a clear still works`, async () => {
    const jane = await user('@jane s3cret-pass');
    let wire = '';
    for (let i = 0; i < LIMITS.maxPrefs; i++) wire += `PREF k${i} ${i}\r\n`;
    jane.write(wire);
    await jane.waitFor(() => jane.frames.length - jane.at >= LIMITS.maxPrefs, 'the OKs');
    expect(new Set(jane.drain().map((f) => ('type' in f ? f.type : 'error')))).toEqual(new Set(['OK']));
    expect(await jane.cmd('PREF one-more 1')).toEqual(['ERR TOO_MANY_PREFS You keep 100 settings, the most allowed; clear one first']);
    expect(await jane.cmd('PREF k7 changed')).toEqual(['OK']);
    expect(await jane.cmd('PREF k8')).toEqual(['OK']);
    expect(await jane.cmd('PREF one-more 1')).toEqual(['OK']);
    const list = await jane.cmd('PREFS');
    expect(list.at(-1)).toBe(`END PREFS ${LIMITS.maxPrefs}`);
    expect(list).toContain('PREF k7 changed');
  });

  it('refuses a key or value it cannot keep, clearly, and nothing is stored', async () => {
    const jane = await user('@jane s3cret-pass');
    expect(await jane.cmd('PREF')).toEqual(['ERR BAD_SYNTAX Usage: PREF <key> [value]']);
    expect(await jane.cmd('PREF mute/#dev 1')).toEqual(["ERR BAD_SYNTAX A setting's key is 1 to 64 letters, digits or _ . : # @ -"]);
    expect(await jane.cmd(`PREF note ${'v'.repeat(257)}`)).toEqual(["ERR BAD_SYNTAX A setting's value is at most 256 bytes"]);
    expect(await jane.cmd('PREF note \x1b[2J')).toEqual(["ERR BAD_SYNTAX A setting's value must be printable, on one line"]);
    expect(await jane.cmd(Buffer.from('PREF note caf\xe9\r\n', 'latin1'))).toEqual(["ERR BAD_SYNTAX A setting's value must be UTF-8 text"]);
    expect(await jane.cmd('PREFS all')).toEqual(['ERR BAD_SYNTAX Usage: PREFS takes no arguments']);
    expect(await jane.cmd('PREFS')).toEqual(['END PREFS 0']);
  });
});
