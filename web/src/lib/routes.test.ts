import { describe, expect, it } from 'vitest';
import { parseRoute, routeHash } from './routes.ts';

describe('addresses', () => {
  it('name a channel, a direct conversation, or a message in either', () => {
    expect(parseRoute('#/c/general')).toEqual({ name: '#general' });
    expect(parseRoute('#/c/@bob')).toEqual({ name: '@bob' });
    expect(parseRoute('#/c/general/1234')).toEqual({ name: '#general', id: 1234 });
    expect(parseRoute('#/c/@Bob.x/7/')).toEqual({ name: '@Bob.x', id: 7 });
  });

  it('name nothing when they are not ours or not valid', () => {
    for (const hash of ['', '#', '#composer-input', '#/c/', '#/c/gen eral', '#/c/general/0', '#/c/general/-1', '#/c/general/x', '#/c/@', `#/c/${'a'.repeat(33)}`, '#/c/general/12345678901234567']) {
      expect(parseRoute(hash)).toBeNull();
    }
  });

  it('are written the way they are read', () => {
    expect(routeHash('#general')).toBe('#/c/general');
    expect(routeHash('@bob', 12)).toBe('#/c/@bob/12');
    for (const [name, id] of [['#dev', undefined], ['@kim', 3]] as const) expect(parseRoute(routeHash(name, id))).toEqual(id === undefined ? { name } : { name, id });
  });
});
