import type { NewChange, StoreWrite } from './store.ts';

/**
 * One shape for `commit(writes)` in every store. A batch is applied in two parts, the same in
 * memory, SQLite and PostgreSQL: first its state writes (users, channels, marks, sessions…)
 * in order, each by its entry of the store's handler table; then its log writes (the ones
 * that take the next id of a conversation), in order, by the store's own log code, which
 * numbers them together (PostgreSQL bumps each conversation's counter once per batch).
 *
 * A handler table names every state op (`WriteHandlers`), so adding an op to StoreWrite is one
 * entry per store, and the compiler lists each store that lacks it.
 */

export type WriteOp = StoreWrite['op'];
export type WriteOf<K extends WriteOp> = Extract<StoreWrite, { op: K }>;

/** The writes that take the next id of their conversation. */
export type LogWrite = WriteOf<'append' | 'change'>;
export type StateOp = Exclude<WriteOp, LogWrite['op']>;
export type StateWrite = WriteOf<StateOp>;

/** What a store does for each state write; `R` is void, or a promise for a store across a network. */
export type WriteHandlers<C, R> = { [K in StateOp]: (w: WriteOf<K>, ctx: C) => R };

const LOG_OPS: ReadonlySet<WriteOp> = new Set<LogWrite['op']>(['append', 'change']);
export const isLogWrite = (w: StoreWrite): w is LogWrite => LOG_OPS.has(w.op);

/** Who wrote a log write and to whom: its conversation is `conversationOf(target, from)`. */
export const logHead = (w: LogWrite): { target: string; from: string } => (w.op === 'append' ? w.message : w.change);

/**
 * What a store does for each kind of change (edit, delete, react, unreact): one entry each,
 * so a new kind is listed by the compiler in every store.
 */
export type ChangeHandlers<C, R> = { [K in NewChange['kind']]: (c: NewChange & { kind: K }, ctx: C) => R };

export function applyChange<C, R>(handlers: ChangeHandlers<C, R>, c: NewChange, ctx: C): R {
  return (handlers[c.kind] as (c: NewChange, ctx: C) => R)(c, ctx);
}

/** The state writes in order, at once (memory, SQLite); returns the log writes, in order. */
export function applyWrites<C>(handlers: WriteHandlers<C, void>, writes: readonly StoreWrite[], ctx: C): LogWrite[] {
  const log: LogWrite[] = [];
  for (const w of writes) {
    if (isLogWrite(w)) log.push(w);
    else (handlers[w.op] as (w: StateWrite, ctx: C) => void)(w, ctx);
  }
  return log;
}

/** As `applyWrites`, each handler awaited before the next (PostgreSQL: one connection, in order). */
export async function applyWritesInOrder<C>(
  handlers: WriteHandlers<C, Promise<void>>,
  writes: readonly StoreWrite[],
  ctx: C,
): Promise<LogWrite[]> {
  const log: LogWrite[] = [];
  for (const w of writes) {
    if (isLogWrite(w)) log.push(w);
    else await (handlers[w.op] as (w: StateWrite, ctx: C) => Promise<void>)(w, ctx);
  }
  return log;
}
