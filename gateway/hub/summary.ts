import type { Conn, Departure } from './conn.ts';

/** One line of the shutdown summary (seed 002): who sent what, and how they left. */
export type SummaryRow = {
  client: string;
  remote: string;
  transport: string;
  user: string;
  sent: number;
  muted: number;
  left: Departure;
};

export function summaryRows(conns: Iterable<Conn>): SummaryRow[] {
  const rows: SummaryRow[] = [];
  for (const c of conns) {
    rows.push({
      client: c.session.id,
      remote: c.session.remote,
      transport: c.session.transport,
      user: c.user?.handle ?? c.lastHandle ?? '-',
      sent: c.sent,
      muted: c.mutedTotal,
      left: c.departure,
    });
  }
  return rows;
}

/** The summary as a plain-text table, as seed 002 printed it. */
export function formatSummary(rows: readonly SummaryRow[]): string {
  const head = ['Client', 'Address', 'Via', 'User', 'Sent', 'Muted', 'Left by'];
  const body = rows.map((r) => [r.client, r.remote, r.transport, r.user, String(r.sent), String(r.muted), r.left]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const fmt = (cells: string[]) => cells.map((c, i) => (i >= 4 && i <= 5 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd();
  const lines = [fmt(head), ...body.map(fmt)];
  if (rows.length === 0) lines.push('(no connections)');
  return lines.join('\n');
}
