/**
 * `npm run stack`: the backend server and the workstation (headless host) on this machine, wired together,
 * so a person can call themselves: open the workstation, press 开始视频, open the join link in a second tab.
 *
 *   server       http://127.0.0.1:8787  (PGlite in .data/server; DATABASE_URL for PostgreSQL)
 *   workstation  http://127.0.0.1:5180  (case log in .data/host)
 *
 * The workstation's backend token is created once with the server's own CLI and kept in
 * .data/stack/workstation.token (0600); it goes to the workstation process only, never to a browser. A channel
 * token (.data/stack/channel.token) is made the same way, for handing customers over to the queue with curl.
 * Set VERIDESK_TURN_URLS + VERIDESK_TURN_SECRET for calls that must cross NATs (see docs/signaling.md).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const stackDir = join(root, '.data/stack');
const serverPort = process.env.PORT ?? '8787';
const publicUrl = process.env.VERIDESK_PUBLIC_URL ?? `http://127.0.0.1:${serverPort}`;
const tsx = (script: string, args: string[]) => [process.execPath, ['--import', 'tsx', script, ...args]] as const;

/**
 * A token made once with the server's own CLI and kept (0600) in .data/stack/<file>: PGlite is one process's
 * database, so every token is made before the server opens it.
 */
function stackToken(file: string, name: string, role: 'workstation' | 'channel'): string {
  const path = join(stackDir, file);
  if (existsSync(path)) return readFileSync(path, 'utf8').trim();
  mkdirSync(stackDir, { recursive: true });
  const [node, args] = tsx('server/main.ts', ['token', 'create', '--name', `${name}-${Date.now().toString(36)}`, '--role', role]);
  const token = execFileSync(node, [...args], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
  if (!/^vd_/.test(token)) throw new Error('the server CLI did not print a token');
  writeFileSync(path, `${token}\n`, { mode: 0o600 });
  return token;
}

const children: ChildProcess[] = [];
function start(label: string, script: string, args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  const [node, argv] = tsx(script, args);
  const child = spawn(node, [...argv], { cwd: root, env: { ...process.env, ...env }, stdio: 'inherit' });
  child.on('exit', (code, signal) => {
    console.error(`${label} stopped (${signal ?? code}); stopping the stack`);
    shutdown(code ?? 1);
  });
  children.push(child);
  return child;
}

let stopping = false;
function shutdown(code: number): void {
  if (stopping) return;
  stopping = true;
  for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
  setTimeout(() => process.exit(code), 1500).unref();
}
process.on('SIGINT', () => shutdown(0));
process.on('SIGTERM', () => shutdown(0));

const token = stackToken('workstation.token', 'workstation', 'workstation');
// a self-service channel's token, for handing customers over to the queue with curl (README "The customer queue")
stackToken('channel.token', 'channel', 'channel');
start('server', 'server/main.ts', ['serve', '--port', serverPort], { VERIDESK_PUBLIC_URL: publicUrl });
start('workstation', 'src/main/host/main.ts', ['--port', process.env.VERIDESK_HOST_PORT ?? '5180'], { VERIDESK_SYNC_TOKEN: token });
console.log(`
VeriDesk stack
  workstation  open the "VeriDesk host: http://127.0.0.1:${process.env.VERIDESK_HOST_PORT ?? '5180'}/#k=…" address the host prints
               (the #k=… part is this launch's key), press 开始视频 (Start video call)
  customer     open the join link it shows in a second browser tab (or scan the QR code)
  queue        签到 then 在线示闲 in the status bar, hand a customer over with the curl line in the README ("The customer
               queue"; the channel token is .data/stack/channel.token), open the joinUrl it answers, press Enter
  server       ${publicUrl}   (Ctrl+C stops both)
`);
