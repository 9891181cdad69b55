import { describe, expect, it } from 'vitest';
import { msg, show, type TestClient } from './support/client.ts';
import { useScreens } from './support/screen.ts';
import { useTelnetServer } from './support/telnet.ts';

// Issue 15, item 6 (spec: UNREAD and READ, "Reading live, as a person"): what a person's
// connection shows live counts as read for its user, on every device; what a program is sent
// does not.

const t = useTelnetServer('live-read');
const { user } = t;
const Screen = useScreens(() => t.server.tcpPort);

const reads = (c: TestClient) => c.frames.map(show).filter((l) => l.startsWith('READ '));

describe('reading live at a terminal', () => {
  it('marks read what the terminal showed: the browser is told, and its UNREAD shows nothing new', async () => {
    const browser = await user('@tess s3cret-pass', '#dev');
    const terminal = await Screen.open('MODE text', 'REG @tess s3cret-pass');
    const kim = await user('@kim', '#dev');
    const bob = await user('@bob', '#dev');
    for (const body of ['one', 'two', 'three']) await bob.ok(msg('#dev', body));
    await bob.ok(msg('@tess', 'just for you'));
    await terminal.waitFor('just for you');

    // The marks come at most a second later, as READ events to the browser.
    await browser.waitFor(() => reads(browser).includes('READ #dev 3') && reads(browser).includes('READ @bob 1'), 'the read marks');
    const unread = await browser.cmd('UNREAD');
    expect(unread).toContain('UNREAD #dev 0 0 3 3');
    expect(unread).toContain('UNREAD @bob 0 0 1 1');
    // The terminal itself is not told of its marks, and shows no READ lines at all.
    expect(terminal.lines.filter((l) => l.startsWith('READ'))).toEqual([]);

    // Kim's connection is a program's: what it was sent is still unread.
    expect(await kim.cmd('UNREAD')).toContain('UNREAD #dev 3 0 0 3');
  });

  it('marks what it showed when the terminal closes, and a program connection of the same user marks nothing', async () => {
    const browser = await user('@tess s3cret-pass', '#dev');
    const bob = await user('@bob', '#dev');
    await bob.ok(msg('#dev', 'seen only by the browser'));
    await browser.waitFor(() => browser.msgs.length === 1, 'the message');
    const terminal = await Screen.open('MODE text', 'REG @tess s3cret-pass');
    await bob.ok(msg('#dev', 'seen on the terminal too'));
    await terminal.waitFor('seen on the terminal too');
    terminal.end();
    await browser.waitFor(() => reads(browser).includes('READ #dev 2'), 'the read mark');
    // Up to 2, the one the terminal showed: the browser's delivery of 1 did not count on its
    // own, it is read because 2 is.
    expect(reads(browser)).toEqual(['READ #dev 2']);
    expect(await browser.cmd('UNREAD')).toContain('UNREAD #dev 0 0 2 2');
  });
});
