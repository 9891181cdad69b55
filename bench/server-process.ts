import { spawn, type ChildProcess } from 'node:child_process';

export type ServerProcess = { proc: ChildProcess; port: number; stop(): Promise<void> };

/**
 * The server (`gateway/main.ts` of the checkout at `root`) in a child process, started with
 * `flags`; resolves with the TCP port it prints once it listens. stop() sends SIGTERM and
 * waits for the exit (SIGKILL after 10 s); if this process exits first, the child is killed.
 */
export async function startServerProcess(root: string, flags: string[]): Promise<ServerProcess> {
  const proc = spawn(process.execPath, ['--import', 'tsx', 'gateway/main.ts', ...flags], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  const orphan = () => proc.kill('SIGKILL');
  process.once('exit', orphan);
  let out = '';
  const port = await new Promise<number>((resolve, reject) => {
    proc.stdout!.setEncoding('utf8').on('data', (s: string) => {
      out += s;
      const m = /telnet:\s+telnet \S+ (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    proc.once('exit', (code) => reject(new Error(`server exited (${code}) before listening:\n${out}`)));
  });
  proc.stdout!.resume();
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  return {
    proc,
    port,
    async stop() {
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
      process.off('exit', orphan);
    },
  };
}
