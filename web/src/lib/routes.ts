import { isChannel, isHandle } from '../../../core/names.ts';

/**
 * The address of what is on screen: each conversation and each message has one, in the
 * hash, so the static server needs nothing for it.
 *
 *   #/c/general         the channel #general
 *   #/c/@bob            the direct conversation with @bob
 *   #/c/general/1234    message 1234 of #general, shown in context and highlighted
 *
 * Names use only letters, digits, `_`, `-` and `.` (core/names.ts), so they need no escaping.
 */
export type Route = { name: string; id?: number };

const ROUTE = /^#\/c\/(@?[A-Za-z0-9_.-]+)(?:\/([1-9][0-9]{0,15}))?\/?$/;

/** What `hash` names, or null when it names nothing (no hash, or not one of ours). */
export function parseRoute(hash: string): Route | null {
  const m = ROUTE.exec(hash);
  if (!m) return null;
  const name = m[1].startsWith('@') ? m[1] : `#${m[1]}`;
  if (!(isChannel(name) || isHandle(name))) return null;
  const id = m[2] === undefined ? undefined : Number(m[2]);
  if (id !== undefined && !Number.isSafeInteger(id)) return null;
  return id === undefined ? { name } : { name, id };
}

/** The hash of a conversation (`#general` or `@bob`), or of one of its messages. */
export function routeHash(name: string, id?: number): string {
  const segment = name.startsWith('#') ? name.slice(1) : name;
  return `#/c/${segment}${id === undefined ? '' : `/${id}`}`;
}

/** The full address of a message, for "Copy link". */
export function messageUrl(name: string, id: number): string {
  return `${location.origin}${location.pathname}${location.search}${routeHash(name, id)}`;
}
