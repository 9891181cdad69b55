import { ServerError } from '../../../core/client.ts';
import { nameKey } from '../../../core/names.ts';
import { DESKTOP_KEY, fromServer, muteKey, onOff, SOUND_KEY, withPref, type AccountPrefs } from './account-prefs.ts';
import type { Session } from './session.svelte.ts';

/**
 * The person's preferences. This browser keeps, in localStorage under one key (so every tab
 * shares them): the theme, and for anyone not signed in with a claimed handle (a guest) the
 * desktop notifications, the sound and the conversations each handle has muted. A claimed
 * handle's mutes, notifications and sound are kept on the server instead (PREFS/PREF,
 * account-prefs.ts), so a new browser has them and a change on one device holds on the
 * others at once; this browser keeps a copy of its mutes to show them before the server is
 * read, and what was changed while offline (`pending`) until it can be sent. To add a
 * browser setting: a field in `Prefs` and `DEFAULTS`, a check in `parse`, and a setter that
 * calls `save()`, as `setTheme` does; one that follows the person: a key in account-prefs.ts.
 */

export type ThemeChoice = 'system' | 'light' | 'dark';
export const THEMES: readonly ThemeChoice[] = ['system', 'light', 'dark'];

export type Prefs = {
  theme: ThemeChoice;
  /** Desktop notifications for direct messages and mentions while the tab is hidden. */
  desktop: boolean;
  /** A short tone for direct messages and mentions. */
  sound: boolean;
  /** Per handle (its name key), the keys of the conversations it muted. */
  muted: Record<string, string[]>;
  /** Claimed handles whose settings from before they were kept on the server have gone up. */
  migrated: string[];
  /** Per claimed handle, settings changed while offline: key -> value ('' clears), sent on the next sign-in. */
  pending: Record<string, Record<string, string>>;
};

/**
 * Desktop notifications are on by default: the browser still shows none until the person
 * allows them with a click (the settings panel), so "on" only means "once allowed". The
 * sound is off: a page that beeps unasked is a page people close.
 */
const DEFAULTS: Prefs = { theme: 'system', desktop: true, sound: false, muted: {}, migrated: [], pending: {} };
const KEY = 'slck.settings';

const local = (): Storage | undefined => (typeof localStorage === 'undefined' ? undefined : localStorage);

function parseMuted(value: unknown): Record<string, string[]> {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return {};
  const out: Record<string, string[]> = {};
  for (const [handle, keys] of Object.entries(value as Record<string, unknown>)) {
    if (Array.isArray(keys)) out[handle] = keys.filter((k): k is string => typeof k === 'string');
  }
  return out;
}

/**
 * What is stored, field by field: a value from an older or newer version of the app (or
 * edited by hand) falls back to its default instead of breaking the page.
 */
export function parse(raw: string | null | undefined): Prefs {
  let stored: Record<string, unknown> = {};
  try {
    const value: unknown = raw ? JSON.parse(raw) : {};
    if (value && typeof value === 'object') stored = value as Record<string, unknown>;
  } catch {
    // Not JSON: use the defaults.
  }
  const theme = THEMES.find((t) => t === stored.theme) ?? DEFAULTS.theme;
  const desktop = typeof stored.desktop === 'boolean' ? stored.desktop : DEFAULTS.desktop;
  const sound = typeof stored.sound === 'boolean' ? stored.sound : DEFAULTS.sound;
  const migrated = Array.isArray(stored.migrated) ? stored.migrated.filter((h): h is string => typeof h === 'string') : [];
  return { theme, desktop, sound, muted: parseMuted(stored.muted), migrated, pending: parsePending(stored.pending) };
}

function parsePending(value: unknown): Record<string, Record<string, string>> {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return {};
  const out: Record<string, Record<string, string>> = {};
  for (const [handle, changes] of Object.entries(value as Record<string, unknown>)) {
    if (!changes || typeof changes !== 'object' || Array.isArray(changes)) continue;
    out[handle] = Object.fromEntries(Object.entries(changes as Record<string, unknown>).filter((e): e is [string, string] => typeof e[1] === 'string'));
  }
  return out;
}

export function loadPrefs(): Prefs {
  try {
    return parse(local()?.getItem(KEY));
  } catch {
    return { ...DEFAULTS }; // storage disabled
  }
}

/**
 * "system" is written too (rather than removing the attribute) so the page always says which
 * choice is in force; the CSS keys the dark palette on "dark", or on the system preference
 * unless the choice is "light".
 */
export function applyTheme(theme: ThemeChoice): void {
  if (typeof document !== 'undefined') document.documentElement.dataset.theme = theme;
}

export class Settings {
  theme = $state<ThemeChoice>(DEFAULTS.theme);
  desktop = $state(DEFAULTS.desktop);
  sound = $state(DEFAULTS.sound);
  muted = $state.raw<Record<string, string[]>>({});
  /** Where the person's notification settings and mutes are kept now. */
  keptOn = $state<'browser' | 'server'>('browser');

  /** What this browser keeps (localStorage). */
  private local: Prefs = { ...DEFAULTS };
  /** A claimed handle's settings as the server keeps them, once read at sign-in. */
  private account: { handle: string; prefs: AccountPrefs } | null = null;
  private session: Session | undefined;

  constructor() {
    this.reload();
  }

  /**
   * Keep the signed-in person's settings on the server when the handle is claimed: read at
   * each sign-in (after sending what changed offline, and once what this browser had kept
   * before), followed live through PREF events from the person's other devices.
   */
  follow(session: Session): void {
    this.session = session;
    session.onSync(() => this.readAccount());
    session.onReset(() => {
      this.account = null;
      this.refresh();
    });
    session.client.on('pref', (p) => {
      if (!this.account) return;
      this.account = { ...this.account, prefs: withPref(this.account.prefs, p.key, p.value) };
      this.refresh();
    });
  }

  /** Read what is stored (at start, and when another tab changed it). */
  reload(): void {
    this.local = loadPrefs();
    this.refresh();
  }

  setTheme(theme: ThemeChoice): void {
    this.local.theme = theme;
    this.save();
    this.refresh();
  }

  setDesktop(on: boolean): void {
    if (this.account) this.change(DESKTOP_KEY, onOff(on));
    else {
      this.local.desktop = on;
      this.save();
      this.refresh();
    }
  }

  setSound(on: boolean): void {
    if (this.account) this.change(SOUND_KEY, onOff(on));
    else {
      this.local.sound = on;
      this.save();
      this.refresh();
    }
  }

  /** Has `me` muted the conversation `key`? A muted one shows a quiet count and never notifies. */
  isMuted(me: string, key: string): boolean {
    return this.muted[nameKey(me)]?.includes(key) ?? false;
  }

  /** The keys `me` has muted. */
  mutedBy(me: string): readonly string[] {
    return this.muted[nameKey(me)] ?? [];
  }

  setMuted(me: string, key: string, on: boolean): void {
    const handle = nameKey(me);
    if (this.account?.handle === handle) {
      this.change(muteKey(key), on ? '1' : '');
      return;
    }
    const keys = (this.local.muted[handle] ?? []).filter((k) => k !== key);
    if (on) keys.push(key);
    this.local.muted = { ...this.local.muted, [handle]: keys };
    this.save();
    this.refresh();
  }

  /** Another tab of this browser saved its settings: take them, so all tabs look alike. */
  onStorage = (e: StorageEvent): void => {
    if (e.key === KEY || e.key === null) this.reload();
  };

  // ------------------------------------------------------------------ kept on the server

  /** A claimed handle's setting changed here: shown at once, sent now or at the next sign-in. */
  private change(key: string, value: string): void {
    const account = this.account!;
    this.account = { ...account, prefs: withPref(account.prefs, key, value) };
    this.refresh();
    const session = this.session!;
    if (!session.ready) {
      this.addPending(account.handle, key, value);
      return;
    }
    session.client.setPref(key, value).catch((e: unknown) => {
      if (e instanceof ServerError && e.code === 'DISCONNECTED') this.addPending(account.handle, key, value);
      else console.error('could not keep a setting on the server', e);
    });
  }

  private addPending(handle: string, key: string, value: string): void {
    this.local.pending = { ...this.local.pending, [handle]: { ...this.local.pending[handle], [key]: value } };
    this.save();
  }

  /** A sign-in step: the server's settings for a claimed handle; a guest's stay in the browser. */
  private async readAccount(): Promise<void> {
    const session = this.session!;
    const handle = nameKey(session.me);
    if (!session.claimed) {
      this.account = null;
      this.refresh();
      return;
    }
    const client = session.client;
    try {
      // Once per handle and browser: the mutes and choices kept here before they followed the person.
      if (!this.local.migrated.includes(handle)) {
        for (const key of this.local.muted[handle] ?? []) await client.setPref(muteKey(key), '1');
        if (this.local.desktop !== DEFAULTS.desktop) await client.setPref(DESKTOP_KEY, onOff(this.local.desktop));
        if (this.local.sound !== DEFAULTS.sound) await client.setPref(SOUND_KEY, onOff(this.local.sound));
        this.local.migrated = [...this.local.migrated, handle];
        this.save();
      }
      const pending = this.local.pending[handle] ?? {};
      for (const [key, value] of Object.entries(pending)) await client.setPref(key, value);
      if (Object.keys(pending).length > 0) {
        const { [handle]: _sent, ...rest } = this.local.pending;
        this.local.pending = rest;
        this.save();
      }
      this.account = { handle, prefs: fromServer(await client.prefs()) };
    } catch (e) {
      // A guest after all (an older server, or a handle that lost its claim): kept here.
      if (!(e instanceof ServerError) || e.code === 'DISCONNECTED') throw e;
      if (e.code !== 'NOT_CLAIMED') console.error('could not read settings from the server', e);
      this.account = null;
    }
    this.refresh();
  }

  // ------------------------------------------------------------------ keeping

  /** The settings in force: the server's for a claimed handle once read, else this browser's. */
  private refresh(): void {
    this.theme = this.local.theme;
    applyTheme(this.theme);
    const account = this.account;
    if (account) {
      this.desktop = account.prefs.desktop ?? DEFAULTS.desktop;
      this.sound = account.prefs.sound ?? DEFAULTS.sound;
      // Kept here too, to show before the server is read at the next start.
      if (!sameKeys(this.local.muted[account.handle], account.prefs.mutes)) {
        this.local.muted = { ...this.local.muted, [account.handle]: [...account.prefs.mutes] };
        this.save();
      }
    } else {
      this.desktop = this.local.desktop;
      this.sound = this.local.sound;
    }
    this.muted = this.local.muted;
    this.keptOn = account ? 'server' : 'browser';
  }

  private save(): void {
    try {
      local()?.setItem(KEY, JSON.stringify(this.local));
    } catch {
      // Full or disabled (private mode): the choice lasts for this page only.
    }
  }
}

const sameKeys = (a: readonly string[] | undefined, b: readonly string[]): boolean =>
  (a ?? []).length === b.length && b.every((k) => a!.includes(k));
