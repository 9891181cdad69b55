/** A message of ours whose MSG went out but whose OK never came (the link dropped first). */
export type Unsure = { id: number; body: string; after: number };
/** A message of the server's history, as far as matching needs it. */
export type Stored = { id: number; from: string; body: string };

/**
 * Which of the unsure messages of one conversation the server stored anyway. The reply is
 * lost, but the history is not: a message the server stored is there, from me, with the same
 * body, and newer than the conversation's newest message when its MSG was written (`after`).
 * Taken in the order they were sent, each gets the first such message not already given to
 * an earlier one, newer than that earlier one's: one stored message answers for one send, so
 * "ok" sent twice and stored once is sent again once. `history` is in id order.
 * Returns, per unsure message id, the stored message it turned out to be.
 */
export function matchStored<T extends Stored>(unsure: readonly Unsure[], history: readonly T[], isMe: (name: string) => boolean): Map<number, T> {
  const found = new Map<number, T>();
  let from = 0;
  let lastId = 0;
  for (const u of unsure) {
    for (let i = from; i < history.length; i++) {
      const m = history[i];
      if (m.id <= u.after || m.id <= lastId || !isMe(m.from) || m.body !== u.body) continue;
      found.set(u.id, m);
      from = i + 1;
      lastId = m.id;
      break;
    }
  }
  return found;
}
