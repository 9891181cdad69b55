/**
 * Corner cases of the mention rule (core/mentions.ts): a body, whom it mentions (first of
 * each, as written), and whether it calls everyone (@channel, @here). The core test checks
 * the rule against it, and web/src/lib/mentions-agree.test.ts feeds the same bodies through
 * the app's renderer, so what is highlighted is what counts.
 */
export type MentionCase = { what: string; body: string; handles: string[]; everyone?: boolean };

export const MENTION_CASES: readonly MentionCase[] = [
  { what: 'a plain mention', body: 'hey @alice, look', handles: ['@alice'] },
  { what: 'any case; the full stop ends the sentence', body: 'thanks @ALICE.', handles: ['@ALICE'] },
  { what: 'in _emphasis_', body: '_@alice_ said so', handles: ['@alice'] },
  { what: 'in *emphasis*', body: '*@alice* said so', handles: ['@alice'] },
  { what: 'in __strong__', body: '__@alice__ and **@bob**', handles: ['@alice', '@bob'] },
  { what: 'after an underscore in a word', body: 'cc_@alice', handles: ['@alice'] },
  { what: 'in brackets and after a comma', body: '(@alice),@bob', handles: ['@alice', '@bob'] },
  { what: 'each handle once, whatever its case', body: '@alice @Alice @bob', handles: ['@alice', '@bob'] },
  { what: '@here and @channel call everyone', body: '@here and @channel', handles: [], everyone: true },
  { what: 'in a code span', body: 'run `ping @alice` now', handles: [] },
  { what: 'in a double-backtick code span', body: '``a ` @alice``', handles: [] },
  { what: 'an unclosed backtick is text', body: '`unclosed @alice', handles: ['@alice'] },
  { what: 'in a ``` fence', body: '```\n@jane\n```', handles: [] },
  { what: 'in a ~~~ fence', body: '~~~\n@jane\n~~~', handles: [] },
  { what: 'in a fence never closed', body: '~~~\n@jane', handles: [] },
  { what: 'after a fence', body: '```\n@jane\n```\nthen @kim', handles: ['@kim'] },
  { what: 'in a fence in a quote', body: '> ```\n> @jane\n> ```\n@kim', handles: ['@kim'] },
  { what: 'in a fence in a list item', body: '- ```\n  @jane\n  ```', handles: [] },
  { what: 'an indented line is text (no indented code in the app)', body: 'log:\n    @jane joined', handles: ['@jane'] },
  { what: 'four spaces in are no fence', body: '    ```\n@jane', handles: ['@jane'] },
  { what: 'in a quote', body: '> @alice wrote', handles: ['@alice'] },
  { what: 'an e-mail address', body: 'mail bob@alice.com', handles: [] },
  { what: 'a path', body: 'see docs/@alice', handles: [] },
  { what: 'inside a URL', body: 'https://example.com/?to=@alice', handles: [] },
  { what: 'inside an autolink', body: '<https://example.com/?to=@alice>', handles: [] },
  { what: 'after a URL', body: 'https://example.com @alice', handles: ['@alice'] },
  { what: "in a link's text", body: '[@alice](https://example.com)', handles: ['@alice'] },
  { what: "in a link's address", body: '[docs](https://example.com/?to=@alice)', handles: [] },
  { what: "in a link's title", body: '[docs](https://example.com "for @alice")', handles: [] },
  { what: 'an escaped @', body: '\\@alice', handles: [] },
  { what: 'after an escaped backslash', body: '\\\\@alice', handles: ['@alice'] },
  { what: 'escaped backticks are no code', body: '\\`@alice\\`', handles: ['@alice'] },
  { what: 'a handle over 32 characters', body: `@${'a'.repeat(33)}`, handles: [] },
  { what: 'a lone @', body: 'meet @ 5', handles: [] },
  { what: 'glued to another mention', body: '@alice@bob', handles: ['@alice'] },
  { what: 'in terminal colours', body: '\x1b[1m@alice\x1b[0m', handles: ['@alice'] },
  { what: 'after a bidi override, shown as a mark', body: 'see\u202e@alice', handles: ['@alice'] },
  { what: 'a bidi override ends a URL, as its mark does', body: 'https://example.com/a\u202e?to=@alice', handles: ['@alice'] },
  { what: 'CRLF line ends', body: '```\r\n@jane\r\n```\r\n@kim', handles: ['@kim'] },
];
