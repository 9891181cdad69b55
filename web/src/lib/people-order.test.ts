import { describe, expect, it } from 'vitest';
import { groupPeople } from './people-order.ts';

const p = (name: string, online = false) => ({ name, online });
const names = (g: { near: { name: string }[]; rest: { name: string }[] }) => ({ near: g.near.map((x) => x.name), rest: g.rest.map((x) => x.name) });

describe('groupPeople', () => {
  const people = [p('@zoe'), p('@amy', true), p('@Bob'), p('@cy', true), p('@dan'), p('@eve')];
  const shared = new Set(['@bob', '@dan', '@cy']);

  it('puts those online and those I share a conversation with first, online first, then the rest', () => {
    expect(names(groupPeople(people, shared))).toEqual({ near: ['@amy', '@cy', '@Bob', '@dan'], rest: ['@eve', '@zoe'] });
  });

  it('filters by any part of the handle, any case, with or without @', () => {
    expect(names(groupPeople(people, shared, 'E'))).toEqual({ near: [], rest: ['@eve', '@zoe'] });
    expect(names(groupPeople(people, shared, '@b'))).toEqual({ near: ['@Bob'], rest: [] });
    expect(names(groupPeople(people, shared, '  '))).toEqual(names(groupPeople(people, shared)));
    expect(names(groupPeople(people, shared, 'nobody'))).toEqual({ near: [], rest: [] });
  });
});
