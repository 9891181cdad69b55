import { spawn, type ChildProcess } from 'node:child_process';

export type ServerProcess = { proc: ChildProcess; port: number; stop(): Promise<number | null> };

/**
 * The server (`gateway/main.ts` of the checkout at `root`) in a child process, started with
 * `flags` (and `nodeFlags` for node itself, a CPU profile say); resolves with the TCP port it
 * prints once it listens. stop() sends SIGTERM and gives the exit code once it has exited
 * (SIGKILL after 10 s); if this process exits first, the child is killed.
 */
export async function startServerProcess(root: string, flags: string[], nodeFlags: string[] = []): Promise<ServerProcess> {
  const proc = spawn(process.execPath, [...nodeFlags, '--import', 'tsx', 'gateway/main.ts', ...flags], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
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
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  return {
    proc,
    port,
    async stop() {
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
      const code = await exited;
      clearTimeout(timer);
      process.off('exit', orphan);
      return code;
    },
  };
}
