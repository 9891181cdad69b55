import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { FromWorker, ToWorker } from './protocol.ts';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A forked worker and a way to await its next message of a given type. */
export class Worker {
  readonly proc: ChildProcess;
  private readonly inbox: FromWorker[] = [];
  private wake: (() => void) | null = null;
  private dead: Error | null = null;

  constructor(cpuProfDir?: string) {
    const execArgv = ['--import', 'tsx'];
    if (cpuProfDir) execArgv.push('--cpu-prof', '--cpu-prof-dir', join(cpuProfDir, 'workers'));
    this.proc = fork(join(import.meta.dirname, 'worker.ts'), [], { execArgv, stdio: 'inherit' });
    this.proc.on('message', (m: FromWorker) => {
      this.inbox.push(m);
      this.wake?.();
    });
    this.proc.on('exit', (code) => {
      this.dead = new Error(`load worker exited (${code})`);
      this.wake?.();
    });
  }

  send(m: ToWorker): void {
    this.proc.send(m);
  }

  /** The worker's next message of this type; every phase has a deadline, so a run always ends. */
  async next<T extends FromWorker['type']>(type: T, timeoutMs = 120_000): Promise<Extract<FromWorker, { type: T }>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.inbox.findIndex((m) => m.type === type || m.type === 'fatal');
      if (i >= 0) {
        const m = this.inbox.splice(i, 1)[0];
        if (m.type === 'fatal') throw new Error(`load worker failed: ${m.message}`);
        return m as Extract<FromWorker, { type: T }>;
      }
      if (this.dead) throw this.dead;
      if (Date.now() >= deadline) throw new Error(`load worker sent no '${type}' within ${timeoutMs / 1000} s`);
      await new Promise<void>((r) => {
        this.wake = r;
        setTimeout(r, deadline - Date.now()).unref();
      });
      this.wake = null;
    }
  }

  async close(): Promise<void> {
    if (this.proc.exitCode !== null || !this.proc.connected) return;
    const exited = new Promise((r) => this.proc.once('exit', r));
    this.send({ type: 'close' });
    await Promise.race([exited, sleep(5_000)]);
    if (this.proc.exitCode === null) this.proc.kill('SIGKILL');
  }
}

