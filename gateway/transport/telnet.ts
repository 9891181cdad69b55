/**
 * Telnet on the TCP port (RFC 854, 855, 860): the filter between the socket and the SLCK
 * parser. A person's `telnet` sends control codes (IAC sequences) among the text, and waits
 * for answers to some of them; a program never does. So:
 *
 * - Until the peer has spoken telnet, every byte goes to the parser as it came: a 0xFF is
 *   data, as it always was. The peer speaks telnet with the first 0xFF (IAC) that is followed
 *   by a command byte (0xF0 to 0xFE) and is not inside a length-counted body (the parser
 *   says where bodies are: `bodyAhead`). A 0xFF inside a body is body data.
 * - From then on, IAC sequences are removed wherever they are (a body's length counts what is
 *   left), `IAC IAC` is one 0xFF data byte, and the host is told what the commands mean.
 *
 * Options: the server asks for BINARY once the peer has spoken telnet (without it, netkit
 * and inetutils `telnet` strip the 8th bit when looking for their special keys, so the UTF-8
 * bytes 0x83, 0x9C, 0x9D of `✓` or `”` act as Ctrl-C, Ctrl-\ or the escape key). It agrees
 * to DO TIMING-MARK (the host answers once the output of what came before is out, and the
 * filter hands nothing after it on until then), and
 * refuses every other option: DO x gets WONT x, WILL x gets DONT x, and a refusal (DONT,
 * WONT) is never answered, so two peers cannot loop.
 *
 * Nothing is copied: the data handed on are views of the chunk, and a chunk with no 0xFF in
 * it goes on whole. State is kept across chunks, so any split of the input gives the same
 * result.
 */

export const IAC = 0xff;
const DONT = 0xfe;
const DO = 0xfd;
const WONT = 0xfc;
const WILL = 0xfb;
const SB = 0xfa;
const GA = 0xf9;
const EL = 0xf8;
const EC = 0xf7;
const AYT = 0xf6;
const AO = 0xf5;
const IP = 0xf4;
const BRK = 0xf3;
const DM = 0xf2;
const NOP = 0xf1;
const SE = 0xf0;
const BINARY = 0;
const TIMING_MARK = 6;

/** The commands a client sends for a UTF-8 continuation byte it read as a key: the byte. */
const STRIPPED = new Map([[IP, 0x83], [BRK, 0x9c], [AO, 0x8f]]);

/**
 * Continuation bytes still owed after `bytes`, given `owed` before them: the end of the run
 * is looked at (a character is at most 4 bytes), so the cost does not grow with the run.
 */
export function utf8Owed(bytes: Uint8Array, owed: number): number {
  const n = bytes.length;
  for (let back = 1; back <= 4 && back <= n; back++) {
    const b = bytes[n - back];
    if ((b & 0xc0) === 0x80) continue;
    const len = b < 0xc2 ? 1 : b < 0xe0 ? 2 : b < 0xf0 ? 3 : b < 0xf5 ? 4 : 1;
    return len > back ? len - back : 0;
  }
  // Continuation bytes only: those of a character begun before them.
  return n < 4 ? Math.max(0, owed - n) : 0;
}

/** Answer to DO TIMING-MARK. */
export const WILL_TIMING_MARK = Uint8Array.of(IAC, WILL, TIMING_MARK);
/** A lone 0xFF data byte, for an IAC that turned out to be data once the next chunk came. */
const ONE_FF = Uint8Array.of(IAC);

/** What the filter needs of the connection it sits in front of. Called in input order. */
export interface TelnetHost {
  /** Data for the SLCK parser: a view of the chunk, valid only during the call. */
  data(bytes: Uint8Array): void;
  /** How many of the bytes that come next are the rest of a length-counted body (0 outside one). */
  bodyAhead(): number;
  /** The peer has just spoken telnet, for the first time; its first command follows. */
  spokeTelnet(): void;
  /** IP (Ctrl-C), AO, EL or BRK: drop the line (or body) being typed. */
  discardLine(): void;
  /** AYT: show the person some sign of life; held as a timing mark is (below). */
  areYouThere(): void;
  /**
   * DO TIMING-MARK. The filter hands nothing more on until `resume()`: the host writes
   * `WILL_TIMING_MARK` once the output of everything before it is out, then resumes. (So the
   * answer to a command typed after Ctrl-C, which the client would hide until the mark, never
   * goes before it.) The host stops reading meanwhile; anything pushed anyway is kept.
   */
  timingMark(): void;
  /** Negotiation to write now, as is (never escaped). */
  reply(bytes: Uint8Array): void;
}

const enum State {
  Data,
  /** After IAC (before the peer has spoken telnet: a 0xFF at the end of a chunk, undecided). */
  Iac,
  /** After IAC DO/DONT/WILL/WONT: the option byte comes next. */
  Option,
  /** Inside subnegotiation (IAC SB … IAC SE): skipped, nothing kept. */
  Sub,
  SubIac,
}

/** Our side of BINARY in the peer's direction (RFC 1143's NO, WANTYES, YES). */
const enum Binary {
  No,
  Asked,
  Yes,
}

export class TelnetFilter {
  private spoken = false;
  private state = State.Data;
  /** DO, DONT, WILL or WONT, while its option byte is awaited. */
  private verb = 0;
  private binary = Binary.No;
  /** UTF-8 continuation bytes the data handed on so far still owes (see `stripped`). */
  private utf8Need = 0;
  /** Input after a DO TIMING-MARK, until `resume()`. */
  private held: Uint8Array | null = null;
  private marking = false;
  private readonly host: TelnetHost;

  constructor(host: TelnetHost) {
    this.host = host;
  }

  /** True once the peer has spoken telnet (see the top of this file). */
  get hasSpokenTelnet(): boolean {
    return this.spoken;
  }

  /** True from a DO TIMING-MARK or an AYT until `resume()`. */
  get waiting(): boolean {
    return this.marking;
  }

  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    if (this.marking) {
      // The host stopped reading, but a chunk was on its way: kept, in order (one copy).
      const held = this.held;
      this.held = held === null ? chunk.slice() : concat(held, chunk);
      return;
    }
    if (this.spoken) this.filter(chunk, 0);
    else this.watch(chunk);
  }

  /** The timing mark (or AYT) is answered: go on with what came after it. */
  resume(): void {
    if (!this.marking) return;
    this.marking = false;
    const held = this.held;
    this.held = null;
    if (held !== null) this.filter(held, 0);
  }

  /** Before the peer has spoken telnet: hand everything on, and look out for its first IAC command. */
  private watch(chunk: Uint8Array): void {
    const host = this.host;
    const n = chunk.length;
    /** The first byte not yet handed on. */
    let start = 0;
    /** Where to look for the next 0xFF. */
    let at = 0;
    if (this.state === State.Iac) {
      // The last chunk ended in a 0xFF outside a body: its next byte decides.
      this.state = State.Data;
      const b = chunk[0];
      if (b >= SE && b !== IAC) return this.begin(chunk, 0);
      this.give(ONE_FF);
      // IAC IAC is an escaped pair in telnet, never the start of a command: both are data.
      at = b === IAC ? 1 : 0;
    }
    for (;;) {
      const i = chunk.indexOf(IAC, at);
      if (i === -1) break;
      if (i > start) {
        this.give(chunk.subarray(start, i));
        start = i;
      }
      const body = host.bodyAhead();
      if (body > 0) {
        // Body data, like the rest of the body: look again after it.
        at = i + body;
        if (at >= n) break;
        continue;
      }
      if (i + 1 === n) {
        // Undecided until the next chunk; not handed on yet.
        this.state = State.Iac;
        return;
      }
      const b = chunk[i + 1];
      if (b >= SE && b !== IAC) return this.begin(chunk, i + 1);
      at = b === IAC ? i + 2 : i + 1;
    }
    if (start < n) this.give(start === 0 ? chunk : chunk.subarray(start, n));
  }

  /** The peer speaks telnet: `chunk[pos]` is the command byte of its first IAC. */
  private begin(chunk: Uint8Array, pos: number): void {
    this.spoken = true;
    this.host.spokeTelnet();
    this.binary = Binary.Asked;
    this.host.reply(Uint8Array.of(IAC, DO, BINARY));
    this.state = State.Iac;
    this.filter(chunk, pos);
  }

  /** Once the peer speaks telnet: remove IAC sequences and act on them. */
  private filter(chunk: Uint8Array, pos: number): void {
    const n = chunk.length;
    /** The first byte of the data run not yet handed on (meaningful in State.Data). */
    let run = pos;
    while (pos < n) {
      const state = this.state;
      if (state === State.Data) {
        const i = chunk.indexOf(IAC, pos);
        if (i === -1) break;
        if (i > run) this.give(chunk.subarray(run, i));
        this.state = State.Iac;
        pos = i + 1;
        continue;
      }
      if (state === State.Sub) {
        const i = chunk.indexOf(IAC, pos);
        if (i === -1) return;
        this.state = State.SubIac;
        pos = i + 1;
        continue;
      }
      const b = chunk[pos++];
      if (state === State.Option) {
        this.state = State.Data;
        run = pos;
        if (this.verb === DO && b === TIMING_MARK) return this.hold(chunk, pos, this.host.timingMark);
        this.negotiate(this.verb, b);
        continue;
      }
      if (state === State.SubIac) {
        if (b === IAC) {
          this.state = State.Sub;
          continue;
        }
        // IAC SE ends it. IAC and anything else is a peer that forgot the SE (RFC 855 leaves it
        // open): end the subnegotiation and read it as the command it is, as BSD telnetd does.
        this.state = State.Data;
        run = pos;
        if (b === AYT) return this.hold(chunk, pos, this.host.areYouThere);
        if (b !== SE) this.command(b);
        continue;
      }
      // State.Iac
      if (b === IAC) {
        // An escaped 0xFF: the second byte is the data, and starts the next run.
        this.state = State.Data;
        run = pos - 1;
        continue;
      }
      this.state = State.Data;
      run = pos;
      if (b === AYT) return this.hold(chunk, pos, this.host.areYouThere);
      this.command(b);
    }
    if (this.state === State.Data && run < n) this.give(run === 0 ? chunk : chunk.subarray(run, n));
  }

  /**
   * A DO TIMING-MARK or an AYT at `chunk[pos - 1]`: keep the rest (a view: a socket never
   * reuses a chunk) until the host has answered it and calls `resume`, then tell the host.
   */
  private hold(chunk: Uint8Array, pos: number, tell: () => void): void {
    this.marking = true;
    if (pos < chunk.length) this.held = chunk.subarray(pos);
    tell.call(this.host);
  }

  /** Data for the parser, noting whether it ends inside a UTF-8 character. */
  private give(bytes: Uint8Array): void {
    this.utf8Need = utf8Owed(bytes, this.utf8Need);
    this.host.data(bytes);
  }

  /** The byte after an IAC (not IAC itself). Leaves the state for what follows. */
  private command(b: number): void {
    if (this.utf8Need > 0 && this.binary !== Binary.Yes && STRIPPED.has(b)) {
      // Not a key the person pressed: a client not yet in BINARY strips the 8th bit when it
      // looks for its special keys, so the 0x9C inside ✓ (E2 9C 93) reads as Ctrl-\ and is
      // sent as IAC BRK (0x83 as Ctrl-C: IAC IP; 0x8F as Ctrl-O: IAC AO). Nobody can press a
      // key in the middle of a character, so it is that byte, put back.
      this.give(Uint8Array.of(STRIPPED.get(b)!));
      return;
    }
    switch (b) {
      case DO:
      case DONT:
      case WILL:
      case WONT:
        this.verb = b;
        this.state = State.Option;
        return;
      case SB:
        this.state = State.Sub;
        return;
      case IP:
      case AO:
      case EL:
      case BRK:
        this.host.discardLine();
        return;
      // (AYT never gets here: `filter` holds the input for it.)
      // EC: line-mode clients edit the line themselves and never send it; NOP and GA mean
      // nothing here; DM marks the end of a Synch, whose urgent data Node does not show us,
      // and everything before it has been read in order anyway; SE outside SB is stray.
      case EC:
      case NOP:
      case GA:
      case DM:
      case SE:
        return;
      default:
      // Not a telnet command (below 0xF0): dropped with its IAC, as BSD telnetd does.
    }
  }

  private negotiate(verb: number, option: number): void {
    const host = this.host;
    switch (verb) {
      case DO:
        // (DO TIMING-MARK never gets here: `filter` holds the input for it.)
        host.reply(Uint8Array.of(IAC, WONT, option));
        return;
      case WILL:
        if (option !== BINARY) host.reply(Uint8Array.of(IAC, DONT, option));
        else if (this.binary !== Binary.Yes) {
          // Our own DO BINARY's answer needs none; a peer offering it first gets our DO.
          if (this.binary === Binary.No) host.reply(Uint8Array.of(IAC, DO, BINARY));
          this.binary = Binary.Yes;
        }
        return;
      case WONT:
        if (option === BINARY) {
          if (this.binary === Binary.Yes) host.reply(Uint8Array.of(IAC, DONT, BINARY));
          this.binary = Binary.No;
        }
        return;
      // DONT: we do nothing, so there is nothing to stop or to confirm.
    }
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/**
 * `bytes` as a telnet peer must be sent them: each 0xFF doubled. The same array when it has
 * none, so a connection that never sees a 0xFF pays one indexOf per write.
 */
export function escapeIac(bytes: Uint8Array): Uint8Array {
  let i = bytes.indexOf(IAC);
  if (i === -1) return bytes;
  let count = 0;
  for (let j = i; j !== -1; j = bytes.indexOf(IAC, j + 1)) count++;
  const out = new Uint8Array(bytes.length + count);
  let from = 0;
  let to = 0;
  for (; i !== -1; i = bytes.indexOf(IAC, i + 1)) {
    out.set(bytes.subarray(from, i + 1), to);
    to += i + 1 - from;
    out[to++] = IAC;
    from = i + 1;
  }
  out.set(bytes.subarray(from), to);
  return out;
}
