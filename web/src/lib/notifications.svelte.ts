import { toItem, type Conversation, type MessageItem } from './conversation.svelte.ts';
import type { Conversations } from './conversations.svelte.ts';
import type { ReadState } from './read-state.svelte.ts';
import { mentions } from './render.ts';
import { faviconUrl, preview, titleFor } from './alerts.ts';
import type { Session } from './session.svelte.ts';
import type { Settings } from './settings.svelte.ts';

export type Permission = NotificationPermission | 'unsupported';

const ICON = '/favicon.svg';

const notificationsSupported = (): boolean => typeof window !== 'undefined' && 'Notification' in window;

/**
 * What tells the person something calls for them when they are not looking: the tab title
 * and favicon badge (counts from the read state), desktop notifications while the tab is
 * hidden, and an optional tone. Direct messages and mentions only, never from a muted
 * conversation. Permission is asked only when the person clicks "Allow in browser".
 */
export class Notifications {
  permission = $state<Permission>(notificationsSupported() ? Notification.permission : 'unsupported');
  title = $derived.by(() => titleFor(this.reads.totals.unread, this.reads.totals.calls, this.conversations.view === 'conversation' ? this.conversations.active?.name : undefined));

  private audio: AudioContext | undefined;
  private readonly session: Session;
  private readonly conversations: Conversations;
  private readonly reads: ReadState;
  private readonly settings: Settings;

  constructor(session: Session, conversations: Conversations, reads: ReadState, settings: Settings) {
    this.session = session;
    this.conversations = conversations;
    this.reads = reads;
    this.settings = settings;
    conversations.on('messages', (conv, fresh, live) => {
      if (live) this.onLive(conv, fresh);
    });
    // A thread reply kept out of the main flow calls for me as a message would: a mention of
    // me, or any reply in a direct conversation.
    conversations.on('logged', (conv, f, live) => {
      if (live && f.type === 'REPLY' && !f.also) this.onLive(conv, [toItem(f, session.isMe(f.from))]);
    });
  }

  /** The "Allow in browser" button: the one place the browser's permission prompt comes from. */
  async askPermission(): Promise<void> {
    if (!notificationsSupported()) return;
    try {
      this.permission = await Notification.requestPermission();
    } catch {
      this.permission = Notification.permission;
    }
  }

  /** The permission may change in the browser's own settings: read it again (on focus, say). */
  refreshPermission(): void {
    if (notificationsSupported()) this.permission = Notification.permission;
  }

  /** Keep the favicon's badge in step with the counts (App calls this in an effect). */
  drawFavicon(): void {
    const { unread, calls } = this.reads.totals;
    const link = document.querySelector<HTMLLinkElement>('link[rel~="icon"]');
    if (!link) return;
    const url = faviconUrl(unread, calls);
    link.type = url ? 'image/png' : 'image/svg+xml';
    link.href = url ?? ICON;
  }

  private onLive(conv: Conversation, fresh: MessageItem[]): void {
    // Kept direct messages arrive while signing in: old news, shown by the badges instead.
    if (!this.session.ready) return;
    const me = this.session.me;
    if (this.settings.isMuted(me, conv.key)) return;
    const calls = fresh.filter((m) => !m.mine && (conv.kind === 'dm' || mentions(m.body, me)));
    const last = calls.at(-1);
    if (!last) return;
    if (this.settings.sound && !this.conversations.isViewing(conv)) this.tone();
    const hidden = typeof document !== 'undefined' && document.visibilityState === 'hidden';
    if (hidden && this.settings.desktop && this.permission === 'granted') this.show(conv, last);
  }

  private show(conv: Conversation, m: MessageItem): void {
    const title = conv.kind === 'dm' ? m.from : `${m.from} in ${conv.name}`;
    try {
      // One per conversation (the tag): a newer one replaces it rather than piling up, and
      // two tabs of this browser showing the same one show it once.
      const n = new Notification(title, { body: preview(m.body), tag: `slck:${conv.key}`, icon: ICON });
      n.onclick = () => {
        window.focus();
        this.conversations.open(conv.key);
        n.close();
      };
    } catch (e) {
      // Some browsers allow notifications only from a service worker: the badges still show.
      console.warn('could not show a notification', e);
    }
  }

  /**
   * A short two-note chime through WebAudio (no sound file to fetch). A browser lets a page
   * play sound only after the person has interacted with it, so the first one may be silent.
   */
  tone(): void {
    const Ctx = typeof window === 'undefined' ? undefined : window.AudioContext;
    if (!Ctx) return;
    try {
      this.audio ??= new Ctx();
      const ctx = this.audio;
      if (ctx.state === 'suspended') void ctx.resume();
      const t = ctx.currentTime;
      const gain = ctx.createGain();
      gain.connect(ctx.destination);
      gain.gain.setValueAtTime(0.0001, t);
      gain.gain.exponentialRampToValueAtTime(0.12, t + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, t + 0.35);
      for (const [freq, at] of [[880, 0], [1320, 0.09]] as const) {
        const osc = ctx.createOscillator();
        osc.type = 'sine';
        osc.frequency.value = freq;
        osc.connect(gain);
        osc.start(t + at);
        osc.stop(t + 0.36);
      }
    } catch {
      // No audio device: the badges and notifications still show.
    }
  }
}
