import type { Conn } from './conn.ts';

/**
 * Fair service: what one connection's commands may take of one event-loop turn, in time and
 * in bytes of their own replies. The rest wait in its inbox (not read from meanwhile) until
 * the next turn, so the other connections' input is read and run in between: a pipeline of
 * a hundred HISTORY once ran whole before a bystander's PING. Counted per command, never per
 * delivery. Time rather than a count of commands: 16 commands a turn cut a pipeline of MSGs
 * from 34,000 a second to 7,300 (a commit and a socket pause per 16).
 */
const TURN_MS = 2;
const TURN_REPLY_BYTES = 64 * 1024;
/** Milliseconds of deferred shares one turn runs before the rest wait for the next. */
const TURN_DEFERRED_MS = 4;

/** The event-loop turns of one hub, and each connection's share of the current one. */
export class TurnShares {
  /** Moved on by a setImmediate armed when commands run. */
  private turn = 0;
  private armed = false;
  /** The turn in which deferred shares last ran, and when the first of them began. */
  private deferredTurn = -1;
  private deferredFrom = 0;
  private readonly next = (): void => {
    this.turn++;
    this.armed = false;
  };

  /** Whether the connection has had its share of this turn; its first command starts one. */
  spent(conn: Conn): boolean {
    if (conn.turnAt !== this.turn) {
      conn.turnAt = this.turn;
      conn.turnFrom = performance.now();
      conn.turnBytes = 0;
      this.arm();
      return false;
    }
    return conn.turnBytes >= TURN_REPLY_BYTES || performance.now() - conn.turnFrom >= TURN_MS;
  }

  /**
   * Whether a deferred connection's next share may run now: not once this turn's deferred
   * shares have run TURN_DEFERRED_MS (then it goes round again, after the next read of
   * everyone's input). One HISTORY of 500 takes milliseconds, so four pipeliners' shares back
   * to back once made a bystander's PING wait 15-60 ms.
   */
  deferredMayRun(): boolean {
    const now = performance.now();
    if (this.deferredTurn !== this.turn) {
      this.deferredTurn = this.turn;
      this.deferredFrom = now;
      return true;
    }
    if (now - this.deferredFrom <= TURN_DEFERRED_MS) return true;
    // The turn moves on first, so the share finds a fresh one when it comes round.
    this.arm();
    return false;
  }

  private arm(): void {
    if (this.armed) return;
    this.armed = true;
    setImmediate(this.next);
  }
}
