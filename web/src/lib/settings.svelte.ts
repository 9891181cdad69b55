/**
 * The person's preferences for this browser, kept in localStorage under one key, so every
 * tab and every handle signed in here shares them. The theme is the first; notification
 * preferences (desktop notifications, sound, muted conversations) belong here too: add a
 * field to `Prefs` and `DEFAULTS`, check it in `parse`, and give it a setter that calls
 * `save()`, as `setTheme` does.
 */

export type ThemeChoice = 'system' | 'light' | 'dark';
export const THEMES: readonly ThemeChoice[] = ['system', 'light', 'dark'];

export type Prefs = { theme: ThemeChoice };

const DEFAULTS: Prefs = { theme: 'system' };
const KEY = 'slck.settings';

const local = (): Storage | undefined => (typeof localStorage === 'undefined' ? undefined : localStorage);

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
  return { theme };
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

  constructor() {
    this.reload();
  }

  /** Read what is stored (at start, and when another tab changed it). */
  reload(): void {
    const prefs = loadPrefs();
    this.theme = prefs.theme;
    applyTheme(this.theme);
  }

  setTheme(theme: ThemeChoice): void {
    this.theme = theme;
    applyTheme(theme);
    this.save();
  }

  /** Another tab of this browser saved its settings: take them, so all tabs look alike. */
  onStorage = (e: StorageEvent): void => {
    if (e.key === KEY || e.key === null) this.reload();
  };

  private save(): void {
    const prefs: Prefs = { theme: this.theme };
    try {
      local()?.setItem(KEY, JSON.stringify(prefs));
    } catch {
      // Full or disabled (private mode): the choice lasts for this page only.
    }
  }
}
