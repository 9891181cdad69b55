/**
 * The most `measure()` gives while `until()` is false, sampled every millisecond or so: what
 * the server held at its worst while something happened. Throws, naming the peak, if `until()`
 * is still false after `timeoutMs`.
 */
export async function peak(measure: () => number, until: () => boolean, timeoutMs = 30_000): Promise<number> {
  let max = 0;
  const deadline = Date.now() + timeoutMs;
  while (!until()) {
    if (Date.now() > deadline) throw new Error(`not reached in ${timeoutMs} ms (peak ${max})`);
    max = Math.max(max, measure());
    await new Promise((r) => setTimeout(r, 1));
  }
  return Math.max(max, measure());
}
