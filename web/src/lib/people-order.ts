import { nameKey } from '../../../core/names.ts';

/** Someone in the People list: `near` when online or sharing a conversation with me. */
export type ListedPerson = { name: string; online: boolean };
export type PeopleGroups<P extends ListedPerson> = { near: P[]; rest: P[] };

const byName = (a: ListedPerson, b: ListedPerson): number => nameKey(a.name).localeCompare(nameKey(b.name));

/**
 * The People list in the order people look for someone: first those online or with whom I
 * share a conversation (a channel I am in, a direct conversation), online ones first; then
 * everyone else the server knows, by name. `filter` (any part of the handle, any case, with
 * or without its `@`) keeps only the matches, in the same order.
 */
export function groupPeople<P extends ListedPerson>(people: readonly P[], shared: ReadonlySet<string>, filter = ''): PeopleGroups<P> {
  const wanted = nameKey(filter.trim().replace(/^@/, ''));
  const near: P[] = [];
  const rest: P[] = [];
  for (const p of people) {
    if (wanted !== '' && !nameKey(p.name).slice(1).includes(wanted)) continue;
    (p.online || shared.has(nameKey(p.name)) ? near : rest).push(p);
  }
  near.sort((a, b) => Number(b.online) - Number(a.online) || byName(a, b));
  rest.sort(byName);
  return { near, rest };
}
