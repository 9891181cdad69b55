import net from 'node:net';
import { afterEach } from 'vitest';

/**
 * A person's terminal, for the tests of what people are sent (spec section 10): the raw text
 * the server sent, nothing parsed away, so a test asserts what the screen shows.
 */
export class Screen {
  text = '';
  closed = false;
  private readonly decoder = new TextDecoder();
  private readonly wakers = new Set<() => void>();
  private constructor(private readonly socket: net.Socket) {
    socket.on('data', (b) => {
      this.text += this.decoder.decode(b, { stream: true });
      this.wake();
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
  }

  /** Connected, banner read, and (with `first`) these lines typed, each answered OK. */
  static async open(port: number, ...first: string[]): Promise<Screen> {
    const socket = net.connect({ host: '127.0.0.1', port });
    await new Promise((ok) => socket.once('connect', ok));
    const s = new Screen(socket);
    await s.waitFor(/^HELLO .*\r\n/);
    for (const line of first) await s.ok(line);
    return s;
  }

  type(line: string): void {
    this.socket.write(`${line}\r\n`);
  }

  /** Type a line; wait for its OK (or ERR), returning what came since the line was typed. */
  async ok(line: string): Promise<string> {
    const from = this.text.length;
    this.type(line);
    await this.waitFor(/(^|\n)(OK|ERR)[^\r\n]*\r\n/, from);
    const got = this.text.slice(from);
    if (/(^|\n)ERR/.test(got)) throw new Error(`${line} was answered ${JSON.stringify(got)}`);
    return got;
  }

  /** Resolves once the text after `from` matches. */
  waitFor(pattern: RegExp | string, from = 0): Promise<void> {
    const done = () => (typeof pattern === 'string' ? this.text.indexOf(pattern, from) >= 0 : pattern.test(this.text.slice(from)));
    return new Promise((ok, fail) => {
      const check = () => {
        if (done()) {
          finish();
          ok();
        } else if (this.closed) {
          finish();
          fail(new Error(`closed while waiting for ${pattern}; the screen:\n${this.text}`));
        }
      };
      const timer = setTimeout(() => {
        finish();
        fail(new Error(`timed out waiting for ${pattern}; the screen:\n${this.text}`));
      }, 10_000);
      const finish = () => {
        clearTimeout(timer);
        this.wakers.delete(check);
      };
      this.wakers.add(check);
      check();
    });
  }

  /** The lines of the screen. */
  get lines(): string[] {
    return this.text.split('\r\n');
  }

  /** Close cleanly (FIN), as a person who quits telnet. */
  end(): void {
    this.socket.end();
  }

  destroy(): void {
    this.socket.destroy();
  }

  private wake(): void {
    for (const w of [...this.wakers]) w();
  }
}

/** Screens on the port `port()` gives, each closed after its test. */
export function useScreens(port: () => number): { open(...first: string[]): Promise<Screen> } {
  const open: Screen[] = [];
  afterEach(() => {
    for (const s of open.splice(0)) s.destroy();
  });
  return {
    async open(...first) {
      const s = await Screen.open(port(), ...first);
      open.push(s);
      return s;
    },
  };
}
