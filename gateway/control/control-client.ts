import net from 'node:net';
import { socketPathProblem } from './socket-path.ts';
import { parseAnswer, requestLine, type Answer } from './protocol.ts';

/** The server's answer, or why no server is there to ask (then the file is free to open). */
export type Reply = { answer: Answer } | { noServer: string };

/** An answer is one short line; more than this without a line end is not the server. */
const MAX_ANSWER_BYTES = 8_192;

/**
 * Asks the server listening on `socketPath` to back its store up to `file` (absolute), and
 * waits for the answer, however long the copy takes. No socket, or one nobody answers on
 * (a server killed), is `noServer`; a socket this user may not use, or a broken answer,
 * rejects with a sentence.
 */
export function askForBackup(socketPath: string, file: string): Promise<Reply> {
  const tooLong = socketPathProblem(socketPath);
  if (tooLong !== null) return Promise.resolve({ noServer: tooLong });
  return new Promise((ok, fail) => {
    const socket = net.connect(socketPath);
    let received = '';
    let connected = false;
    socket.setEncoding('utf8');
    socket.once('connect', () => {
      connected = true;
      socket.write(requestLine(file));
    });
    socket.on('data', (chunk: string) => {
      received += chunk;
      const end = received.indexOf('\n');
      if (end < 0 && received.length <= MAX_ANSWER_BYTES) return;
      socket.destroy();
      const answer = end < 0 ? null : parseAnswer(received.slice(0, end));
      if (answer === null) fail(new Error(`${socketPath} answered something other than OK or ERR: ${JSON.stringify(received.slice(0, 200))}`));
      else ok({ answer });
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (connected) return fail(new Error(`The control connection to ${socketPath} failed (${err.code ?? err.message}).`));
      if (err.code === 'ENOENT') return ok({ noServer: `there is no control socket ${socketPath}` });
      if (err.code === 'ECONNREFUSED') return ok({ noServer: `nothing answers on ${socketPath}` });
      if (err.code === 'EACCES' || err.code === 'EPERM') {
        return fail(new Error(`Cannot use the control socket ${socketPath} (${err.code}): run the backup as the user the server runs as.`));
      }
      fail(new Error(`Cannot connect to the control socket ${socketPath} (${err.code ?? err.message}).`));
    });
    socket.on('close', () => fail(new Error(`The server closed the control connection without answering; is it stopping?`)));
  });
}
