import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { stopProcess } from './server';

export const REPO_ROOT = resolve(import.meta.dirname, '../../..');

export interface RunningHost {
  /** The printed URL, with the launch secret in its fragment (what a user opens). */
  url: string;
  /** http://127.0.0.1:PORT (no fragment) */
  origin: string;
  /** This launch's secret (the WebSocket subprotocol k.<secret>). */
  secret: string;
  dataDir: string;
  process: ChildProcess;
  output: () => string;
  stop(): Promise<void>;
}

/** Starts `src/main/host/main.ts` on a free port with a fresh data dir and waits for its URL line. */
export async function startHost(options: { dataDir?: string; args?: string[]; env?: Record<string, string> } = {}): Promise<RunningHost> {
  const dir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'veridesk-host-')));
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main/host/main.ts', '--port', '0', '--data-dir', dir, ...(options.args ?? [])], {
    cwd: REPO_ROOT,
    env: { ...process.env, VERIDESK_LOG_LEVEL: 'warn', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const url = await new Promise<string>((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error(`host did not start:\n${output}`)), 60_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /VeriDesk host: (http:\/\/\S+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolveUrl(match[1]!);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('exit', (code) => reject(new Error(`host exited with ${code}:\n${output}`)));
  });
  const parsed = new URL(url);
  return {
    url,
    origin: parsed.origin,
    secret: /k=([A-Za-z0-9_-]+)/.exec(parsed.hash)?.[1] ?? '',
    dataDir: dir,
    process: child,
    output: () => output,
    stop: () => stopProcess(child, 'SIGTERM', 'host', () => output),
  };
}
