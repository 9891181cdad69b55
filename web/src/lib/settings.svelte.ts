import { nameKey } from '../../../core/names.ts';

/**
 * The person's preferences for this browser, kept in localStorage under one key, so every
 * tab and every handle signed in here shares them: the theme, desktop notifications, the
 * sound, and the conversations each handle has muted. To add one: a field in `Prefs` and
 * `DEFAULTS`, a check in `parse`, and a setter that calls `save()`, as `setTheme` does.
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
};

/**
 * Desktop notifications are on by default: the browser still shows none until the person
 * allows them with a click (the settings panel), so "on" only means "once allowed". The
 * sound is off: a page that beeps unasked is a page people close.
 */
const DEFAULTS: Prefs = { theme: 'system', desktop: true, sound: false, muted: {} };
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
  return { theme, desktop, sound, muted: parseMuted(stored.muted) };
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

  constructor() {
    this.reload();
  }

  /** Read what is stored (at start, and when another tab changed it). */
  reload(): void {
    const prefs = loadPrefs();
    this.theme = prefs.theme;
    this.desktop = prefs.desktop;
    this.sound = prefs.sound;
    this.muted = prefs.muted;
    applyTheme(this.theme);
  }

  setTheme(theme: ThemeChoice): void {
    this.theme = theme;
    applyTheme(theme);
    this.save();
  }

  setDesktop(on: boolean): void {
    this.desktop = on;
    this.save();
  }

  setSound(on: boolean): void {
    this.sound = on;
    this.save();
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
    const keys = (this.muted[handle] ?? []).filter((k) => k !== key);
    if (on) keys.push(key);
    this.muted = { ...this.muted, [handle]: keys };
    this.save();
  }

  /** Another tab of this browser saved its settings: take them, so all tabs look alike. */
  onStorage = (e: StorageEvent): void => {
    if (e.key === KEY || e.key === null) this.reload();
  };

  private save(): void {
    const prefs: Prefs = { theme: this.theme, desktop: this.desktop, sound: this.sound, muted: this.muted };
    try {
      local()?.setItem(KEY, JSON.stringify(prefs));
    } catch {
      // Full or disabled (private mode): the choice lasts for this page only.
    }
  }
}
