/**
 * Telnet in the fuzzer (docs/PROTOCOL.md section 1, "Telnet"), both ways, written from the
 * spec text and not from gateway/transport/telnet.ts:
 *
 * - `TelnetInput`: what the server makes of a client's bytes before framing them. Until the
 *   connection has spoken telnet every byte is data; it speaks telnet with its first IAC
 *   followed by 0xF0..0xFE outside a body. From then on IAC sequences go, `IAC IAC` is a
 *   0xFF, IP/AO/EL/BRK drop the line (or body) being typed, and AYT is answered PONG; but
 *   until the client has said WILL BINARY, an IP, AO or BRK while the data so far ends inside
 *   a UTF-8 character is that character's byte (0x83, 0x8F, 0x9C), put back.
 * - `TelnetOutput`: the server's bytes to a connection that spoke telnet, undone for the
 *   frame reader: `IAC IAC` is one 0xFF, the server's negotiation is dropped, and anything
 *   the spec does not let the server send is reported.
 */

/** `off`: no telnet here (a WebSocket); `ready`: the TCP port, not yet spoken; `on`: spoken. */
export type TelnetState = 'off' | 'ready' | 'on';

const IAC = 0xff;
const DONT = 0xfe;
const DO = 0xfd;
const WONT = 0xfc;
const WILL = 0xfb;
const SB = 0xfa;
const EL = 0xf8;
const AYT = 0xf6;
const AO = 0xf5;
const IP = 0xf4;
const BRK = 0xf3;
const SE = 0xf0;
const LF = 10;
/** The keys a client not in BINARY sends for a UTF-8 byte whose low 7 bits are that key. */
const PUT_BACK = new Map([[IP, 0x83], [AO, 0x8f], [BRK, 0x9c]]);

/** What the framing model is told, in input order. */
export type TelnetSink = {
  data(bytes: Uint8Array): void;
  /** True inside a length-counted body (kept or skipped): a 0xFF there is data until telnet is spoken. */
  inBody(): boolean;
  spoke(): void;
  /** IP, AO, EL, BRK. */
  discard(): void;
  /** AYT: a PONG is owed, in order. */
  ayt(): void;
};

type Sub = 'data' | 'iac' | 'option' | 'sb' | 'sbIac';

export class TelnetInput {
  state: TelnetState;
  private sub: Sub = 'data';
  /** `ready`: a 0xFF outside a body ended the last bytes; the next byte decides what it is. */
  private undecided = false;
  private readonly sink: TelnetSink;
  /** The verb of the option negotiation being read. */
  private verb = 0;
  /** The client has said WILL BINARY (and not WONT since). */
  private binary = false;
  /** Continuation bytes the data so far still owes its last UTF-8 character. */
  private owed = 0;

  constructor(state: TelnetState, sink: TelnetSink) {
    this.state = state;
    this.sink = {
      ...sink,
      data: (bytes) => {
        for (const b of bytes) {
          if (b >= 0x80 && b <= 0xbf) this.owed = Math.max(0, this.owed - 1);
          else this.owed = b >= 0xc2 && b <= 0xdf ? 1 : b >= 0xe0 && b <= 0xef ? 2 : b >= 0xf0 && b <= 0xf4 ? 3 : 0;
        }
        sink.data(bytes);
      },
    };
  }

  feed(bytes: Uint8Array): void {
    if (this.state === 'off' || (this.sub === 'data' && !this.undecided && !bytes.includes(IAC))) {
      if (bytes.length) this.sink.data(bytes);
      return;
    }
    let run: number[] = [];
    const flush = () => {
      if (run.length) this.sink.data(Uint8Array.from(run));
      run = [];
    };
    let i = 0;
    if (this.undecided) {
      this.undecided = false;
      i = this.decide(bytes, 0, run);
      if (i < 0) {
        // It spoke telnet: the IAC is its first, bytes[0] the command.
        i = 0;
        this.sub = 'iac';
      }
    }
    for (; i < bytes.length; i++) {
      const b = bytes[i];
      if (this.state === 'ready') {
        if (b !== IAC) {
          run.push(b);
          continue;
        }
        flush();
        if (this.sink.inBody()) {
          run.push(b);
          continue;
        }
        if (i + 1 === bytes.length) {
          this.undecided = true;
          break;
        }
        const next = this.decide(bytes, i + 1, run);
        if (next >= 0) i = next - 1;
        else this.sub = 'iac';
        continue;
      }
      switch (this.sub) {
        case 'data':
          if (b === IAC) {
            flush();
            this.sub = 'iac';
          } else run.push(b);
          break;
        case 'iac':
          this.sub = 'data';
          if (b === IAC) run.push(IAC);
          else this.command(b);
          break;
        case 'option':
          this.sub = 'data';
          if (b === 0 && this.verb === WILL) this.binary = true;
          if (b === 0 && this.verb === WONT) this.binary = false;
          break;
        case 'sb':
          if (b === IAC) this.sub = 'sbIac';
          break;
        case 'sbIac':
          if (b === IAC) this.sub = 'sb';
          else {
            // IAC SE ends it; IAC and anything else ends it too, read as it would be outside.
            this.sub = 'data';
            if (b !== SE) this.command(b);
          }
          break;
      }
    }
    flush();
  }

  /**
   * `ready`, a 0xFF outside a body just before `bytes[at]`: a command byte makes the
   * connection speak telnet (returns -1, the command at `at` still to read); otherwise the
   * 0xFF is data, and so is a second 0xFF after it. Returns where to go on.
   */
  private decide(bytes: Uint8Array, at: number, run: number[]): number {
    const b = bytes[at];
    if (b >= SE && b !== IAC) {
      this.state = 'on';
      this.sink.spoke();
      return -1;
    }
    run.push(IAC);
    if (b === IAC) {
      run.push(IAC);
      return at + 1;
    }
    return at;
  }

  private command(b: number): void {
    const byte = PUT_BACK.get(b);
    if (byte !== undefined && !this.binary && this.owed > 0) {
      this.sink.data(Uint8Array.of(byte));
      return;
    }
    this.verb = b;
    if (b === DO || b === DONT || b === WILL || b === WONT) this.sub = 'option';
    else if (b === SB) this.sub = 'sb';
    else if (b === IP || b === AO || b === EL || b === BRK) this.sink.discard();
    else if (b === AYT) this.sink.ayt();
    // Every other byte after an IAC (a command that does nothing here, or none): dropped.
  }

  /** Bytes that finish an unfinished telnet sequence without a reply of their own; null if none is. */
  closing(): Uint8Array | null {
    if (this.undecided) return Uint8Array.of(LF); // the 0xFF is data, its line ends
    switch (this.sub) {
      case 'iac':
        return Uint8Array.of(0xf1); // NOP
      case 'option':
        return Uint8Array.of(0x01); // ECHO: refused, or nothing
      case 'sb':
        return Uint8Array.of(IAC, SE);
      case 'sbIac':
        return Uint8Array.of(SE);
      default:
        return null;
    }
  }
}

/** The telnet the spec lets the server send: `IAC DO BINARY`, `WILL TIMING-MARK`, `DONT x`, `WONT x`. */
function allowed(verb: number, option: number): boolean {
  return verb === DONT || verb === WONT || (verb === DO && option === 0) || (verb === WILL && option === 6);
}

export class TelnetOutput {
  private sub: 'data' | 'iac' | 'option' = 'data';
  private verb = 0;
  private readonly odd: (what: string) => void;

  constructor(odd: (what: string) => void) {
    this.odd = odd;
  }

  /** The server's bytes with telnet undone. */
  undo(chunk: Uint8Array): Buffer {
    if (this.sub === 'data' && !chunk.includes(IAC)) return Buffer.from(chunk);
    const out: number[] = [];
    for (const b of chunk) {
      if (this.sub === 'data') {
        if (b === IAC) this.sub = 'iac';
        else out.push(b);
      } else if (this.sub === 'iac') {
        this.sub = 'data';
        if (b === IAC) out.push(IAC);
        else if (b === DO || b === DONT || b === WILL || b === WONT) {
          this.verb = b;
          this.sub = 'option';
        } else this.odd(`IAC ${b.toString(16)}`);
      } else {
        this.sub = 'data';
        if (!allowed(this.verb, b)) this.odd(`IAC ${this.verb.toString(16)} ${b.toString(16)}`);
      }
    }
    return Buffer.from(out);
  }
}
