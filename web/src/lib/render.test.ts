import { describe, expect, it } from 'vitest';
import { cleanControls, markup, mentions, render } from './render.ts';

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
    ['Markdown link', '[docs](https://example.com)', '<p><a href="https://example.com">docs</a></p>'],
    ['javascript: is text', 'javascript:alert(1)', '<p>javascript:alert(1)</p>'],
    ['javascript: link is text', '[x](javascript:alert(1))', '<p>[x](javascript:alert(1))</p>'],
    ['data: link is text', '[x](data:text/html,hi)', '<p>[x](data:text/html,hi)</p>'],
    ['relative link is text', '[x](/admin) //evil.example', '<p>[x](/admin) //evil.example</p>'],
    ['empty link is its text', '[x]()', '<p>x</p>'],
    ['autolink', '<https://example.com>', '<p><a href="https://example.com">https://example.com</a></p>'],
    ['img tag is text', '<img src=x onerror=alert(1)>', '<p>&lt;img src=x onerror=alert(1)&gt;</p>'],
    ['script tag is text', '<script>alert(1)</script>', '<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>'],
    ['image syntax is text', '![x](https://example.com/a.png)', '<p>!<a href="https://example.com/a.png">x</a></p>'],
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

describe('render', () => {
  it('refuses to run without a DOM to sanitise with, rather than return raw HTML', () => {
    expect(() => render('**x**', '@alice')).toThrow(/DOM/);
  });
});
