import MarkdownIt, { type StateCore, type StateInline } from 'markdown-it';
import DOMPurify, { type DOMPurify as Purifier } from 'dompurify';
import { nameKey } from '../../../core/names.ts';
import { displayText, mentionAt, mentionsMe } from '../../../core/mentions.ts';
import { emojiRule, onEmojiTableGrown } from './emoji.ts';
import { honestLinkText } from './link-text.ts';

/**
 * Message bodies as the app shows them: a little Markdown (bold, italic, code, fenced blocks,
 * quotes, lists, links), @mentions picked out, `:smile:` shortcodes as emoji (emoji.ts),
 * links that show where they lead (link-text.ts), and telnet users' terminal codes and
 * bidi controls made harmless. Two fences keep markup out: markdown-it never passes raw HTML through
 * (`html: false`, so `<img onerror>` is escaped text), and DOMPurify then keeps only the few
 * tags markdown-it is configured to write. Links go to http(s) and mailto only.
 */

/** The only link targets shown as links; `javascript:`, `data:`, relative paths stay text. */
const SAFE_URL = /^(?:https?:\/\/|mailto:)/i;

// --------------------------------------------------------------------- terminal codes

/**
 * Strip terminal colour and cursor codes (a telnet user's client may send them), and show
 * any other control character as a visible mark (BEL as ␇, DEL as ␡, U+202E as ⟪RLO⟫)
 * rather than a missing-glyph box, nothing at all, or text reordered. CRLF counts as a line
 * break. The same text the mention rule reads (core/mentions.ts).
 */
export const cleanControls = displayText;

// --------------------------------------------------------------------- Markdown

type Env = { me: string; mentioned: boolean };

/**
 * `@name` as a token of its own, by the one mention rule (core/mentions.ts), which the
 * server counts by too. An inline rule, so a mention inside a code span or block, or a
 * link's address, is never seen.
 */
function mentionRule(state: StateInline, silent: boolean): boolean {
  const m = mentionAt(state.src, state.pos, state.posMax);
  if (!m) return false;
  if (!silent) state.push('mention', '', 0).content = m.handle;
  state.pos = m.end;
  return true;
}

/** `[text]()` keeps an empty href when its target was refused: show its text, not a link. */
function dropEmptyLinks(state: StateCore): void {
  for (const block of state.tokens) {
    if (block.type !== 'inline' || !block.children) continue;
    let dropping = false;
    block.children = block.children.filter((t) => {
      if (t.type === 'link_open' && !SAFE_URL.test(String(t.attrGet('href') ?? ''))) {
        dropping = true;
        return false;
      }
      if (t.type === 'link_close' && dropping) {
        dropping = false;
        return false;
      }
      return true;
    });
  }
}

/**
 * markdown-it's line break, except that the next line keeps its indentation: telnet users
 * indent log lines and the like. Trailing spaces go; with `breaks` every break is a <br>.
 */
function lineBreak(state: StateInline, silent: boolean): boolean {
  if (state.src.charCodeAt(state.pos) !== 0x0a) return false;
  if (!silent) {
    state.pending = state.pending.replace(/ +$/, '');
    state.push('softbreak', 'br', 0);
  }
  state.pos++;
  return true;
}

const escapeHtml = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const md = new MarkdownIt({ html: false, linkify: true, breaks: true });
// Chat is not a document: `# general` and `---` stay as typed, indented lines stay text,
// `&amp;` is shown as typed, and there are no images, tables or link definitions.
md.disable(['heading', 'lheading', 'hr', 'code', 'table', 'reference', 'image', 'entity']);
md.validateLink = (url) => SAFE_URL.test(url.trim());
// Links without a scheme: `www.` ones only. Any bare name.tld would take file names such as
// README.md or setup.py (country domains) for links.
md.linkify.set({ fuzzyLink: true });
const linkifyMatch = md.linkify.match.bind(md.linkify);
md.linkify.match = (text) => linkifyMatch(text)?.filter((m) => m.schema !== '' || /^www\./i.test(m.raw)) ?? null;
md.inline.ruler.at('newline', lineBreak);
md.inline.ruler.before('text', 'mention', mentionRule);
md.core.ruler.after('inline', 'drop_empty_links', dropEmptyLinks);
md.core.ruler.after('linkify', 'honest_link_text', honestLinkText);
md.core.ruler.after('honest_link_text', 'emoji', emojiRule);
// A bare <br>: paragraphs keep runs of spaces (white-space: pre-wrap), so the "\n" that
// markdown-it writes after each <br> would show as a second line break.
md.renderer.rules.softbreak = () => '<br>';
md.renderer.rules.hardbreak = () => '<br>';
md.renderer.rules.link_host = (tokens, idx) => ` <span class="link-host">(${escapeHtml(tokens[idx].content)})</span>`;
md.renderer.rules.emoji = (tokens, idx) => escapeHtml(tokens[idx].content);
md.renderer.rules.mention = (tokens, idx, _options, rawEnv) => {
  const name = tokens[idx].content;
  const env = rawEnv as Env | undefined;
  if (!env) return escapeHtml(name);
  const key = nameKey(name);
  const kind = key === '@channel' || key === '@here' ? ' all' : key === env.me ? ' me' : '';
  if (kind) env.mentioned = true;
  return `<span class="mention${kind}">${escapeHtml(name)}</span>`;
};

const meKey = (me: string): string => (me === '' ? '' : nameKey(me.startsWith('@') ? me : `@${me}`));

/**
 * The body as markdown-it's HTML, before sanitising, and whether it mentions `me` (or
 * @channel / @here) outside code. Safe by construction; `render` sanitises it all the same.
 */
export function markup(body: string, me: string): { html: string; mentioned: boolean } {
  const env: Env = { me: meKey(me), mentioned: false };
  // Without the line break markdown-it ends with, the body's text is just what was sent.
  const html = md.render(cleanControls(body), env).trimEnd();
  return { html, mentioned: env.mentioned };
}

/**
 * A channel topic's line: its text as typed (no Markdown: a topic is one short line that
 * telnet users read as is), bare http(s) URLs as links, control and bidi characters shown as
 * marks. Before sanitising; `renderTopic` sanitises.
 */
const topicMd = new MarkdownIt('zero', { linkify: true });
topicMd.enable(['linkify']);
topicMd.validateLink = md.validateLink;
topicMd.linkify = md.linkify;
export const topicMarkup = (text: string): string => topicMd.renderInline(cleanControls(text));

// --------------------------------------------------------------------- sanitising

const ALLOWED_TAGS = ['p', 'br', 'strong', 'em', 's', 'code', 'pre', 'blockquote', 'a', 'ul', 'ol', 'li', 'span'];

let purifier: Purifier | undefined;

/** A DOMPurify of our own (its hooks touch no other user of the library), made on first use. */
function getPurifier(): Purifier {
  if (purifier) return purifier;
  const p = typeof window === 'undefined' ? undefined : DOMPurify(window);
  // Never fall back to unsanitised HTML.
  if (!p?.isSupported) throw new Error('render() needs a DOM to sanitise with');
  p.setConfig({
    ALLOWED_TAGS,
    ALLOWED_ATTR: ['href', 'class', 'start'],
    ALLOWED_URI_REGEXP: SAFE_URL,
  });
  // Every link opens in a new tab that cannot reach back into the app; anything else that
  // slipped through as <a> loses its href and so is not a link.
  p.addHook('afterSanitizeAttributes', (node) => {
    if (node.tagName !== 'A') return;
    if (!SAFE_URL.test(node.getAttribute('href') ?? '')) {
      node.removeAttribute('href');
      return;
    }
    node.setAttribute('rel', 'noopener noreferrer');
    node.setAttribute('target', '_blank');
  });
  return (purifier = p);
}

type Rendered = { html: string; mentioned: boolean };

/**
 * Rendered bodies by text, for the signed-in user `cachedFor`. A conversation is rendered
 * again each time it is opened, and a long one holds hundreds of bodies; the strings are
 * the ones the message list holds, so keys cost nothing extra. Bounded: oldest out first.
 */
const cache = new Map<string, Rendered>();
let cachedFor = '';
const CACHE_SIZE = 5000;

function rendered(body: string, me: string): Rendered {
  const key = meKey(me);
  if (key !== cachedFor) {
    cache.clear();
    cachedFor = key;
  }
  let hit = cache.get(body);
  if (hit) return hit;
  const { html, mentioned } = markup(body, me);
  hit = { html: getPurifier().sanitize(html), mentioned };
  if (cache.size >= CACHE_SIZE) cache.delete(cache.keys().next().value as string);
  cache.set(body, hit);
  return hit;
}

/** A channel topic as sanitised HTML for `{@html}`: its URLs are links (rel="noopener noreferrer"). */
export function renderTopic(text: string): string {
  return getPurifier().sanitize(topicMarkup(text));
}

/** Another shortcode became known (emoji.ts loaded the full set): bodies render anew. */
onEmojiTableGrown(() => cache.clear());

/** A message body as sanitised HTML for `{@html}`; `me` is the signed-in handle. */
export function render(body: string, me: string): string {
  return rendered(body, me).html;
}

/**
 * Whether the body calls for `me`: names them, @channel or @here, outside code. For
 * notifications and badges; the same rule (core/mentions.ts) as the highlight and as the
 * server's mention counts.
 */
export function mentions(body: string, me: string): boolean {
  return mentionsMe(body, me);
}
