/**
 * Background CPU load for benchmarks (`--load N`): N child processes, each burning one core in a tight loop until
 * stopped. Children are plain `node -e` (process.execPath), separate from the process being measured.
 */
import { spawn, type ChildProcess } from 'node:child_process';

export interface BusyLoad {
  /** Kills the children and resolves once every one of them has exited. */
  stop(): Promise<void>;
  /** Resolves once every child has started. */
  ready: Promise<void>;
  pids: number[];
}

const BURN = 'let x = 0; for (;;) { x = (x * 1103515245 + 12345) | 0; }';

export function startBusyLoad(cores: number): BusyLoad {
  if (!Number.isInteger(cores) || cores < 0) throw new Error(`startBusyLoad: cores must be a non-negative integer, got ${cores}`);
  const children: ChildProcess[] = [];
  const exited: Array<Promise<void>> = [];
  const started: Array<Promise<void>> = [];
  for (let i = 0; i < cores; i++) {
    const child = spawn(process.execPath, ['-e', BURN], { stdio: 'ignore' });
    children.push(child);
    exited.push(
      new Promise<void>((done) => {
        child.once('exit', () => done());
        child.once('error', () => done());
      }),
    );
    started.push(
      new Promise<void>((done, fail) => {
        child.once('spawn', () => done());
        child.once('error', fail);
      }),
    );
  }
  // Never leave a burner behind if the parent exits without calling stop().
  const killAll = () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  };
  process.once('exit', killAll);
  let stopping: Promise<void> | undefined;
  return {
    pids: children.map((c) => c.pid ?? -1),
    ready: Promise.all(started).then(() => undefined),
    stop() {
      stopping ??= (async () => {
        process.off('exit', killAll);
        killAll();
        await Promise.all(exited);
      })();
      return stopping;
    },
  };
}
