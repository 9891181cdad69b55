import { SvelteMap } from 'svelte/reactivity';
import { ServerError } from '../../../core/client.ts';
import { nameKey } from '../../../core/names.ts';
import { LIMITS } from '../../../core/limits.ts';
import { utf8Length } from '../../../core/bytes.ts';
import type { Conversation } from './conversation.svelte.ts';
import type { Conversations } from './conversations.svelte.ts';
import type { Session } from './session.svelte.ts';
import { cleanControls } from './render.ts';

/** A channel's topic, and who set it. */
export type Topic = { text: string; by: string };

/** Control characters, which the server refuses in a topic (it is one printable line). */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * Channel topics (spec: TOPIC). A channel's topic is asked when it is opened (once per
 * sign-in: what changes after that arrives as TOPIC events, from the browser and telnet
 * alike), and set by any member.
 */
export class Topics {
  private readonly topics = new SvelteMap<string, Topic>();
  /** Channels asked since this REG (or being asked): a reconnect asks again. */
  private readonly asked = new Set<string>();
  private readonly session: Session;
  private readonly conversations: Conversations;

  constructor(session: Session, conversations: Conversations) {
    this.session = session;
    this.conversations = conversations;
    session.client.on('topic', (t) => this.onTopic(t.channel, t.by, t.text));
    session.onRegister(() => this.asked.clear());
    session.onReady(() => {
      const open = conversations.active;
      if (open) void this.load(open);
    });
    session.onReset(() => {
      this.topics.clear();
      this.asked.clear();
    });
    conversations.on('opened', (conv) => void this.load(conv));
    conversations.on('dropped', (key) => {
      this.topics.delete(key);
      this.asked.delete(key);
    });
  }

  /** The topic of the channel `key`, if it has one. */
  of(key: string): Topic | undefined {
    return this.topics.get(key);
  }

  /** Set the topic ('' clears it). Returns a problem sentence, or '' once the server has it. */
  async set(conv: Conversation, text: string): Promise<string> {
    const topic = text.trim();
    if (utf8Length(topic) > LIMITS.maxTopic) return `A topic is at most ${LIMITS.maxTopic} bytes; this one is ${utf8Length(topic)}`;
    if (CONTROL.test(topic)) return 'A topic is one line of text';
    if (!this.session.ready) return 'Not connected to the server';
    try {
      // The TOPIC line everyone gets comes before the OK (onTopic shows it).
      await this.session.client.setTopic(conv.name, topic);
      return '';
    } catch (e) {
      return e instanceof Error ? e.message : String(e);
    }
  }

  private async load(conv: Conversation): Promise<void> {
    if (conv.kind !== 'channel' || !this.session.ready || this.asked.has(conv.key)) return;
    this.asked.add(conv.key);
    try {
      const t = await this.session.client.topic(conv.name);
      this.store(conv.key, t.by, t.text);
    } catch (e) {
      // Asked again next time it is opened.
      this.asked.delete(conv.key);
      if (!(e instanceof ServerError)) console.error('TOPIC failed', e);
    }
  }

  /** Someone (a browser or a telnet user) set it: the header changes, and the conversation says so. */
  private onTopic(channel: string, by: string, text: string): void {
    const key = nameKey(channel);
    const cleared = this.store(key, by, text);
    const conv = this.conversations.get(key);
    if (!conv) return;
    const who = by === '-' ? 'Someone' : this.session.isMe(by) ? 'You' : by;
    // Shown as plain text: control and bidi characters as marks, so a topic cannot reorder the line.
    conv.addSystem(cleared ? `${who} cleared the topic` : `${who} set the topic: ${cleanControls(text)}`);
  }

  /** Returns whether the channel now has no topic (`-` and no text mean none). */
  private store(key: string, by: string, text: string): boolean {
    if (text === '' || text === '-') {
      this.topics.delete(key);
      return true;
    }
    this.topics.set(key, { text, by });
    return false;
  }
}
