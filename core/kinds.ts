import type { ServerFrame } from './frames.ts';
import { encodeServerFrame } from './encode.ts';
import { encodePersonFrame } from './render-person.ts';

/**
 * Who reads a connection, which decides the bytes it is sent (spec: MODE, "Rendering for
 * people"): a `program` (bots, the web app, scripts) gets the SLCK wire byte for byte; a
 * `person` at a terminal gets it made safe to read (render-person.ts).
 */
export type ReaderKind = 'program' | 'person';

/**
 * The one place a frame's encoder is picked by kind. `reader`: the handle reading it (a
 * person's direct message is worded from their side); a program's bytes never depend on it.
 */
export function encodeFrameFor(kind: ReaderKind, frame: ServerFrame, reader?: string): Uint8Array {
  return kind === 'program' ? encodeServerFrame(frame) : encodePersonFrame(frame, reader);
}
