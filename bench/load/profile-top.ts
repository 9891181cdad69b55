/**
 * Summarise a V8 CPU profile (`node --cpu-prof`, or `npm run bench:load -- --cpu-prof DIR`):
 * the functions with the most samples, by self time and by inclusive time.
 *
 *   npx tsx bench/load/profile-top.ts DIR/server/CPU.*.cpuprofile [rows]
 *
 * Samples are wall-clock ticks of the main thread: on a machine whose cores are all busy a
 * function is also charged for the time its process waited for a core, so read shares, not
 * absolute times ("(idle)" is the event loop waiting in epoll).
 */
import { readFileSync } from 'node:fs';

type Node = { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] };
type Profile = { nodes: Node[]; samples: number[]; timeDeltas: number[] };

const [file, rowsArg] = process.argv.slice(2);
if (!file) {
  console.error('usage: tsx bench/load/profile-top.ts FILE.cpuprofile [rows]');
  process.exit(2);
}
const rows = Number(rowsArg ?? 25);
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

const name = (n: Node) => {
  const where = n.callFrame.url.split('/').slice(-2).join('/');
  return `${n.callFrame.functionName || '(anonymous)'} ${where}${where ? `:${n.callFrame.lineNumber + 1}` : ''}`;
};

const timeOf = new Map<number, number>();
let total = 0;
profile.samples.forEach((id, i) => {
  const dt = profile.timeDeltas[i] ?? 0;
  timeOf.set(id, (timeOf.get(id) ?? 0) + dt);
  total += dt;
});

const self = new Map<string, number>();
const inclusive = new Map<string, number>();
for (const [id, dt] of timeOf) {
  const k = name(byId.get(id)!);
  self.set(k, (self.get(k) ?? 0) + dt);
  // Each function once per stack, however often it recurses.
  const seen = new Set<string>();
  for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
    const key = name(byId.get(cur)!);
    if (seen.has(key)) continue;
    seen.add(key);
    inclusive.set(key, (inclusive.get(key) ?? 0) + dt);
  }
}

const top = (m: Map<string, number>) =>
  [...m]
    .sort((a, b) => b[1] - a[1])
    .slice(0, rows)
    .map(([k, us]) => `${(us / 1000).toFixed(0).padStart(8)} ms ${((100 * us) / total).toFixed(1).padStart(5)}%  ${k}`)
    .join('\n');

console.log(`${file}: ${(total / 1e6).toFixed(2)} s sampled\n\nself\n${top(self)}\n\ninclusive\n${top(inclusive)}`);
