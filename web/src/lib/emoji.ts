import type { StateCore, Token } from 'markdown-it';
import LIGHT from 'markdown-it-emoji/lib/data/light.mjs';
import { COMMON_EMOJI } from '../../../core/emoji-common.ts';

/**
 * `:smile:`-style shortcodes shown as emoji. The common ones (markdown-it-emoji's light set
 * and core/emoji-common.ts, about 335) come with the page; the first shortcode not among them
 * loads the package's full set (about 1,900, 16 KB gzip) in a chunk of its own, and the
 * bodies on screen are drawn again (`onEmojiTableGrown`). Only plain text is touched: code
 * spans and fences keep `:smile:` as typed, and so do URLs.
 */

const table = new Map<string, string>([...Object.entries(LIGHT), ...Object.entries(COMMON_EMOJI)]);
/** `:name:` where the name could be a shortcode, not glued to a word before it (`a:b:c` stays). */
const SHORTCODE = /(?<![\p{L}\p{N}]):([a-z0-9_+-]{1,40}):/gu;
const listeners = new Set<() => void>();
let fullTable: Promise<void> | undefined;

/** The emoji for a shortcode's name (`smile`), if it is one known so far. */
export const emojiFor = (name: string): string | undefined => table.get(name);

/** Called each time more shortcodes become known (the full set arrived): draw again. */
export function onEmojiTableGrown(fn: () => void): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

/** Load the full set (once). */
export function loadFullEmojiTable(): Promise<void> {
  fullTable ??= import('markdown-it-emoji/lib/data/full.mjs').then(
    (m) => {
      for (const [name, emoji] of Object.entries(m.default)) if (!table.has(name)) table.set(name, emoji);
      for (const fn of listeners) fn();
    },
    (e: unknown) => {
      // Offline, say: the shortcodes stay text; the next one not known tries again.
      fullTable = undefined;
      console.warn('could not load the emoji table', e);
    },
  );
  return fullTable;
}

function split(text: string, state: StateCore): Token[] | undefined {
  let out: Token[] | undefined;
  let last = 0;
  let unknown = false;
  for (const m of text.matchAll(SHORTCODE)) {
    const emoji = table.get(m[1]);
    if (emoji === undefined) {
      unknown = true;
      continue;
    }
    out ??= [];
    if (m.index > last) out.push(Object.assign(new state.Token('text', '', 0), { content: text.slice(last, m.index) }));
    out.push(Object.assign(new state.Token('emoji', '', 0), { content: emoji, markup: m[1] }));
    last = m.index + m[0].length;
  }
  if (unknown && typeof window !== 'undefined') void loadFullEmojiTable();
  if (out && last < text.length) out.push(Object.assign(new state.Token('text', '', 0), { content: text.slice(last) }));
  return out;
}

/** A markdown-it core rule (after linkify): shortcodes in text tokens, outside links' URL text, become emoji tokens. */
export function emojiRule(state: StateCore): void {
  for (const block of state.tokens) {
    if (block.type !== 'inline' || !block.children || !block.content.includes(':')) continue;
    const children: Token[] = [];
    let autoLink = 0;
    for (const t of block.children) {
      if ((t.type === 'link_open' || t.type === 'link_close') && t.info === 'auto') autoLink += t.nesting;
      const parts = t.type === 'text' && autoLink === 0 ? split(t.content, state) : undefined;
      if (parts) children.push(...parts);
      else children.push(t);
    }
    block.children = children;
  }
}
