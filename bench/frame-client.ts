import net from 'node:net';
import { Parser, ProtocolError, SERVER_FRAME_LIMITS, ServerFrameDecoder, type ServerFrame } from '../core/index.ts';

/** A TCP client for benchmarks that hands every frame to `on`. */
export class Client {
  readonly socket: net.Socket;
  on: (f: ServerFrame) => void = () => {};

  private constructor(socket: net.Socket) {
    this.socket = socket;
    const parser = new Parser(new ServerFrameDecoder(), SERVER_FRAME_LIMITS, (f) => {
      if (f instanceof ProtocolError) throw f;
      this.on(f);
    });
    socket.on('data', (chunk) => parser.push(chunk));
    socket.on('error', () => {});
  }

  /** Connected from `from`, signed in (`reg` is the REG line's argument), and OK'd `joins`. */
  static async user(port: number, reg: string, joins: string[], from = '127.0.0.1'): Promise<Client> {
    const socket = net.connect({ host: '127.0.0.1', port, localAddress: from, noDelay: true });
    await new Promise<void>((ok, fail) => socket.once('connect', ok).once('error', fail));
    const c = new Client(socket);
    let oks = 0;
    await new Promise<void>((ok, fail) => {
      c.on = (f) => {
        if (f.type === 'ERR') fail(new Error(`set-up: ERR ${f.code} ${f.text}`));
        if (f.type === 'OK' && ++oks === 1 + joins.length) ok();
      };
      socket.write(`REG ${reg}\r\n${joins.map((j) => `JOIN ${j}\r\n`).join('')}`);
    });
    c.on = () => {};
    return c;
  }
}
