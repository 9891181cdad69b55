import { isChannel, nameKey } from '../../../core/names.ts';
import type { Conversation } from './conversation.svelte.ts';
import type { Conversations } from './conversations.svelte.ts';
import type { Session } from './session.svelte.ts';
import { parseRoute, routeHash, type Route } from './routes.ts';

const sameRoute = (a: Route | null, b: Route | null): boolean =>
  a !== null && b !== null && nameKey(a.name) === nameKey(b.name) && a.id === b.id;

/**
 * Keeps the address and the conversation on screen in step. Opening a conversation (a click,
 * the switcher, Alt+arrows) adds a history entry, so Back and Forward move between
 * conversations; an address that changes (Back, Forward, a pasted link) opens what it
 * names; after signing in (a reload, a link opened in a new tab) the address decides which
 * conversation opens first.
 */
export class Router {
  /** A channel the address names that we are not in: the app offers to join it. */
  missing = $state<Route | null>(null);

  private readonly conversations: Conversations;
  /** An entry of ours is in the history: the next conversation opened adds one. */
  private started = false;
  /** Opening what the address names: it is the address already. */
  private following = false;

  constructor(session: Session, conversations: Conversations) {
    this.conversations = conversations;
    conversations.openFromAddress = () => this.openAddress();
    conversations.on('opened', (conv) => this.onOpened(conv));
    session.onReset(() => {
      this.started = false;
      this.missing = null;
    });
  }

  /** Follow the address while the workspace is on screen (Back, Forward, a pasted link). Returns the undo. */
  attach(): () => void {
    const onChange = () => {
      if (this.conversations.session.ready || this.conversations.all.size > 0) this.openAddress();
    };
    window.addEventListener('popstate', onChange);
    window.addEventListener('hashchange', onChange);
    return () => {
      window.removeEventListener('popstate', onChange);
      window.removeEventListener('hashchange', onChange);
    };
  }

  /** Open what the address names. Returns false when it names nothing (the app opens its default). */
  openAddress(): boolean {
    const route = parseRoute(location.hash);
    if (!route) return false;
    const conversations = this.conversations;
    const key = nameKey(route.name);
    const conv = conversations.get(key);
    // Back and Forward fire two events for one step: what is on screen already is left be.
    if (sameRoute(this.onScreen(), route)) return true;
    this.following = true;
    try {
      if (isChannel(route.name) && !conv) {
        conversations.showNone();
        this.missing = route;
        this.started = true;
        return true;
      }
      this.missing = null;
      if (conv) conversations.open(key, route.id);
      else conversations.openDm(route.name, route.id);
    } finally {
      this.following = false;
    }
    return true;
  }

  /** What the address of the screen is now: the conversation open and its linked message. */
  private onScreen(): Route | null {
    const conv = this.conversations.active;
    if (!conv || this.missing || this.conversations.view !== 'conversation') return null;
    return conv.highlight === null ? { name: conv.name } : { name: conv.name, id: conv.highlight };
  }

  /** Join the channel a link named (the person asked), then show it there. */
  async joinMissing(): Promise<string> {
    const route = this.missing;
    if (!route) return '';
    // Joining opens the channel: in place of the link's entry, which then names it.
    this.following = true;
    try {
      const problem = await this.conversations.joinChannel(route.name);
      if (problem) return problem;
      this.missing = null;
      this.conversations.open(nameKey(route.name), route.id);
    } finally {
      this.following = false;
    }
    return '';
  }

  /** Not now: back to the conversation open before the link (or the default one). */
  dismissMissing(): void {
    this.missing = null;
    // In place of the link's entry: Back should not offer it again.
    this.following = true;
    try {
      this.conversations.openDefault();
    } finally {
      this.following = false;
    }
  }

  /** A conversation was opened: the address names it (a new history entry, unless it came from the address). */
  private onOpened(conv: Conversation): void {
    this.missing = null;
    const route = this.onScreen() ?? { name: conv.name };
    if (sameRoute(parseRoute(location.hash), route)) {
      this.started = true;
      return;
    }
    const hash = routeHash(route.name, route.id);
    if (this.following || !this.started) history.replaceState(history.state, '', hash);
    else history.pushState(null, '', hash);
    this.started = true;
  }
}
