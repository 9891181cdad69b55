import net from 'node:net';

/**
 * A TCP forwarder standing in for the load balancer in front of several nodes' HTTP ports.
 * Each new connection goes to the first target that accepts it (in the order given), so
 * once a node is dead, new connections (a page load, the app's reconnect) land on the next.
 * A connection already forwarded ends when either side does: killing a node drops its
 * clients, as a real balancer would. Nothing is parsed, so WebSocket upgrades pass as is.
 */

export type Route = { target: number; at: number };

export type Balancer = {
  port: number;
  url: string;
  /** Every connection forwarded so far: which target port took it, and when (epoch ms). */
  routes: Route[];
  close(): Promise<void>;
};

/** Connect to `port` on 127.0.0.1, or fail (a refused port fails at once). */
function dial(port: number): Promise<net.Socket> {
  return new Promise((ok, fail) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.off('error', fail);
      ok(s);
    });
    s.once('error', fail);
  });
}

/** `targets()` is asked for each connection, so a test can change the set as it goes. */
export async function startBalancer(targets: () => number[]): Promise<Balancer> {
  const open = new Set<net.Socket>();
  const routes: Route[] = [];
  const track = (s: net.Socket) => {
    open.add(s);
    s.once('close', () => open.delete(s));
  };

  const server = net.createServer({ pauseOnConnect: true }, async (client) => {
    track(client);
    client.on('error', () => {});
    let upstream: net.Socket | null = null;
    for (const port of targets()) {
      if (client.destroyed) return;
      try {
        upstream = await dial(port);
        routes.push({ target: port, at: Date.now() });
        break;
      } catch {
        // Refused or unreachable: try the next node.
      }
    }
    if (upstream === null || client.destroyed) {
      upstream?.destroy();
      client.destroy();
      return;
    }
    const up = upstream;
    track(up);
    up.on('error', () => {});
    // Either side's end or error ends both: a dead node must not leave its clients hanging.
    up.once('close', () => client.destroy());
    client.once('close', () => up.destroy());
    client.pipe(up);
    up.pipe(client);
    client.resume();
  });

  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => ok());
  });
  const { port } = server.address() as net.AddressInfo;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    routes,
    close: () =>
      new Promise<void>((ok) => {
        for (const s of open) s.destroy();
        server.close(() => ok());
      }),
  };
}
