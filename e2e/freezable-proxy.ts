import { createServer, connect, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy on 127.0.0.1 in front of a server, for a page to reach it through, that a test
 * can freeze: while frozen it forwards nothing, either way, and closes nothing, as a network
 * that has silently died (a Wi-Fi gone, a NAT mapping forgotten): bytes are dropped, not
 * kept, and neither end is told. New connections are taken and go nowhere. Thawed, it
 * forwards again, and passes on the closes it held back.
 */
export class FreezableProxy {
  frozen = false;
  private readonly pairs = new Set<{ a: Socket; b: Socket; closed: boolean }>();

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static start(targetPort: number): Promise<FreezableProxy> {
    return new Promise((resolve, reject) => {
      const server = createServer();
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const address = server.address();
        if (address === null || typeof address === 'string') throw new Error('no port');
        const proxy = new FreezableProxy(server, address.port);
        server.on('connection', (a) => proxy.pipe(a, connect({ host: '127.0.0.1', port: targetPort })));
        resolve(proxy);
      });
    });
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  freeze(): void {
    this.frozen = true;
  }

  thaw(): void {
    this.frozen = false;
    for (const pair of this.pairs) if (pair.closed) this.end(pair);
  }

  async close(): Promise<void> {
    for (const pair of this.pairs) this.end(pair);
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private pipe(a: Socket, b: Socket): void {
    const pair = { a, b, closed: false };
    this.pairs.add(pair);
    a.on('data', (chunk) => {
      if (!this.frozen) b.write(chunk);
    });
    b.on('data', (chunk) => {
      if (!this.frozen) a.write(chunk);
    });
    const onClose = () => {
      pair.closed = true;
      if (!this.frozen) this.end(pair);
    };
    for (const s of [a, b]) {
      s.on('close', onClose);
      s.on('error', () => {});
    }
  }

  private end(pair: { a: Socket; b: Socket; closed: boolean }): void {
    this.pairs.delete(pair);
    pair.a.destroy();
    pair.b.destroy();
  }
}
