import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startServer } from '../gateway/test/support/server.ts';

type Outcome = { opened: true; first: string } | { opened: false; status: number | undefined };

/** Open /ws with the given Origin header; report the first frame, or how it was refused. */
function tryOpen(url: string, origin: string): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { origin });
    ws.on('unexpected-response', (_req, res) => {
      resolve({ opened: false, status: res.statusCode });
      ws.terminate();
    });
    ws.on('message', (data: Buffer) => {
      resolve({ opened: true, first: data.toString('utf8').split('\r\n')[0] });
      ws.close();
    });
    ws.on('error', (e) => reject(e));
  });
}

// Spec 7: a page on another site cannot open a WebSocket to the server (cross-site
// WebSocket hijacking); the app's own origin can.
describe('WebSocket origin check', () => {
  let server: Awaited<ReturnType<typeof startServer>>;

  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(async () => {
    await server?.close();
  });

  it('refuses a foreign Origin', async () => {
    const outcome = await tryOpen(server.wsUrl, 'http://evil.example');
    expect(outcome).toEqual({ opened: false, status: 403 });
  });

  it('refuses the same host on another port', async () => {
    const outcome = await tryOpen(server.wsUrl, `http://127.0.0.1:${server.httpPort + 1}`);
    expect(outcome.opened).toBe(false);
  });

  it('accepts the app’s own origin', async () => {
    const outcome = await tryOpen(server.wsUrl, server.httpUrl);
    expect(outcome.opened).toBe(true);
    if (outcome.opened) expect(outcome.first).toMatch(/^HELLO slck /);
  });
});
