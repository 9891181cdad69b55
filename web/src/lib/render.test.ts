import { describe, expect, it } from 'vitest';
import { cleanControls, markup, mentions, render, topicMarkup } from './render.ts';

// The Markdown stage runs here, in Node. DOMPurify needs a DOM, so the sanitised output of
// render() is checked in real Chromium by e2e/rich-text.test.ts.
const html = (body: string, me = '@alice') => markup(body, me).html;

describe('markup', () => {
  const table: [string, string, string][] = [
    ['bold', '**bold**', '<p><strong>bold</strong></p>'],
    ['italic', '_it_ and *it*', '<p><em>it</em> and <em>it</em></p>'],
    ['code span', 'run `ls -l`', '<p>run <code>ls -l</code></p>'],
    ['fenced block', '```\nif (a < b) **x**\n```', '<pre><code>if (a &lt; b) **x**\n</code></pre>'],
    ['fence with a language', '```js\nx()\n```', '<pre><code class="language-js">x()\n</code></pre>'],
    ['quote', '> wise\n> words', '<blockquote>\n<p>wise<br>words</p>\n</blockquote>'],
    ['line breaks', 'one\ntwo', '<p>one<br>two</p>'],
    ['runs of spaces kept', 'a   b', '<p>a   b</p>'],
    ['next lines keep their indent', 'log:\n  02:13 ok', '<p>log:<br>  02:13 ok</p>'],
    ['http link', 'see http://example.com/x', '<p>see <a href="http://example.com/x">http://example.com/x</a></p>'],
    ['https link', 'https://example.com/a?b=1', '<p><a href="https://example.com/a?b=1">https://example.com/a?b=1</a></p>'],
    ['www. linkified', 'www.x.com', '<p><a href="http://www.x.com">www.x.com</a></p>'],
    ['bare file names are not links', 'README.md setup.py', '<p>README.md setup.py</p>'],
    ['Markdown link, its host shown', '[docs](https://example.com)', '<p><a href="https://example.com">docs</a> <span class="link-host">(example.com)</span></p>'],
    ['link text that is another address shows the real one', '[https://bank.example](https://evil.example)', '<p><a href="https://evil.example">https://evil.example</a></p>'],
    ['link text that is another host shows the real address', '[bank.example/login](https://evil.example/x)', '<p><a href="https://evil.example/x">https://evil.example/x</a></p>'],
    ['link text naming the host it leads to stays', '[https://example.com](https://example.com/a?b=1)', '<p><a href="https://example.com/a?b=1">https://example.com</a></p>'],
    ['a subdomain trick is another host', '[bank.example](https://bank.example.evil.example)', '<p><a href="https://bank.example.evil.example">https://bank.example.evil.example</a></p>'],
    ['a look-alike letter is another host', '[bаnk.example](https://xn--bnk-8cd.example)', '<p><a href="https://xn--bnk-8cd.example">https://xn--bnk-8cd.example</a></p>'],
    ['mail link text that is another address', '[help@bank.example](mailto:x@evil.example)', '<p><a href="mailto:x@evil.example">mailto:x@evil.example</a></p>'],
    ['mail link with words shows the address', '[write to us](mailto:help@example.com)', '<p><a href="mailto:help@example.com">write to us</a> <span class="link-host">(help@example.com)</span></p>'],
    ['empty link text shows the address', '[](https://example.com)', '<p><a href="https://example.com">https://example.com</a></p>'],
    ['shortcodes are emoji', ':smile: :+1: :tada:', '<p>😄 👍 🎉</p>'],
    ['shortcodes in code stay text', '`:smile:`\n```\n:smile:\n```', '<p><code>:smile:</code></p>\n<pre><code>:smile:\n</code></pre>'],
    ['unknown shortcodes and times stay text', ':nosuchemoji: 10:30:45 a:smile:', '<p>:nosuchemoji: 10:30:45 a:smile:</p>'],
    ['shortcodes side by side', ':fire::fire:', '<p>🔥🔥</p>'],
    ['a bidi override is shown as a mark', 'invoice_\u202egnp.exe', '<p>invoice_⟪RLO⟫gnp.exe</p>'],
    ['javascript: is text', 'javascript:alert(1)', '<p>javascript:alert(1)</p>'],
    ['javascript: link is text', '[x](javascript:alert(1))', '<p>[x](javascript:alert(1))</p>'],
    ['data: link is text', '[x](data:text/html,hi)', '<p>[x](data:text/html,hi)</p>'],
    ['relative link is text', '[x](/admin) //evil.example', '<p>[x](/admin) //evil.example</p>'],
    ['empty link is its text', '[x]()', '<p>x</p>'],
    ['autolink', '<https://example.com>', '<p><a href="https://example.com">https://example.com</a></p>'],
    ['img tag is text', '<img src=x onerror=alert(1)>', '<p>&lt;img src=x onerror=alert(1)&gt;</p>'],
    ['script tag is text', '<script>alert(1)</script>', '<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>'],
    ['image syntax is text', '![x](https://example.com/a.png)', '<p>!<a href="https://example.com/a.png">x</a> <span class="link-host">(example.com)</span></p>'],
    ['heading is text', '# general', '<p># general</p>'],
    ['entity is shown as typed', '&amp; &lt;', '<p>&amp;amp; &amp;lt;</p>'],
    ['list', '- a\n- b', '<ul>\n<li>a</li>\n<li>b</li>\n</ul>'],
    ['ANSI colours stripped', '\x1b[31mred\x1b[0m', '<p>red</p>'],
    ['BEL shown as a picture', 'ding\x07', '<p>ding\u2407</p>'],
    ['mention of me', 'hey @alice', '<p>hey <span class="mention me">@alice</span></p>'],
    ['mention, any case, full stop after', 'hi @ALICE.', '<p>hi <span class="mention me">@ALICE</span>.</p>'],
    ['mention in emphasis', '_@alice_ **@here**', '<p><em><span class="mention me">@alice</span></em> <strong><span class="mention all">@here</span></strong></p>'],
    ['mention of someone else', '@bob-2 hi', '<p><span class="mention">@bob-2</span> hi</p>'],
    ['@here and @channel', '@here @channel', '<p><span class="mention all">@here</span> <span class="mention all">@channel</span></p>'],
    ['mention in code is not', '`@alice`', '<p><code>@alice</code></p>'],
    ['mention in a fence is not', '```\n@alice\n```', '<pre><code>@alice\n</code></pre>'],
    ['e-mail address is no mention', 'bob@alice.com', '<p><a href="mailto:bob@alice.com">bob@alice.com</a></p>'],
    ['handle over 32 characters is no mention', `@${'a'.repeat(33)}`, `<p>@${'a'.repeat(33)}</p>`],
    ['mention inside a link URL is not', 'https://x.com/@alice', '<p><a href="https://x.com/@alice">https://x.com/@alice</a></p>'],
  ];
  it.each(table)('%s', (_what, body, expected) => {
    expect(html(body)).toBe(expected);
  });
});

describe('cleanControls', () => {
  it.each([
    ['CSI colour and cursor codes', '\x1b[1;31mred\x1b[0m \x1b[2K\x1b[10;5H!', 'red !'],
    ['OSC title, BEL-terminated', '\x1b]0;title\x07after', 'after'],
    ['OSC title, ST-terminated', '\x1b]2;title\x1b\\after', 'after'],
    ['other ESC sequences', '\x1b(Bx\x1b=y', 'xy'],
    ['BEL, NUL, backspace, DEL', '\x07\x00\x08\x7f', '\u2407\u2400\u2408\u2421'],
    ['tab and line feed kept, CRLF is a line break', 'a\tb\r\nc\rd', 'a\tb\nc\u240dd'],
    ['a lone ESC is shown', 'x\x1b', 'x\u241b'],
    ['bidi controls by name', 'a\u202ab\u202bc\u202cd\u202de\u202ef\u2066g\u2067h\u2068i\u2069j\u200ek\u200fl\u061cm', 'a⟪LRE⟫b⟪RLE⟫c⟪PDF⟫d⟪LRO⟫e⟪RLO⟫f⟪LRI⟫g⟪RLI⟫h⟪FSI⟫i⟪PDI⟫j⟪LRM⟫k⟪RLM⟫l⟪ALM⟫m'],
    ['C1 controls by code', 'a\x85b\x9fc', 'a⟪U+0085⟫b⟪U+009F⟫c'],
  ])('%s', (_what, body, expected) => {
    expect(cleanControls(body)).toBe(expected);
  });
});

describe('mentions', () => {
  it.each([
    ['hey @alice', '@alice', true],
    ['hey @Alice', 'alice', true],
    ['hey @alicex', '@alice', false],
    ['ping @here', '@bob', true],
    ['ping @channel', '@bob', true],
    ['`@alice` in code', '@alice', false],
    ['mail alice@example.com', '@alice', false],
    ['nobody', '@alice', false],
  ])('%s for %s: %s', (body, me, expected) => {
    expect(mentions(body, me)).toBe(expected);
  });
});

describe('topicMarkup', () => {
  it.each([
    ['plain text', 'Release on *Friday*', 'Release on *Friday*'],
    ['a URL is a link', 'Notes: https://example.com/notes.', 'Notes: <a href="https://example.com/notes">https://example.com/notes</a>.'],
    ['www. too', 'see www.example.com', 'see <a href="http://www.example.com">www.example.com</a>'],
    ['javascript: is text', 'javascript:alert(1)', 'javascript:alert(1)'],
    ['markup is text', '<img src=x onerror=alert(1)>', '&lt;img src=x onerror=alert(1)&gt;'],
    ['bidi override shown', 'see invoice_\u202egnp.exe', 'see invoice_⟪RLO⟫gnp.exe'],
  ])('%s', (_what, text, expected) => {
    expect(topicMarkup(text)).toBe(expected);
  });
});

describe('render', () => {
  it('refuses to run without a DOM to sanitise with, rather than return raw HTML', () => {
    expect(() => render('**x**', '@alice')).toThrow(/DOM/);
  });
});
