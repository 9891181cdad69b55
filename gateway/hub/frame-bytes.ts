import { encodeFrameFor, nameKey, type ReaderKind, type ServerFrame } from '../../core/index.ts';
import type { Conn } from './conn.ts';

/**
 * One frame's bytes for each kind of reader (core/kinds.ts picks the encoder), each made at
 * most once, and only when a connection of that kind is among the recipients: fan-out writes
 * that one buffer to every connection of the kind, so a channel with no person online never
 * pays for the person rendering, nor one of people only for the program's bytes. A direct
 * message is worded for a person from their side (`DM from` to its recipient, `DM to` to its
 * author's other connections): two person renderings, each made at most once as well.
 */
export class FrameBytes {
  private program: Uint8Array | null = null;
  private person: Uint8Array | null = null;
  /** A direct message as its author's own connections read it. */
  private personOwn: Uint8Array | null = null;
  /** A direct message's author key, once a person is among its recipients; '' for any other frame. */
  private author: string | null = null;
  /** How many encodings were made (at most one per kind, and one more for a direct message's author). */
  encodings = 0;

  constructor(readonly frame: ServerFrame) {}

  /** The bytes `conn` is sent. The same Uint8Array goes to every connection of its kind: never modify it. */
  for(conn: Conn): Uint8Array {
    if (conn.kind === 'program') return this.program ?? (this.program = this.make('program'));
    const f = this.frame;
    this.author ??= 'from' in f && 'target' in f && f.target.charCodeAt(0) === 64 ? nameKey(f.from) : '';
    if (this.author !== '' && conn.user?.key === this.author) {
      return this.personOwn ?? (this.personOwn = this.make('person', conn.user.handle));
    }
    return this.person ?? (this.person = this.make('person'));
  }

  private make(kind: ReaderKind, reader?: string): Uint8Array {
    this.encodings++;
    return encodeFrameFor(kind, this.frame, reader);
  }
}
