/**
 * Fan-out per kind of reader (frame-bytes.ts): each event is encoded at most once per kind
 * among its recipients, and that one buffer is what every connection of the kind is handed.
 * A unit test of the Fanout with its output recorded; over sockets, person-rendering.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { encodePersonFrame, encodeServerFrame, fromUtf8, utf8, type ServerFrame } from '../../core/index.ts';
import { Conn } from './conn.ts';
import { Fanout, type FanoutOutput } from './fanout.ts';
import { FrameBytes } from './frame-bytes.ts';
import type { Session } from '../transport/session.ts';

let nextId = 1;
function conn(kind: 'program' | 'person'): Conn {
  const session: Session = {
    id: `c${nextId++}`, remote: '127.0.0.1:1', transport: 'tcp', backlog: 0,
    send() {}, pause() {}, resume() {}, whenDrained() {}, close() {},
  };
  const c = new Conn(session);
  if (kind === 'person') c.choose('person');
  return c;
}

function recorder() {
  const sent = new Map<Conn, Uint8Array[]>();
  const shown: string[] = [];
  const out: FanoutOutput = {
    send: (c, bytes) => void (sent.get(c) ?? sent.set(c, []).get(c)!).push(bytes),
    end() {},
    sendAfter: (c, _after, bytes) => void (sent.get(c) ?? sent.set(c, []).get(c)!).push(bytes),
    delivered: async () => true,
    shown: (c, target, id) => void shown.push(`${c.session.id} ${target} ${id}`),
  };
  return { out, sent, shown };
}

const TS = '2026-12-07T14:50:00.000Z';
const body = utf8('hi\x1b[2J\nMSG #dev @alice 9 x 1');

describe('fan-out per kind of reader', () => {
  it('hands one buffer to every program and one to every person, each the right encoding', () => {
    const { out, sent, shown } = recorder();
    const fanout = new Fanout(out, 'n1');
    const programs = [conn('program'), conn('program'), conn('program')];
    const people = [conn('person'), conn('person')];
    [...programs, ...people].forEach((c, i) => fanout.add(c, `@u${i}`, ['#dev']));
    fanout.deliver({ t: 'msg', conv: '#dev', id: 7, target: '#dev', from: '@bob', ts: TS, body });

    const frame: ServerFrame = { type: 'MSG', target: '#dev', from: '@bob', id: 7, ts: TS, body };
    const programBytes = sent.get(programs[0])![0];
    const personBytes = sent.get(people[0])![0];
    for (const c of programs) expect(sent.get(c)).toEqual([programBytes]);
    for (const c of programs) expect(sent.get(c)![0]).toBe(programBytes); // the same buffer, not a copy
    for (const c of people) expect(sent.get(c)![0]).toBe(personBytes);
    expect(programBytes).toEqual(encodeServerFrame(frame));
    expect(fromUtf8(personBytes)).toBe(fromUtf8(encodePersonFrame(frame)));
    // Only the people's deliveries count as read.
    expect(shown).toEqual(people.map((c) => `${c.session.id} #dev 7`));
  });

  it('words a direct message for each side of it, once per side', () => {
    const { out, sent, shown } = recorder();
    const fanout = new Fanout(out, 'n1');
    const tess = [conn('person'), conn('person'), conn('program')];
    const carol = [conn('person'), conn('program')];
    tess.forEach((c) => fanout.add(c, '@tess', []));
    carol.forEach((c) => fanout.add(c, '@carol', []));
    fanout.deliver({ t: 'msg', conv: '@carol @tess', id: 3, target: '@tess', from: '@carol', ts: TS, body: utf8('lunch?'), via: `n1/${carol[1].session.id}` });

    const text = (c: Conn) => sent.get(c)?.map(fromUtf8);
    expect(text(tess[0])).toEqual([`DM from @carol 3 ${TS} 12\r\n  │ lunch?\r\n`]);
    expect(sent.get(tess[1])![0]).toBe(sent.get(tess[0])![0]);
    expect(text(tess[2])).toEqual([`MSG @tess @carol 3 ${TS} 6\r\nlunch?\r\n`]);
    expect(text(carol[0])).toEqual([`DM to @tess 3 ${TS} 12\r\n  │ lunch?\r\n`]);
    // The connection it came from has its OK instead.
    expect(sent.get(carol[1])).toBeUndefined();
    expect(shown).toEqual([`${carol[0].session.id} @tess 3`, `${tess[0].session.id} @carol 3`, `${tess[1].session.id} @carol 3`]);
  });

  it("keeps a DM from a recipient who blocks its sender: the sender's devices get it, and a kept one leaves the queue unsent", () => {
    const delivered: string[] = [];
    const { out, sent } = recorder();
    out.delivered = async (handle, messages) => {
      delivered.push(`${handle} ${messages.map((m) => `${m.conversation}:${m.id}`)}`);
      return true;
    };
    const fanout = new Fanout(out, 'n1');
    const ann = [conn('program'), conn('person')];
    const kim = [conn('program'), conn('program')];
    ann.forEach((c) => fanout.add(c, '@ann', []));
    kim.forEach((c) => fanout.add(c, '@kim', []));
    const dm = { t: 'msg' as const, conv: '@ann @kim', target: '@ann', from: '@kim', ts: TS, body: utf8('hello?'), via: `n2/elsewhere` };
    fanout.deliver({ ...dm, id: 1 }, true);
    fanout.deliver({ ...dm, id: 2, queued: true }, true);
    for (const c of ann) expect(sent.get(c)).toBeUndefined();
    for (const c of kim) expect(sent.get(c)?.map(fromUtf8)).toEqual([1, 2].map((id) => `MSG @ann @kim ${id} ${TS} 6\r\nhello?\r\n`));
    expect(delivered).toEqual(['@ann @ann @kim:2']);
  });

  it('tells a person no READ marks; programs of the user get them', () => {
    const { out, sent } = recorder();
    const fanout = new Fanout(out, 'n1');
    const [terminal, browser, origin] = [conn('person'), conn('program'), conn('program')];
    for (const c of [terminal, browser, origin]) fanout.add(c, '@tess', ['#dev']);
    fanout.apply({ t: 'read', user: '@tess', target: '#dev', id: 4, via: `n1/${origin.session.id}` });
    expect(sent.get(terminal)).toBeUndefined();
    expect(sent.get(browser)?.map(fromUtf8)).toEqual(['READ #dev 4\r\n']);
    expect(sent.get(origin)).toBeUndefined();
  });
});

describe('FrameBytes', () => {
  it('encodes for a kind only when a connection of that kind asks, and once', () => {
    const f = new FrameBytes({ type: 'TOPIC', channel: '#dev', by: '@bob', text: 'a\u202eb' });
    const p1 = conn('program');
    const p2 = conn('program');
    expect(f.for(p1)).toBe(f.for(p2));
    expect(f.encodings).toBe(1);
    const h1 = conn('person');
    expect(fromUtf8(f.for(h1))).toBe('TOPIC #dev @bob a⟪RLO⟫b\r\n');
    expect(f.for(conn('person'))).toBe(f.for(h1));
    expect(f.encodings).toBe(2);
  });
});
