import { nameKey } from '../../../core/names.ts';

/**
 * What the browser remembers. The tab's session (sessionStorage) survives a reload so the
 * page signs itself in again, and says which conversation was open. A claimed handle's
 * session token (localStorage, so every tab of this browser shares it) signs a reload, a new
 * tab or a restarted server back in without the password, which is never stored. The
 * conversations themselves, direct ones included, come from the server (UNREAD).
 */

export type SavedSession = { handle: string; claimed: boolean; active?: string };
/** A claimed handle's session token from TOKEN (spec: TOKEN, RESUME). */
export type SavedToken = { handle: string; token: string };

const SESSION = 'slck.session';
const LAST_HANDLE = 'slck.lastHandle';
export const TOKEN_KEY = 'slck.token';

function read<T>(store: Storage | undefined, key: string): T | null {
  try {
    const raw = store?.getItem(key);
    return raw ? (JSON.parse(raw) as T) : null;
  } catch {
    return null;
  }
}

function write(store: Storage | undefined, key: string, value: unknown): void {
  try {
    if (value === null) store?.removeItem(key);
    else store?.setItem(key, JSON.stringify(value));
  } catch {
    // Storage can be full or disabled (private mode): remembering is a convenience only.
  }
}

const session = (): Storage | undefined => (typeof sessionStorage === 'undefined' ? undefined : sessionStorage);
const local = (): Storage | undefined => (typeof localStorage === 'undefined' ? undefined : localStorage);

export const loadSession = (): SavedSession | null => read<SavedSession>(session(), SESSION);
export const saveSession = (s: SavedSession | null): void => write(session(), SESSION, s);

export const loadLastHandle = (): string => read<string>(local(), LAST_HANDLE) ?? '';
export const saveLastHandle = (handle: string): void => write(local(), LAST_HANDLE, handle);

/** The stored token, if it is well formed (an older or hand-edited value counts as none). */
export function parseToken(raw: string | null | undefined): SavedToken | null {
  try {
    const v: unknown = raw ? JSON.parse(raw) : null;
    if (!v || typeof v !== 'object') return null;
    const { handle, token } = v as Record<string, unknown>;
    return typeof handle === 'string' && typeof token === 'string' && handle !== '' && token !== '' ? { handle, token } : null;
  } catch {
    return null;
  }
}
export function loadToken(): SavedToken | null {
  try {
    return parseToken(local()?.getItem(TOKEN_KEY));
  } catch {
    return null;
  }
}
export const saveToken = (t: SavedToken | null): void => write(local(), TOKEN_KEY, t);

/** Handles that have signed in from this browser before (a first sign-in joins #general). */
/**
 * What this tab had sent and not yet seen stored (outbox.svelte.ts), so a reload during an
 * outage does not lose it. Per tab, like the session: another tab does not send it too.
 */
export type SavedOutgoing = { key: string; target: string; body: string; state: string; error: string; after: number };
export type SavedOutbox = { handle: string; items: SavedOutgoing[] };
const OUTBOX = 'slck.outbox';

export function loadOutbox(): SavedOutbox | null {
  const v = read<SavedOutbox>(session(), OUTBOX);
  if (!v || typeof v.handle !== 'string' || !Array.isArray(v.items)) return null;
  const ok = (i: SavedOutgoing) =>
    typeof i?.key === 'string' && typeof i.target === 'string' && typeof i.body === 'string' && typeof i.state === 'string' &&
    typeof i.error === 'string' && typeof i.after === 'number';
  return { handle: v.handle, items: v.items.filter(ok) };
}
export const saveOutbox = (o: SavedOutbox | null): void => write(session(), OUTBOX, o);

/**
 * Unsent text, per handle and conversation (Composer.svelte), so a reload or a closed tab
 * does not lose a half-written message. In localStorage: every tab of the browser shares
 * them. At most MAX_DRAFTS per handle, the least recently written dropped first; an explicit
 * Sign out forgets them (a shared computer keeps nothing of what was typed).
 */
const MAX_DRAFTS = 50;
const draftsKey = (handle: string) => `slck.drafts.${nameKey(handle)}`;

function loadDrafts(handle: string): Record<string, string> {
  const v = read<Record<string, unknown>>(local(), draftsKey(handle));
  const out: Record<string, string> = {};
  if (v && typeof v === 'object' && !Array.isArray(v)) for (const [k, t] of Object.entries(v)) if (typeof t === 'string') out[k] = t;
  return out;
}

export const loadDraft = (handle: string, key: string): string => (handle === '' ? '' : (loadDrafts(handle)[key] ?? ''));

export function saveDraft(handle: string, key: string, text: string): void {
  if (handle === '') return;
  const drafts = loadDrafts(handle);
  if ((drafts[key] ?? '') === text) return;
  delete drafts[key];
  if (text !== '') drafts[key] = text;
  const keys = Object.keys(drafts);
  for (const old of keys.slice(0, Math.max(0, keys.length - MAX_DRAFTS))) delete drafts[old];
  write(local(), draftsKey(handle), Object.keys(drafts).length === 0 ? null : drafts);
}

export const forgetDrafts = (handle: string): void => write(local(), draftsKey(handle), null);
