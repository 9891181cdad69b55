import type { Row } from './format.ts';

/**
 * A channel's rows with a blocked user's messages gathered: each run of consecutive messages
 * from blocked users is one entry, shown as a line ("2 messages from a blocked user — Show")
 * until it is opened. `key`: the run's first message's, stable while the run grows below.
 */
export type ListEntry = { kind: 'row'; row: Row } | { kind: 'blocked'; key: string; rows: Row[] };

export function gatherBlocked(rows: readonly Row[], blocked: (name: string) => boolean): ListEntry[] {
  const out: ListEntry[] = [];
  let run: Extract<ListEntry, { kind: 'blocked' }> | null = null;
  for (const row of rows) {
    const item = row.item;
    if (item.kind === 'msg' && !item.mine && blocked(item.from)) {
      // A new day starts a new run, so its divider stays in place.
      if (run === null || row.day !== null) out.push((run = { kind: 'blocked', key: `b${item.id}`, rows: [] }));
      run.rows.push(row);
    } else {
      run = null;
      out.push({ kind: 'row', row });
    }
  }
  return out;
}

export const blockedLine = (n: number): string => `${n} ${n === 1 ? 'message' : 'messages'} from a blocked user`;
