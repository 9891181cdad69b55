import { nameKey } from '../../../core/names.ts';

/**
 * What the browser remembers. The tab's session (sessionStorage) survives a reload so the
 * page signs itself in again; a password is never stored, so a claimed handle is asked for
 * its password after a reload. Names of direct conversations persist per handle, since the
 * server has no command that lists them.
 */

export type SavedSession = { handle: string; claimed: boolean; active?: string };

const SESSION = 'slck.session';
const LAST_HANDLE = 'slck.lastHandle';
const dmKey = (handle: string) => `slck.dms.${nameKey(handle)}`;

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

export const loadDmPartners = (me: string): string[] => read<string[]>(local(), dmKey(me)) ?? [];
export const saveDmPartners = (me: string, names: string[]): void => write(local(), dmKey(me), names);

/** Handles that have signed in from this browser before (a first sign-in joins #general). */
const signedInKey = (handle: string) => `slck.signedIn.${nameKey(handle)}`;
export const hasSignedIn = (handle: string): boolean => read<boolean>(local(), signedInKey(handle)) === true;
export const markSignedIn = (handle: string): void => write(local(), signedInKey(handle), true);
