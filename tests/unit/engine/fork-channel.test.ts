/**
 * forkChannel (main's side) and parentPort (the engine process's side) with a real child process: a stand-in
 * engine (fixtures/echo-engine.ts, on the real parent-port.ts under tsx) that echoes requests back.
 */
import { execFile, spawn } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { EngineChannel, EngineExit, EngineLaunch } from '../../../src/main/engine/process/channel';
import { forkChannel } from '../../../src/main/engine/process/fork-channel';
import { parentPort } from '../../../src/main/engine/process/parent-port';
import type { EngineReply, ImageRequest } from '../../../src/main/engine/protocol';

const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
const echoEngine = fixture('echo-engine.ts');
const launch = (modulePath = echoEngine): EngineLaunch => ({ modulePath, execArgv: ['--import', tsx], env: { ...process.env } });

const open: EngineChannel[] = [];
afterEach(() => {
  for (const c of open.splice(0)) c.kill();
});

function start(l: EngineLaunch = launch()) {
  const channel = forkChannel(l);
  open.push(channel);
  const messages: EngineReply[] = [];
  const exits: EngineExit[] = [];
  channel.onMessage((m) => messages.push(m));
  channel.onExit((e) => exits.push(e));
  const next = (predicate: (m: EngineReply) => boolean, timeoutMs = 20_000) =>
    vi.waitFor(
      () => {
        const found = messages.find(predicate);
        if (!found) throw new Error('no such message yet');
        return found;
      },
      { timeout: timeoutMs, interval: 10 },
    );
  const exited = () =>
    vi.waitFor(
      () => {
        if (exits.length === 0) throw new Error('still running');
        return exits[0]!;
      },
      { timeout: 20_000, interval: 10 },
    );
  return { channel, messages, exits, next, exited, ready: () => next((m) => m.type === 'ready') };
}

/** Gone, or a zombie nobody reaped (PID 1 in a container may not): either way it runs no more. */
function alive(pid: number): boolean {
  const stat = `/proc/${pid}/stat`;
  if (existsSync('/proc/self/stat')) {
    if (!existsSync(stat)) return false;
    try {
      const state = readFileSync(stat, 'utf8').replace(/^.*\)\s*/s, '')[0];
      return state !== 'Z' && state !== 'X';
    } catch {
      return false;
    }
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const settle = (ms = 150) => new Promise((r) => setTimeout(r, ms));

describe('forkChannel', () => {
  it('carries messages both ways; a 1.2 MB Uint8Array arrives byte-equal and still a Uint8Array', async () => {
    const { channel, next, ready } = start();
    expect(channel.pid).toBeGreaterThan(0);
    await ready();
    const bytes = randomFillSync(new Uint8Array(1_200_000));
    const request: ImageRequest = { type: 'image', id: 7, bytes };
    channel.send(request);
    const echoed = (await next((m) => (m as unknown as ImageRequest).id === 7)) as unknown as ImageRequest;
    expect(echoed.type).toBe('image');
    expect(echoed.bytes).toBeInstanceOf(Uint8Array);
    expect(echoed.bytes.byteLength).toBe(bytes.byteLength);
    expect(Buffer.compare(Buffer.from(echoed.bytes), Buffer.from(bytes))).toBe(0);
  });

  it('keeps the order of many messages', async () => {
    const { channel, messages, ready, next } = start();
    await ready();
    for (let id = 0; id < 200; id++) channel.send({ type: 'image', id, bytes: new Uint8Array([id & 0xff]) });
    await next((m) => (m as unknown as ImageRequest).id === 199);
    const ids = messages.filter((m) => (m as unknown as ImageRequest).type === 'image').map((m) => (m as unknown as ImageRequest).id);
    expect(ids).toEqual([...Array(200).keys()]);
  });

  it('reports a native abort once, as SIGABRT; send() afterwards does not throw', async () => {
    const { channel, exits, ready, exited } = start();
    await ready();
    channel.send({ type: 'abort' });
    expect(await exited()).toEqual({ code: null, signal: 'SIGABRT' });
    expect(() => channel.send({ type: 'release', streamId: 's' })).not.toThrow();
    expect(() => channel.kill()).not.toThrow();
    await settle();
    expect(exits).toHaveLength(1);
  });

  it('kill() ends it with SIGKILL, once; send() right after kill and after exit is a no-op', async () => {
    const { channel, exits, ready, exited } = start();
    await ready();
    const pid = channel.pid!;
    channel.kill();
    expect(() => channel.send({ type: 'release', streamId: 's' })).not.toThrow();
    expect(await exited()).toEqual({ code: null, signal: 'SIGKILL' });
    expect(alive(pid)).toBe(false);
    channel.kill();
    expect(() => channel.send({ type: 'image', id: 1, bytes: new Uint8Array(10) })).not.toThrow();
    // a listener that comes late still hears about it, once
    const late: EngineExit[] = [];
    channel.onExit((e) => late.push(e));
    await settle();
    expect(exits).toHaveLength(1);
    expect(late).toEqual([{ code: null, signal: 'SIGKILL' }]);
  });

  it('a module that cannot be loaded exits with a code (no signal)', async () => {
    const { exited, messages } = start(launch(fixture('no-such-engine.ts')));
    const exit = await exited();
    expect(exit.signal).toBeNull();
    expect(exit.code).not.toBe(0);
    expect(messages).toEqual([]);
  });
});

describe('forkChannel when the process cannot be started at all', () => {
  afterEach(() => {
    vi.doUnmock('node:child_process');
    vi.resetModules();
  });

  it("reports an 'error' before spawn as an exit with code null / signal null, once", async () => {
    const fake = Object.assign(new EventEmitter(), { pid: undefined, connected: false, send: vi.fn(), kill: vi.fn() });
    vi.resetModules();
    vi.doMock('node:child_process', () => ({ fork: vi.fn(() => fake) }));
    const { forkChannel: mockedFork } = await import('../../../src/main/engine/process/fork-channel');
    const channel = mockedFork(launch());
    const exits: EngineExit[] = [];
    channel.onExit((e) => exits.push(e));
    fake.emit('error', Object.assign(new Error('spawn ENOENT'), { code: 'ENOENT' }));
    fake.emit('close', -2, null);
    expect(exits).toEqual([{ code: null, signal: null }]);
    expect(channel.pid).toBeUndefined();
    expect(() => channel.send({ type: 'abort' })).not.toThrow();
    expect(fake.send).not.toHaveBeenCalled();
    channel.kill();
    expect(fake.kill).not.toHaveBeenCalled();
  });

  it('a fork() that throws synchronously becomes an exit too', async () => {
    vi.resetModules();
    vi.doMock('node:child_process', () => ({
      fork: vi.fn(() => {
        throw new TypeError('bad arguments');
      }),
    }));
    const { forkChannel: mockedFork } = await import('../../../src/main/engine/process/fork-channel');
    const channel = mockedFork(launch());
    const exits: EngineExit[] = [];
    channel.onExit((e) => exits.push(e));
    await settle(10);
    expect(exits).toEqual([{ code: null, signal: null }]);
  });
});

describe('parentPort (the engine process side)', () => {
  it('exits when its fork parent disconnects', async () => {
    // child_process directly, so the test can disconnect as a dying parent would
    const { fork } = await import('node:child_process');
    const child = fork(echoEngine, [], { execArgv: ['--import', tsx], serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    try {
      await new Promise<void>((resolve, reject) => {
        child.once('message', () => resolve());
        child.once('exit', () => reject(new Error('exited before ready')));
      });
      const exit = new Promise<[number | null, string | null]>((resolve) => child.once('exit', (code, signal) => resolve([code, signal])));
      child.disconnect();
      expect(await exit).toEqual([0, null]);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('exits when its parent is SIGKILLed (no orphan engine)', async () => {
    const parent = spawn(process.execPath, ['--import', tsx, fixture('engine-parent.ts'), echoEngine], { stdio: ['ignore', 'pipe', 'inherit'] });
    let enginePid = 0;
    try {
      let out = '';
      parent.stdout.setEncoding('utf8');
      parent.stdout.on('data', (chunk: string) => (out += chunk));
      enginePid = await vi.waitFor(
        () => {
          const m = /\{"engine":(\d+)\}/.exec(out);
          if (!m) throw new Error('engine not ready yet');
          return Number(m[1]);
        },
        { timeout: 20_000, interval: 20 },
      );
      expect(alive(enginePid)).toBe(true);
      parent.kill('SIGKILL');
      await vi.waitFor(
        () => {
          if (alive(enginePid)) throw new Error('engine still running');
        },
        { timeout: 10_000, interval: 20 },
      );
    } finally {
      parent.kill('SIGKILL');
      if (enginePid && alive(enginePid)) process.kill(enginePid, 'SIGKILL');
    }
  });

  it('refuses to run without a parent, with a message that says how to start it', async () => {
    const result = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      // execFile: no IPC channel, no Electron parentPort
      const child = execFile(process.execPath, ['--import', tsx, echoEngine], { timeout: 20_000 }, (error, _stdout, stderr) =>
        resolve({ code: error ? (child.exitCode ?? 1) : 0, stderr }),
      );
    });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/no parent to talk to.*utilityProcess or child_process\.fork/);
  });

  it('in an Electron utility process: messages come as { data } events and go out through postMessage', () => {
    const events = new EventEmitter();
    const posted: unknown[] = [];
    const fakePort = { on: (event: 'message', l: (e: { data: unknown }) => void) => events.on(event, l), postMessage: (m: unknown) => posted.push(m) };
    const proc = process as unknown as { parentPort?: unknown };
    proc.parentPort = fakePort;
    try {
      const port = parentPort();
      const received: unknown[] = [];
      port.onMessage((m) => received.push(m));
      const pixels = new Uint8Array([1, 2, 3]);
      events.emit('message', { data: { type: 'frame', streamId: 's', pixels } });
      expect(received).toEqual([{ type: 'frame', streamId: 's', pixels }]);
      port.send({ type: 'imageError', id: 1, code: 'CORRUPT_INPUT', message: 'x' });
      expect(posted).toEqual([{ type: 'imageError', id: 1, code: 'CORRUPT_INPUT', message: 'x' }]);
      fakePort.postMessage = () => {
        throw new Error('port closed');
      };
      expect(() => port.send({ type: 'imageError', id: 2, code: 'INTERNAL', message: 'y' })).not.toThrow();
    } finally {
      delete proc.parentPort;
    }
  });
});
