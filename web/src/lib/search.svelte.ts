import { nameKey } from '../../../core/names.ts';
import { foldForSearch, formatSearch, parseSearch, searchTerms, type SearchQuery } from '../../../core/search-query.ts';
import type { Conversations } from './conversations.svelte.ts';
import { fullTime, timeOfDay } from './format.ts';
import { render } from './render.ts';
import type { Session } from './session.svelte.ts';

/** One FOUND line as the results list shows it. */
export type SearchResult = {
  /** The FOUND target: `#channel`, or a DM's `@handle`. */
  target: string;
  /** The conversation as the sidebar names it: `#channel`, or the other person of a DM. */
  where: string;
  from: string;
  id: number;
  ts: string;
  /** The day and time, short, and in full (for the tooltip). */
  when: string;
  fullWhen: string;
  body: string;
};

/** A filter of the query, shown as a chip that can be taken off. */
export type SearchFilter = { name: 'from' | 'in' | 'before' | 'after'; text: string };

const FILTERS = ['from', 'in', 'before', 'after'] as const;

/** A query's filters, as typed back (formatSearch writes a whole day as the day). */
export function filtersOf(q: SearchQuery): SearchFilter[] {
  return FILTERS.flatMap((name) => {
    if (q[name] === undefined) return [];
    const only: SearchQuery = { words: [], phrases: [], excluded: [], [name]: q[name] };
    return [{ name, text: formatSearch(only) }];
  });
}

/** The error the server (or the client, refusing for it) gave, as the server words it. */
const errorLine = (e: unknown): string => {
  if (!(e instanceof Error)) return String(e);
  // A ServerError (core/client-types.ts) carries the code: the reply read whole.
  return 'code' in e && typeof e.code === 'string' ? `ERR ${e.code} ${e.message}` : e.message;
};

/**
 * Search (issue 18): the search panel's state. SEARCH through SlckClient.search, the results
 * newest first a page at a time (END SEARCH … MORE <ts>), the query's filters as chips, and
 * opening a result in its conversation around the message (the permalink path).
 */
export class Search {
  /** The panel is on screen. */
  shown = $state(false);
  /** What is typed in the box. */
  text = $state('');
  /** The query the results are for. */
  query = $state.raw<SearchQuery | null>(null);
  results = $state.raw<SearchResult[]>([]);
  /** Where the next page starts, when the server said more may follow. */
  more = $state<string | undefined>(undefined);
  /** The server's sentence for a refused query. */
  error = $state('');
  loading = $state(false);

  /** The folded words results are highlighted by. */
  terms = $derived(this.query ? searchTerms(this.query) : []);
  filters = $derived(this.query ? filtersOf(this.query) : []);

  /** Text as search compares it (core's foldForSearch): the panel marks the words it matches. */
  readonly fold = foldForSearch;

  /**
   * A result's text rendered as a message is (render(): Markdown, sanitised). Here rather
   * than in the lazy panel: a lazy module importing render.ts made the build move core/ out
   * of the main chunk into a shared one (a second request on the first load, 0.5 KB more).
   */
  bodyHtml(r: SearchResult): string {
    return render(r.body, this.session.me);
  }

  private readonly session: Session;
  private readonly conversations: Conversations;
  private seq = 0;

  constructor(session: Session, conversations: Conversations) {
    this.session = session;
    this.conversations = conversations;
    session.onReset(() => {
      this.hide();
      this.clear();
      this.text = '';
    });
  }

  show(): void {
    this.shown = true;
  }

  hide(): void {
    this.shown = false;
  }

  private clear(): void {
    this.seq++;
    this.query = null;
    this.results = [];
    this.more = undefined;
    this.error = '';
    this.loading = false;
  }

  /** Search for what is typed: the first page. */
  async run(): Promise<void> {
    const text = this.text.trim();
    if (text === '') {
      this.clear();
      return;
    }
    const parsed = parseSearch(text);
    await this.fetch(text, parsed instanceof Error ? null : parsed, undefined);
  }

  /** The next page of the same query. */
  async loadMore(): Promise<void> {
    if (this.more === undefined || this.query === null || this.loading) return;
    await this.fetch(formatSearch(this.query), this.query, this.more);
  }

  /** Take a filter off the query and search again. */
  async removeFilter(name: SearchFilter['name']): Promise<void> {
    if (!this.query) return;
    const rest: SearchQuery = { ...this.query };
    delete rest[name];
    this.text = formatSearch(rest);
    await this.run();
  }

  private async fetch(text: string, query: SearchQuery | null, before: string | undefined): Promise<void> {
    const seq = ++this.seq;
    if (!this.session.ready) {
      this.error = 'Not connected: try again once back';
      return;
    }
    this.loading = true;
    try {
      const page = await this.session.client.search(text, before);
      if (seq !== this.seq) return;
      const found = page.found.map((f) => this.resultOf(f));
      this.query = query;
      this.results = before === undefined ? found : [...this.results, ...found];
      this.more = page.more;
      this.error = '';
    } catch (e) {
      if (seq !== this.seq) return;
      this.error = errorLine(e);
      if (before === undefined) {
        this.query = null;
        this.results = [];
        this.more = undefined;
      }
    } finally {
      if (seq === this.seq) this.loading = false;
    }
  }

  private resultOf(f: { target: string; from: string; id: number; ts: string; body: Uint8Array }): SearchResult {
    // A DM reads `@me @sender` when it came to me, `@them @me` when I sent it.
    const where = f.target.startsWith('#') ? f.target : this.session.isMe(f.target) ? f.from : f.target;
    const day = new Date(f.ts).toLocaleDateString(undefined, { month: 'short', day: 'numeric', year: 'numeric' });
    return {
      target: f.target, where, from: f.from, id: f.id, ts: f.ts, when: `${day}, ${timeOfDay(f.ts)}`, fullWhen: fullTime(f.ts), body: new TextDecoder().decode(f.body),
    };
  }

  /**
   * Show the message in its conversation with the history around it, highlighted (HISTORY …
   * around <id>, as a link to it opens); a thread reply opens its thread (app.ts, 'loaded').
   */
  openResult(r: SearchResult): void {
    this.hide();
    if (r.where.startsWith('#')) {
      if (this.conversations.get(nameKey(r.where))) this.conversations.open(nameKey(r.where), r.id);
    } else {
      this.conversations.openDm(r.where, r.id);
    }
  }
}
