import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from './host';
import { freePort, waitForHttp } from './ports';

const run = promisify(execFile);

export interface ServerConfig {
  /** Data folder (PGlite lives in <dataDir>/pglite); ignored for the database when databaseUrl is set. */
  dataDir?: string;
  databaseUrl?: string;
  port?: number;
  /** Extra environment, e.g. the TURN settings. */
  env?: Record<string, string>;
}

export interface RunningServer {
  url: string;
  port: number;
  dataDir: string;
  process: ChildProcess;
  output: () => string;
  /** SIGTERM (or SIGKILL) and wait for the exit. */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Starts the same server again (same port, data and database), e.g. after a restart test. */
  restart(): Promise<RunningServer>;
}

function serverEnv(config: Required<Pick<ServerConfig, 'dataDir'>> & ServerConfig, port: number): NodeJS.ProcessEnv {
  return {
    ...process.env,
    VERIDESK_LOG_LEVEL: 'warn',
    VERIDESK_SERVER_DATA: config.dataDir,
    VERIDESK_PUBLIC_URL: `http://127.0.0.1:${port}`,
    VERIDESK_JOIN_PAGE_DIR: join(REPO_ROOT, 'out/join'),
    DATABASE_URL: config.databaseUrl ?? '',
    ...config.env,
  };
}

/** Starts `server/main.ts` (the real backend: sync API, signaling, join page) on loopback and waits for /health. */
export async function startServer(config: ServerConfig = {}): Promise<RunningServer> {
  const dataDir = config.dataDir ?? (await mkdtemp(join(tmpdir(), 'veridesk-server-')));
  const port = config.port ?? (await freePort());
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts', 'serve', '--port', String(port), '--host', '127.0.0.1'], {
    cwd: REPO_ROOT,
    env: serverEnv({ ...config, dataDir }, port),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  const url = `http://127.0.0.1:${port}`;
  const exited = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`server exited with ${code}:\n${output}`))));
  await Promise.race([waitForHttp(`${url}/health`, 60_000, () => output), exited]);
  exited.catch(() => undefined);
  const running: RunningServer = {
    url,
    port,
    dataDir,
    process: child,
    output: () => output,
    stop: (signal = 'SIGTERM') => stopProcess(child, signal, 'server', () => output),
    restart: () => startServer({ ...config, dataDir, port }),
  };
  return running;
}

/** Creates an API token with the server's own CLI (as an operator would). */
export async function createServerToken(config: ServerConfig & { dataDir: string }, name: string, role: 'workstation' | 'lead' | 'channel' = 'workstation'): Promise<string> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', 'server/main.ts', 'token', 'create', '--name', name, '--role', role], {
    cwd: REPO_ROOT,
    env: serverEnv(config, 0),
  });
  const token = /vd_[A-Za-z0-9_-]+/.exec(stdout)?.[0];
  if (!token) throw new Error(`no token printed: ${stdout}`);
  return token;
}

/** Stops a child and waits for it; a graceful stop that takes over 15 s is a bug: report it, then SIGKILL. */
export function stopProcess(child: ChildProcess, signal: NodeJS.Signals, name: string, output: () => string): Promise<void> {
  return new Promise<void>((done, fail) => {
    if (child.exitCode !== null || child.signalCode !== null) return done();
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      fail(new Error(`${name} did not exit within 15 s of ${signal}:\n${output().slice(-4000)}`));
    }, 15_000);
    child.once('exit', () => {
      clearTimeout(timer);
      done();
    });
    child.kill(signal);
  });
}
