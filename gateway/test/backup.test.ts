import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import net from 'node:net';
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ProtocolError } from '../../core/index.ts';
import { ROOT, TestClient, msg, spawnServer, type ServerProcess } from './support/client.ts';

// Online backups of the SQLite store (docs/DEPLOY.md, Backups): `npm run backup` asks the
// running server through <dataDir>/control.sock, or copies the file itself when no server
// runs; a copy put in a new data directory brings back what was acknowledged.

const servers: ServerProcess[] = [];
const clients: TestClient[] = [];
const dirs: string[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  for (const s of servers.splice(0)) if (s.proc.exitCode === null && s.proc.signalCode === null) s.proc.kill('SIGKILL');
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'slck-backup-'));
  dirs.push(d);
  return d;
}
// --msg-rate 0: bursts here fill the store, flood control is flood.test.ts's.
async function start(dataDir: string): Promise<ServerProcess> {
  const s = await spawnServer(['--data-dir', dataDir, '--tcp-port', '0', '--http-port', '0', '--log-level', 'warn', '--msg-rate', '0']);
  servers.push(s);
  return s;
}
async function stop(s: ServerProcess, signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<void> {
  s.proc.kill(signal);
  await s.exited;
}
async function connect(s: ServerProcess, line?: string): Promise<TestClient> {
  const c = await TestClient.tcp(s.tcpPort);
  clients.push(c);
  await c.lines(1); // HELLO
  if (line !== undefined) await c.ok(line);
  return c;
}

type Run = { code: number | null; stdout: string; stderr: string };
/** The backup command as an operator runs it (`npm run backup -- …`), or its script directly. */
function backupCommand(args: string[], via: 'npm' | 'tsx' = 'tsx'): Promise<Run> {
  const [cmd, argv] = via === 'npm'
    ? ['npm', ['run', '--silent', 'backup', '--', ...args]]
    : [process.execPath, ['--import', 'tsx', 'gateway/backup.ts', ...args]];
  return new Promise((ok) => {
    const p = spawn(cmd, argv, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    p.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    p.on('close', (code) => ok({ code, stdout, stderr }));
  });
}

/** Sends every body to `target` at once (pipelined) and returns id -> body from the OKs. */
async function sendAll(c: TestClient, target: string, bodies: string[]): Promise<Map<number, string>> {
  c.drain();
  c.write(bodies.map((b) => `${msg(target, b)}\r\n`).join(''));
  const replies = () => c.frames.slice(c.at).filter((f) => !(f instanceof ProtocolError) && (f.type === 'OK' || f.type === 'ERR'));
  await c.waitFor(() => replies().length >= bodies.length, `${bodies.length} replies`, 60_000);
  const acked = new Map<number, string>();
  replies().forEach((f, i) => {
    if (f instanceof ProtocolError || f.type !== 'OK') throw new Error(`message ${i} was refused\n${c.describe()}`);
    acked.set(Number(f.args[0]), bodies[i]);
  });
  c.drain();
  return acked;
}

/** Every message of a conversation, oldest first, as `id body`, read page by page. */
async function wholeHistory(c: TestClient, target: string): Promise<string[]> {
  const all: string[] = [];
  let after = 0;
  for (;;) {
    const page = (await c.cmd(`HISTORY ${target} 500 after ${after}`)).filter((l) => l.startsWith('MSG'));
    if (page.length === 0) return all;
    for (const m of page) all.push(`${m.split(' ')[3]} ${m.split('\n')[1]}`);
    after = Number(page[page.length - 1].split(' ')[3]);
  }
}
const asLines = (acked: Map<number, string>): string[] => [...acked].sort(([a], [b]) => a - b).map(([id, b]) => `${id} ${b}`);

/** A new data directory holding `backup` as its store, as docs/DEPLOY.md restores one. */
function restoreInto(backup: string): string {
  const dir = join(tempDir(), 'restored');
  mkdirSync(dir);
  copyFileSync(backup, join(dir, 'slck.db'));
  return dir;
}

/**
 * Raw lines on the control socket, as `echo … | socat - UNIX-CONNECT:…` sends them: writes
 * `data`, shuts this side, and returns everything that came back before the server closed.
 */
function askSocket(socketPath: string, data: string): Promise<string> {
  return new Promise((ok, fail) => {
    const s = net.connect(socketPath);
    let text = '';
    s.setEncoding('utf8');
    s.on('connect', () => s.end(data));
    s.on('data', (chunk: string) => (text += chunk));
    s.on('close', () => ok(text));
    s.on('error', fail);
  });
}

/** Resolves once `done()` holds; a condition, not a time: the timeout only ends a hung test. */
async function until(done: () => boolean, what: string, server: ServerProcess): Promise<void> {
  for (const deadline = Date.now() + 20_000; !done(); await new Promise((ok) => setTimeout(ok, 20))) {
    if (Date.now() > deadline) throw new Error(`no ${what}\nstdout:\n${server.stdout()}\nstderr:\n${server.stderr()}`);
  }
}

const BACKED_UP = /^Backed up (\S+) to (\S+): (\d+) bytes \([\d.]+ MB\), by (.+), in [\d.]+ s\.\n$/;

describe('npm run backup', () => {
  it('copies the store while the server is written to; the copy restores every acknowledged message, user, session and read mark', async () => {
    const dataDir = tempDir();
    const server = await start(dataDir);
    const jane = await connect(server, 'REG @jane s3cret-pass');
    await jane.ok('JOIN #general');
    const [, token] = (await jane.ok('TOKEN')).split(' ');
    const kim = await connect(server, 'REG @kim');
    await kim.ok('JOIN #general');
    // A few megabytes, so that the copy takes many steps of the event loop (bodies short
    // enough for the test client to show whole).
    const general = await sendAll(jane, '#general', Array.from({ length: 6000 }, (_, i) => `before ${i} ${'x'.repeat(250)}`));
    const dm = await sendAll(jane, '@kim', ['psst, kim']);
    expect(await kim.ok('READ #general 5800')).toBe('OK');
    kim.drain();

    const before = asLines(general);
    const file = join(tempDir(), 'slck-backup.db');
    const backup = backupCommand([file, '--data-dir', dataDir], 'npm');
    let done = false;
    void backup.then(() => (done = true));
    // Kim goes on writing, one message at a time, until the command has finished.
    for (let i = 0; !done; i++) {
      const [, id] = (await kim.ok(msg('#general', `during ${i}`))).split(' ');
      general.set(Number(id), `during ${i}`);
    }
    const run = await backup;
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const [, store, to, bytes, by] = BACKED_UP.exec(run.stdout) ?? [];
    expect([store, to, by]).toEqual([join(dataDir, 'slck.db'), file, 'the running server']);
    expect(statSync(file).size).toBe(Number(bytes));
    expect(statSync(file).mode & 0o777).toBe(0o600); // it holds password and token hashes
    expect(readdirSync(join(file, '..'))).toEqual(['slck-backup.db']); // no partial file left
    await stop(server);

    const restored = await start(restoreInto(file));
    const wrong = await connect(restored);
    expect((await wrong.cmd('REG @jane guessed-pass'))[0]).toMatch(/^ERR /);
    const janeBack = await connect(restored, 'REG @jane s3cret-pass');
    // Everything acknowledged before the backup started is there; what came during it may
    // be or not, but the copy is always a prefix of what was acknowledged, never a hole.
    const history = await wholeHistory(janeBack, '#general');
    const acked = asLines(general);
    expect(history.length).toBeGreaterThanOrEqual(before.length);
    expect(history).toEqual(acked.slice(0, history.length));
    expect(await wholeHistory(janeBack, '@kim')).toEqual(asLines(dm));
    const kimBack = await connect(restored, 'REG @kim');
    const unread = (await kimBack.cmd('UNREAD')).filter((l) => l.startsWith('UNREAD #general'));
    const [, , count, , readId, lastId] = unread[0].split(' ');
    expect(Number(readId)).toBe(5800);
    expect(Number(lastId)).toBe(Number(history[history.length - 1].split(' ')[0]));
    // Unread: what others (jane) posted after the mark; kim's own messages do not count.
    const id = (line: string) => Number(line.split(' ')[0]);
    expect(Number(count)).toBe(history.filter((l) => id(l) > 5800 && !/^\d+ during /.test(l)).length);
    // The session: the token signs in without the password, and ids go on from the copy's.
    const resumed = await connect(restored, `RESUME @jane ${token}`);
    expect((await resumed.ok(msg('#general', 'resumed on the restored store'))).split(' ')[1]).toBe(String(Number(lastId) + 1));
  }, 180_000);

  it('copies the store of a stopped server itself', async () => {
    const dataDir = tempDir();
    const server = await start(dataDir);
    const jane = await connect(server, 'REG @jane s3cret-pass');
    await jane.ok('JOIN #dev');
    const [, token] = (await jane.ok('TOKEN')).split(' ');
    const dev = await sendAll(jane, '#dev', ['one', 'two', 'three']);
    await stop(server);
    expect(existsSync(join(dataDir, 'control.sock'))).toBe(false); // removed at shutdown

    const file = join(tempDir(), 'stopped.db');
    const run = await backupCommand([file, '--data-dir', dataDir]);
    expect(run.stderr).toBe('');
    expect(BACKED_UP.exec(run.stdout)?.[4]).toBe('this command (no server was running)');

    const restored = await start(restoreInto(file));
    const back = await connect(restored, `RESUME @jane ${token}`);
    expect(await wholeHistory(back, '#dev')).toEqual(asLines(dev));
  }, 120_000);

  it('after a server was killed: its stale socket answers nobody, the command copies the file, and the next server takes the socket', async () => {
    const dataDir = tempDir();
    const socket = join(dataDir, 'control.sock');
    const first = await start(dataDir);
    const jane = await connect(first, 'REG @jane');
    await jane.ok('JOIN #dev');
    const dev = await sendAll(jane, '#dev', ['kept through kill -9']);
    await stop(first, 'SIGKILL');
    expect(statSync(socket).isSocket()).toBe(true);

    const file = join(tempDir(), 'after-kill.db');
    const offline = await backupCommand([file, '--data-dir', dataDir]);
    expect(offline.stderr).toBe('');
    expect(BACKED_UP.exec(offline.stdout)?.[4]).toBe('this command (no server was running)');
    const restored = await start(restoreInto(file));
    expect(await wholeHistory(await connect(restored, 'REG @jane'), '#dev')).toEqual(asLines(dev));

    await start(dataDir); // the stale socket is replaced, not an obstacle
    const online = await backupCommand([file, '--data-dir', dataDir]);
    expect(BACKED_UP.exec(online.stdout)?.[4]).toBe('the running server');
  }, 120_000);

  it('says clearly what is wrong, and leaves nothing half-written', async () => {
    const dataDir = tempDir();
    const out = tempDir();
    const [noDir, noStore, usage] = await Promise.all([
      backupCommand([join(out, 'x.db'), '--data-dir', join(dataDir, 'missing')]),
      backupCommand([join(out, 'x.db'), '--data-dir', dataDir]),
      backupCommand([]),
    ]);
    expect([noDir.code, noDir.stderr]).toEqual([1, `slck backup: There is no data directory ${join(dataDir, 'missing')}; name the server's with --data-dir (or SLCK_DATA_DIR).\n`]);
    expect(noStore.code).toBe(1);
    expect(noStore.stderr).toMatch(/^slck backup: There is no SLCK store in .* \(no slck.db\)\. A PostgreSQL store is backed up with pg_dump/);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/^slck backup: name one backup file\.\n\nUsage: npm run backup -- <file> \[--data-dir DIR\]/);

    await start(dataDir);
    const cases: Array<[string, string]> = [
      [join(out, 'no-such-dir', 'x.db'), `slck backup: The directory ${join(out, 'no-such-dir')} does not exist; create it first, or choose another.\n`],
      [out, `slck backup: ${out} is a directory; give the backup a file name in it.\n`],
      [join(dataDir, 'slck.db'), `slck backup: ${join(dataDir, 'slck.db')} is the live store itself; choose another file.\n`],
    ];
    const runs = await Promise.all(cases.map(([file]) => backupCommand([file, '--data-dir', dataDir])));
    expect(runs.map((r) => [r.code, r.stdout, r.stderr])).toEqual(cases.map(([, said]) => [1, '', said]));
    expect(readdirSync(out)).toEqual([]);
  }, 120_000);
});

describe('the control socket', () => {
  it('is 0600, answers a bad request with ERR and goes on, and bounds the line', async () => {
    const dataDir = tempDir();
    const server = await start(dataDir);
    const socket = join(dataDir, 'control.sock');
    expect(statSync(socket).mode & 0o777).toBe(0o600);
    const file = join(tempDir(), 'by-hand.db');
    // Several requests on one connection, answered one by one, in order, the last after the
    // client has shut its side (and without its line end).
    const answers = (await askSocket(socket, `HELLO\nBACKUP relative.db\nBACKUP \nBACKUP ${file}`)).split('\n');
    expect(answers).toEqual([
      'ERR Unknown request; the one request is BACKUP <absolute path>.',
      'ERR The backup file must be an absolute path, not relative.db.',
      'ERR Unknown request; the one request is BACKUP <absolute path>.',
      `OK ${statSync(file).size}`,
      '',
    ]);
    expect(await askSocket(socket, `BACKUP /${'a'.repeat(5000)}\nBACKUP ${file}\n`)).toBe('ERR A request is one line of at most 4200 bytes.\n');

    // The chat goes on.
    const jane = await connect(server, 'REG @jane');
    expect(await jane.ok('JOIN #general')).toBe('OK');
  }, 60_000);

  it('cannot bind under a data directory whose path is too long: the server serves without it, and the command says why', async () => {
    const dataDir = join(tempDir(), 'd'.repeat(100));
    const server = await start(dataDir);
    await until(() => server.stdout().includes('no online backups: The control socket'), 'the log line', server); // the log is written asynchronously
    expect(existsSync(join(dataDir, 'control.sock'))).toBe(false);
    const jane = await connect(server, 'REG @jane');
    expect(await jane.ok('JOIN #general')).toBe('OK');

    const run = await backupCommand([join(tempDir(), 'x.db'), '--data-dir', dataDir]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`slck backup: ${join(dataDir, 'slck.db')} is held by a running server, and it could not be asked for the backup: ` +
      `The control socket ${join(dataDir, 'control.sock')} is ${Buffer.byteLength(join(dataDir, 'control.sock'))} bytes long`);
  }, 60_000);
});
