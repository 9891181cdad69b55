import LIGHT from 'markdown-it-emoji/lib/data/light.mjs';
import { COMMON_EMOJI } from './emoji-common.ts';
import { LIMITS } from './limits.ts';
import { utf8Length } from './bytes.ts';

/**
 * What a reaction may be (spec: REACT): one emoji, by Unicode's list of recommended emoji
 * (RGI: what every platform draws as one picture), or a `:shortcode:` of the app's set (the
 * web's: markdown-it-emoji's light set and emoji-common.ts), which stands for its emoji. A
 * reaction is stored and sent as the emoji, so `:+1:` and 👍 are one reaction.
 */

/** Built at run time: the `v` flag is ES2024, which Node 20 and Chromium have and the compile target does not name. */
const RGI = new RegExp('^\\p{RGI_Emoji}$', 'v');
/** VARIATION SELECTOR-16: "draw the character before me as an emoji". */
const VS16 = '\ufe0f';
const SHORTCODE = /^:([a-z0-9_+-]{1,40}):$/;

const table = new Map<string, string>([...Object.entries(LIGHT), ...Object.entries(COMMON_EMOJI)]);

/**
 * The emoji a reaction stands for, or null when it is not one. An RGI emoji is itself; a
 * symbol that is an emoji only with VS16 after it, typed without (`❤` for `❤️`, as a
 * keyboard or terminal may send it), is that emoji with VS16, so both are one reaction; a
 * `:shortcode:` of the app's set is its emoji. Anything else, two emoji included, is null.
 */
export function normalizeReaction(text: string): string | null {
  if (text.length === 0 || utf8Length(text) > LIMITS.maxReaction) return null;
  if (RGI.test(text)) return text;
  if (RGI.test(text + VS16)) return text + VS16;
  const code = SHORTCODE.exec(text);
  if (code === null) return null;
  const emoji = table.get(code[1]);
  if (emoji === undefined) return null;
  // The set's own data: an entry that is not an emoji by Unicode's list is not a reaction.
  if (RGI.test(emoji)) return emoji;
  return RGI.test(emoji + VS16) ? emoji + VS16 : null;
}
