import { describe, expect, it } from 'vitest';
import { msg } from './support/client.ts';
import { useScreens } from './support/screen.ts';
import { useTelnetServer } from './support/telnet.ts';

// Two kinds of reader on one port (spec: MODE, section 10): a program gets the wire byte for
// byte; a person (MODE text, or one who uses SAY) gets what others write rendered for
// reading: every body line indented, control characters shown, a direct message saying whose
// it is. Issue 15, items 2 and 4, as the screens of the people involved show them.

const t = useTelnetServer('person');
const { user } = t;
const Screen = useScreens(() => t.server.tcpPort);

/** What a terminal would act on: C0 but TAB, CR, LF; DEL; C1; bidi controls. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const ACTS = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

const FORGED = 'normal line\nMSG #dev @alice 999 2026-12-07T14:50:00.000Z 27\nI am alice, trust this bob';
const TS = '\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z';

describe('a message others can read safely (issue 15, item 2)', () => {
  it('a program gets the exact bytes; MODE text and a SAY user get it rendered, Bob\'s to the last line', async () => {
    const bot = await user('@bot', '#dev');
    const tess = await Screen.open('MODE text', 'REG @tess', 'JOIN #dev');
    const sam = await Screen.open('REG @sam', 'JOIN #dev', 'SAY #dev hello from a terminal');
    const bob = await user('@bob', '#dev');
    await bob.ok(msg('#dev', FORGED));

    await bot.waitFor(() => bot.msgs.some((m) => m.from === '@bob'), "bob's message");
    const got = bot.msgs.find((m) => m.from === '@bob')!;
    expect(Buffer.from(got.body).toString()).toBe(FORGED);

    const rendered = new RegExp(
      `\\r\\nMSG #dev @bob \\d+ ${TS} 106\\r\\n` +
      '  │ normal line\\r\\n' +
      '  │ MSG #dev @alice 999 2026-12-07T14:50:00\\.000Z 27\\r\\n' +
      '  │ I am alice, trust this bob\\r\\n',
    );
    for (const screen of [tess, sam]) {
      await screen.waitFor('I am alice');
      expect(screen.text).toMatch(rendered);
      expect(screen.lines.filter((l) => l.startsWith('MSG #dev @alice'))).toEqual([]);
    }
  });

  it('no one can clear a person\'s screen, ring the bell, set the title or reverse a line', async () => {
    const tess = await Screen.open('MODE text', 'REG @tess', 'JOIN #dev');
    const mallory = await user('@mallory', '#dev');
    await mallory.ok(msg('#dev', '\x1b[2J\x1b[H\x07\x1b]0;pwned\x07\u202eexe.png\rMSG #dev @alice 1 2026-12-07T14:50:00.000Z 2'));
    await tess.waitFor('pwned');
    expect(tess.text).toContain('  │ ␛[2J␛[H␇␛]0;pwned␇⟪RLO⟫exe.png\r\n  │ MSG #dev @alice 1 2026-12-07T14:50:00.000Z 2\r\n');
    expect(ACTS.test(tess.text)).toBe(false);
  });

  it('HISTORY reads as live messages do, on the connection of a person', async () => {
    const bob = await user('@bob', '#dev');
    await bob.ok(msg('#dev', FORGED));
    const tess = await Screen.open('REG @tess', 'JOIN #dev', 'MODE text');
    const from = tess.text.length;
    tess.type('HISTORY #dev');
    await tess.waitFor('END HISTORY 1\r\n', from);
    expect(tess.text.slice(from)).toMatch(new RegExp(`^MSG #dev @bob 1 ${TS} 106\\r\\n  │ normal line\\r\\n  │ MSG #dev @alice .*\\r\\n  │ I am alice, trust this bob\\r\\nEND HISTORY 1\\r\\n$`));
  });

  it('a topic\'s bidi override is shown to a person as a mark; a program gets it as set', async () => {
    const tess = await Screen.open('MODE text', 'REG @tess', 'JOIN #dev');
    const bot = await user('@bot', '#dev');
    await bot.ok('TOPIC #dev see invoice_\u202egnp.exe');
    await tess.waitFor('TOPIC #dev @bot see invoice_⟪RLO⟫gnp.exe\r\n');
    expect(bot.frames.map((f) => ('type' in f && f.type === 'TOPIC' ? f.text : null)).filter(Boolean)).toEqual(['see invoice_\u202egnp.exe']);
  });
});

describe('a direct message says whose it is (issue 15, item 4)', () => {
  it('"DM from" to its recipient, "DM to" on its author\'s other terminal; a program gets MSG @you @sender', async () => {
    const tess = await Screen.open('MODE text', 'REG @tess');
    const carolPhone = await Screen.open('MODE text', 'REG @carol s3cret-pass');
    const carol = await user('@carol s3cret-pass');
    const tessBot = await user('@tess-bot');
    await carol.ok(msg('@tess', 'lunch?'));
    await carol.ok(msg('@tess-bot', 'ping'));
    await tess.waitFor(new RegExp(`\\r\\nDM from @carol 1 ${TS} 12\\r\\n  │ lunch\\?\\r\\n`));
    await carolPhone.waitFor(new RegExp(`\\r\\nDM to @tess 1 ${TS} 12\\r\\n  │ lunch\\?\\r\\n`));
    await tessBot.waitFor(() => tessBot.msgs.length === 1, 'the DM');
    expect([tessBot.msgs[0].target, tessBot.msgs[0].from]).toEqual(['@tess-bot', '@carol']);
  });
});

describe('MODE', () => {
  it('tells which holds; SAY makes a person, MODE exact holds against it, and MODE text makes one', async () => {
    const c = await user('@kim', '#dev');
    expect(await c.cmd('MODE')).toEqual(['OK exact']);
    expect(await c.cmd('MODE exact')).toEqual(['OK']);
    expect(await c.ok('SAY #dev still a program')).toMatch(/^OK 1 /);
    expect(await c.cmd('MODE')).toEqual(['OK exact']);
    expect(await c.cmd('MODE loud')).toEqual(['ERR BAD_SYNTAX Usage: MODE [text|exact]']);
    const s = await Screen.open('REG @sam', 'JOIN #dev');
    expect(await s.ok('MODE')).toBe('OK exact\r\n');
    await s.ok('SAY #dev hi');
    expect(await s.ok('MODE')).toBe('OK text\r\n');
    await s.ok('MODE exact');
    expect(await s.ok('MODE')).toBe('OK exact\r\n');
  });
});
