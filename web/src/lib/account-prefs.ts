/**
 * The settings that follow a person (a claimed handle) from device to device, as the server
 * keeps them (spec: PREFS, PREF): per-conversation mutes, desktop notifications and the
 * sound. The theme stays per device (docs/WEB.md says why). Keys and values:
 *
 * | key | value |
 * | --- | --- |
 * | `mute:<conversation>` (`mute:#dev`, `mute:@bob`) | `1`; cleared when unmuted |
 * | `notify.desktop` | `on` or `off`; unset: on |
 * | `notify.sound` | `on` or `off`; unset: off |
 */

export const MUTE_PREFIX = 'mute:';
export const DESKTOP_KEY = 'notify.desktop';
export const SOUND_KEY = 'notify.sound';

/** What the server keeps for the signed-in person; unset ones take the app's defaults. */
export type AccountPrefs = { desktop?: boolean; sound?: boolean; mutes: readonly string[] };

export const muteKey = (conversation: string): string => `${MUTE_PREFIX}${conversation}`;
export const onOff = (on: boolean): string => (on ? 'on' : 'off');

const flag = (value: string): boolean | undefined => (value === 'on' ? true : value === 'off' ? false : undefined);

/** One setting changed (`value` '' when cleared), here or by another device (a PREF event). */
export function withPref(prefs: AccountPrefs, key: string, value: string): AccountPrefs {
  if (key.startsWith(MUTE_PREFIX)) {
    const conv = key.slice(MUTE_PREFIX.length);
    const mutes = prefs.mutes.filter((k) => k !== conv);
    return { ...prefs, mutes: value === '' ? mutes : [...mutes, conv] };
  }
  if (key === DESKTOP_KEY) return { ...prefs, desktop: flag(value) };
  if (key === SOUND_KEY) return { ...prefs, sound: flag(value) };
  return prefs; // a key of another client's, or of a later version of this one
}

/** The settings from a PREFS reply. */
export function fromServer(all: ReadonlyMap<string, string>): AccountPrefs {
  let prefs: AccountPrefs = { mutes: [] };
  for (const [key, value] of all) prefs = withPref(prefs, key, value);
  return prefs;
}
