import { describe, expect, it } from 'vitest';
import { fromServer, muteKey, withPref } from './account-prefs.ts';

describe('account prefs', () => {
  it('reads a PREFS reply, ignoring keys it does not know', () => {
    const prefs = fromServer(new Map([['mute:#dev', '1'], ['mute:@bob', '1'], ['notify.sound', 'on'], ['notify.desktop', 'off'], ['theme', 'dark'], ['x.later', 'y']]));
    expect(prefs).toEqual({ mutes: ['#dev', '@bob'], sound: true, desktop: false });
  });

  it('follows changes and clears', () => {
    let prefs = fromServer(new Map());
    prefs = withPref(prefs, muteKey('#dev'), '1');
    prefs = withPref(prefs, muteKey('#dev'), '1');
    expect(prefs.mutes).toEqual(['#dev']);
    prefs = withPref(prefs, muteKey('#dev'), '');
    prefs = withPref(prefs, 'notify.sound', 'on');
    expect(prefs).toEqual({ mutes: [], sound: true });
    expect(withPref(prefs, 'notify.sound', '').sound).toBeUndefined();
  });
});
