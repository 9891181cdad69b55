import { describe, expect, it } from 'vitest';
import { ServerError } from '../../../core/client.ts';
import { createRefusal, inviteHandle, inviteSuggestions } from './private-channels.ts';

describe('inviteHandle', () => {
  it('takes a handle with or without its @, spaces around it dropped', () => {
    expect(inviteHandle('bob')).toBe('@bob');
    expect(inviteHandle('  @Bob ')).toBe('@Bob');
    expect(inviteHandle('   ')).toBe('');
  });
});

describe('inviteSuggestions', () => {
  const people = [
    { name: '@Bob', guest: false },
    { name: '@bea' },
    { name: '@ann', guest: false },
    { name: '@bart', guest: true },
    { name: '@carl', guest: false },
  ];
  const members = new Set(['@ann']);

  it('offers known people not in the channel whose name starts with what was typed, in any case, @ or not', () => {
    expect(inviteSuggestions(people, members, 'b', false)).toEqual(['@Bob', '@bea', '@bart']);
    expect(inviteSuggestions(people, members, '@BO', false)).toEqual(['@Bob']);
    expect(inviteSuggestions(people, members, 'a', false)).toEqual([]);
  });

  it('leaves known guests out for a private channel, which takes claimed handles only', () => {
    expect(inviteSuggestions(people, members, 'b', true)).toEqual(['@Bob', '@bea']);
  });

  it('offers at most eight', () => {
    const many = Array.from({ length: 20 }, (_, i) => ({ name: `@u${i}` }));
    expect(inviteSuggestions(many, new Set(), 'u', false)).toHaveLength(8);
  });
});

describe('createRefusal', () => {
  const directory = [{ channel: '#Dev', members: 3 }, { channel: '#plans', members: 2, private: true as const }];

  it('words a taken public name for the page, naming it as listed', () => {
    const e = new ServerError('CHANNEL_TAKEN', '#dev exists already: JOIN #dev, or choose another name');
    expect(createRefusal(e, '#dev', directory)).toBe('#Dev exists already, as a public channel: join it from the list below, or choose another name');
  });

  it("gives the server's sentence for anything else", () => {
    const hidden = new ServerError('CHANNEL_TAKEN', '#secret is not available; choose another name');
    expect(createRefusal(hidden, '#secret', directory)).toBe('#secret is not available; choose another name');
    const guest = new ServerError('NOT_CLAIMED', '@gus is a guest handle: claim it with a password (PASSWORD <new>) to make a private channel');
    expect(createRefusal(guest, '#x', directory)).toBe(guest.message);
  });
});
