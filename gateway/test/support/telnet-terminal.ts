/**
 * A person at Debian's `telnet` client (/usr/bin/telnet), in a terminal that tmux draws:
 * keys go in with `tmux send-keys`, and the test reads what the person sees with
 * `tmux capture-pane`. Each terminal has its own tmux server, killed on `close`.
 *
 * Waiting is always for something on the screen, polled until a deadline; the error then
 * shows the screen.
 */
import { execFile } from 'node:child_process';

const DEFAULT_TIMEOUT_MS = 10_000;
const POLL_MS = 40;
let serial = 0;

function tmux(socket: string, ...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    // -u: the keys and the screen are UTF-8 whatever the test's locale.
    execFile('tmux', ['-u', '-L', socket, '-f', '/dev/null', ...args], { env: { ...process.env, LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8' }, timeout: 5_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`tmux ${args.join(' ')}: ${stderr || err.message}`));
      else resolve(stdout);
    });
  });
}

export class TelnetTerminal {
  readonly name: string;
  private readonly socket: string;
  private constructor(name: string, socket: string) {
    this.name = name;
    this.socket = socket;
  }

  /** `telnet 127.0.0.1 <port>` in a fresh terminal, once it shows the server's HELLO. */
  static async open(port: number, name = 'telnet'): Promise<TelnetTerminal> {
    const socket = `slck-test-${process.pid}-${++serial}`;
    // The pane stays a minute after telnet exits, so a test can still read why it ended; then
    // tmux exits by itself, even if the test process died before `close`.
    await tmux(socket, 'new-session', '-d', '-x', '200', '-y', '50', `telnet 127.0.0.1 ${port}; sleep 60`);
    const t = new TelnetTerminal(name, socket);
    try {
      await t.waitFor(/^HELLO /m);
    } catch (e) {
      await t.close();
      throw e;
    }
    return t;
  }

  /** Type `text` (as characters, UTF-8) without pressing Enter. */
  async typeOnly(text: string): Promise<void> {
    await tmux(this.socket, 'send-keys', '-t', '0', '-l', text);
  }

  /** Type a line and press Enter. */
  async type(text: string): Promise<void> {
    await this.typeOnly(text);
    await this.keys('Enter');
  }

  /** Press keys by tmux name: `C-c`, `Enter`. */
  async keys(...names: string[]): Promise<void> {
    await tmux(this.socket, 'send-keys', '-t', '0', ...names);
  }

  /** Everything the terminal shows, scrolled-off lines included, wrapped lines joined. */
  async screen(): Promise<string> {
    const s = await tmux(this.socket, 'capture-pane', '-p', '-J', '-t', '0', '-S', '-', '-E', '-');
    return s.replace(/\s+$/, '');
  }

  /** Wait until the screen matches; returns it. */
  async waitFor(what: RegExp | string | ((screen: string) => boolean), timeoutMs = DEFAULT_TIMEOUT_MS): Promise<string> {
    const test = typeof what === 'function' ? what : typeof what === 'string' ? (s: string) => s.includes(what) : (s: string) => what.test(s);
    const deadline = Date.now() + timeoutMs;
    let screen: string;
    for (;;) {
      screen = await this.screen();
      if (test(screen)) return screen;
      if (Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
    throw new Error(`${this.name}'s terminal never showed ${typeof what === 'function' ? 'what was awaited' : String(what)}; it shows:\n${screen}`);
  }

  /**
   * Type a line and wait for the server's answer to it: the first `OK` or `ERR` line after the
   * typed line on the screen. Returns that answer.
   */
  async command(text: string, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<string> {
    const before = (await this.screen()).length;
    await this.type(text);
    let answer = '';
    await this.waitFor((s) => {
      const after = s.slice(Math.max(0, before - 1));
      const at = after.indexOf(text);
      if (at === -1) return false;
      const m = /^(OK|ERR)\b.*$/m.exec(after.slice(at + text.length));
      if (m === null) return false;
      answer = m[0];
      return true;
    }, timeoutMs);
    return answer;
  }

  async close(): Promise<void> {
    await tmux(this.socket, 'kill-server').catch(() => {});
  }
}
