import type { StateCore, Token } from 'markdown-it';

/**
 * A link's text must not pass for another address. `[https://bank.example](https://evil.example)`
 * would show a trusted address and lead elsewhere; so when a link's text reads as an address
 * (a URL, a host name, an e-mail address), it is replaced by the address the link leads to,
 * unless it names that very host. Any other text keeps its words and is followed by the real
 * host, `docs (example.com)`, in a `link_host` token. Hosts are shown as the browser resolves
 * them (IDNs in punycode), so a look-alike letter cannot hide either.
 */

/** Text that reads as an address: a URL, a host (`bank.example/login`), an e-mail address. */
const ADDRESS = /^(?:[a-z][a-z0-9+.-]*:(?:\/\/)?)?(?:[^\s@/]+@)?(?:[\p{L}\p{N}_-]+\.)+[\p{L}\p{N}-]{2,}\.?(?::\d{1,5})?(?:[/?#]\S*)?$/iu;

/** Where a link leads, for people: an http(s) URL's host, or a mailto: address. */
export function realHost(href: string): string {
  if (/^mailto:/i.test(href)) {
    try {
      return decodeURIComponent(href.slice(7).split('?')[0]);
    } catch {
      return href.slice(7);
    }
  }
  try {
    return new URL(href).hostname;
  } catch {
    return href;
  }
}

/** The host (or address) that `text` names as written, lower case; '' when it names none. */
function namedHost(text: string): string {
  const t = text.trim();
  if (!ADDRESS.test(t)) return '';
  const rest = t.replace(/^[a-z][a-z0-9+.-]*:(?:\/\/)?/i, '');
  if (/^mailto:/i.test(t) || /^[^\s@/]+@[^/]+$/.test(rest)) return rest.toLowerCase();
  return rest.split(/[/?#:]/)[0].replace(/\.$/, '').toLowerCase();
}

const text_ = (state: StateCore, content: string): Token => Object.assign(new state.Token('text', '', 0), { content });

/** What a link shows: the text of its tokens. */
const textOf = (tokens: Token[]): string => tokens.map((t) => (t.type === 'softbreak' ? ' ' : t.content)).join('');

/** A markdown-it core rule: links written by hand (`[text](url)`) show where they lead. */
export function honestLinkText(state: StateCore): void {
  for (const block of state.tokens) {
    if (block.type !== 'inline' || !block.children) continue;
    const out: Token[] = [];
    const children = block.children;
    for (let i = 0; i < children.length; i++) {
      const open = children[i];
      out.push(open);
      // Bare URLs and <autolinks> show their own address.
      if (open.type !== 'link_open' || open.info === 'auto') continue;
      let close = i + 1;
      while (close < children.length && children[close].type !== 'link_close') close++;
      const inner = children.slice(i + 1, close);
      const href = String(open.attrGet('href') ?? '');
      const host = realHost(href);
      const text = textOf(inner);
      const named = namedHost(text);
      const replaced = text.trim() === '' || (named !== '' && named !== host.toLowerCase());
      out.push(...(replaced ? [text_(state, href)] : inner));
      if (close < children.length) out.push(children[close]);
      if (named === '' && text.trim() !== '') out.push(Object.assign(new state.Token('link_host', '', 0), { content: host }));
      // A mention in the text replaced still counts (core/mentions.ts): it stays in view, after.
      if (replaced && inner.some((t) => t.type === 'mention')) out.push(text_(state, ' ('), ...inner, text_(state, ')'));
      i = close;
    }
    block.children = out;
  }
}
