import { describe, expect, it } from 'vitest';
import { msg } from './support/client.ts';
import { useTelnetServer } from './support/telnet.ts';

// Mention counts (UNREAD) follow the one rule the web app highlights by (core/mentions.ts):
// a mention in a ~~~ fence or a link's address does not count, an emphasised one does.

const t = useTelnetServer('mentions');

describe('mention counts', () => {
  it('count what the page shows as a mention, and nothing else', async () => {
    const bodies: Record<string, string> = {
      '#fenced': '~~~\nping @jane\n~~~',
      '#emphasis': '_@jane_ and *@jane*, again',
      '#link': '[the doc](https://example.com/?for=@jane) and `@jane`',
      '#plain': 'thanks @Jane.',
    };
    const channels = Object.keys(bodies);
    const jane = await t.user('@jane s3cret-pass', ...channels);
    const kim = await t.user('@kim', ...channels);
    for (const [channel, body] of Object.entries(bodies)) await kim.ok(msg(channel, body));
    jane.drain();
    const counts = Object.fromEntries(
      (await jane.cmd('UNREAD')).map((l) => l.split(' ')).filter((w) => channels.includes(w[1])).map((w) => [w[1], Number(w[3])]),
    );
    expect(counts).toEqual({ '#fenced': 0, '#emphasis': 1, '#link': 0, '#plain': 1 });
  });
});
