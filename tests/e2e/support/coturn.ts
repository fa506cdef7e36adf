import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { freePort } from './ports';

export const TURNSERVER = process.env.TURNSERVER_PATH ?? '/usr/bin/turnserver';

export interface RunningTurn {
  /** ICE URL for the server's VERIDESK_TURN_URLS. */
  url: string;
  secret: string;
  process: ChildProcess;
  output: () => string;
  stop(): Promise<void>;
}

export function turnAvailable(): boolean {
  return spawnSync(TURNSERVER, ['--help'], { stdio: 'ignore' }).error === undefined;
}

/**
 * Debian's coturn on loopback with the TURN REST scheme (`use-auth-secret`): the secret is shared with
 * the VeriDesk server, which hands out short-lived HMAC credentials. Loopback peers must be allowed
 * explicitly because both Chromium instances relay to each other over 127.0.0.1.
 */
export async function startTurn(): Promise<RunningTurn> {
  const port = await freePort();
  const secret = randomBytes(24).toString('hex');
  const minPort = 40000 + Math.floor(Math.random() * 20000);
  const child = spawn(
    TURNSERVER,
    [
      '-n',
      '--verbose', // logs each ALLOCATE with its user name: the test checks the server-issued credential was used
      '--listening-ip=127.0.0.1',
      '--relay-ip=127.0.0.1',
      `--listening-port=${port}`,
      `--min-port=${minPort}`,
      `--max-port=${minPort + 200}`,
      '--use-auth-secret',
      `--static-auth-secret=${secret}`,
      '--realm=veridesk.test',
      '--allow-loopback-peers',
      '--no-cli',
      '--no-tls',
      '--no-dtls',
      '--fingerprint',
      '--log-file=stdout',
      '--simple-log',
      '--pidfile=',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  await waitForUdpListener(port, () => output, child);
  return {
    url: `turn:127.0.0.1:${port}?transport=udp`,
    secret,
    process: child,
    output: () => output,
    stop: () =>
      new Promise<void>((done) => {
        if (child.exitCode !== null || child.signalCode !== null) return done();
        child.once('exit', () => done());
        child.kill('SIGTERM');
      }),
  };
}

/** Sends a STUN binding request until coturn answers, so tests never race its start-up. */
async function waitForUdpListener(port: number, output: () => string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 15_000;
  const request = Buffer.alloc(20);
  request.writeUInt16BE(0x0001, 0); // Binding Request
  request.writeUInt16BE(0, 2);
  request.writeUInt32BE(0x2112a442, 4); // magic cookie
  randomBytes(12).copy(request, 8);
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`turnserver exited with ${child.exitCode}:\n${output()}`);
    const answered = await new Promise<boolean>((resolve) => {
      const socket = createSocket('udp4');
      const timer = setTimeout(() => {
        socket.close();
        resolve(false);
      }, 300);
      socket.once('message', () => {
        clearTimeout(timer);
        socket.close();
        resolve(true);
      });
      socket.send(request, port, '127.0.0.1');
    });
    if (answered) return;
  }
  throw new Error(`turnserver did not answer on udp ${port}:\n${output()}`);
}
