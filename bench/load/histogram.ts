/**
 * A log-linear latency histogram in whole microseconds, cheap enough to record every
 * delivery (a shift and an add), and mergeable across worker processes by adding counts.
 * Values below 64 us are exact; above, each power of two is cut into 32 buckets (~3%).
 */

const LINEAR = 64;
const SUB = 32;
const SUB_BITS = 5;
/** Values up to 2^31 us (~36 minutes); anything larger lands in the last bucket. */
const BUCKETS = LINEAR + (31 - SUB_BITS) * SUB;

function bucketOf(v: number): number {
  if (v < LINEAR) return v < 0 ? 0 : v;
  if (v >= 2 ** 31) return BUCKETS - 1;
  const msb = 31 - Math.clz32(v); // >= 6
  const shift = msb - SUB_BITS; // >= 1
  return LINEAR + (shift - 1) * SUB + ((v >>> shift) - SUB);
}

/** The middle of a bucket's range, in us. */
function valueOf(i: number): number {
  if (i < LINEAR) return i;
  const shift = Math.floor((i - LINEAR) / SUB) + 1;
  const sub = ((i - LINEAR) % SUB) + SUB;
  return (sub << shift) + (1 << (shift - 1));
}

export type HistogramData = { counts: number[]; max: number; total: number; sum: number };

export class Histogram {
  private readonly counts = new Float64Array(BUCKETS);
  max = 0;
  total = 0;
  sum = 0;

  record(us: number): void {
    const v = us | 0;
    this.counts[bucketOf(v)]++;
    this.total++;
    this.sum += us;
    if (us > this.max) this.max = us;
  }

  toJSON(): HistogramData {
    return { counts: Array.from(this.counts), max: this.max, total: this.total, sum: this.sum };
  }

  add(d: HistogramData): void {
    for (let i = 0; i < BUCKETS; i++) this.counts[i] += d.counts[i];
    this.total += d.total;
    this.sum += d.sum;
    if (d.max > this.max) this.max = d.max;
  }

  /** The value at percentile `p` (0-100), in us; NaN when empty. */
  percentile(p: number): number {
    if (this.total === 0) return NaN;
    const rank = Math.max(1, Math.ceil((p / 100) * this.total));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i];
      if (seen >= rank) return Math.min(valueOf(i), this.max);
    }
    return this.max;
  }
}
