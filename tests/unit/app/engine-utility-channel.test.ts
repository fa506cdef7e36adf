/** utilityChannel maps Electron's utilityProcess onto EngineChannel (electron mocked: the binary is not here). */
import { EventEmitter } from 'node:events';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { EngineExit, EngineLaunch } from '../../../src/main/engine/process/channel';
import type { EngineReply } from '../../../src/main/engine/protocol';

class FakeUtilityProcess extends EventEmitter {
  pid: number | undefined = undefined;
  postMessage = vi.fn();
  kill = vi.fn(() => true);
}

const electron = vi.hoisted(() => ({ children: [] as unknown[], forkError: null as Error | null }));
vi.mock('electron', () => ({
  utilityProcess: {
    fork: vi.fn(() => {
      if (electron.forkError) throw electron.forkError;
      const child = new FakeUtilityProcess();
      electron.children.push(child);
      return child;
    }),
  },
}));

const { utilityProcess } = await import('electron');
const { utilityChannel } = await import('../../../src/main/app/engine-utility-channel');

const launch: EngineLaunch = { modulePath: '/app/out/main/engine-process.js', execArgv: ['--max-old-space-size=2048'], env: { VERIDESK_EP: 'cpu' } };
const lastChild = () => electron.children.at(-1) as FakeUtilityProcess;

beforeEach(() => {
  electron.children.length = 0;
  electron.forkError = null;
  vi.mocked(utilityProcess.fork).mockClear();
});

describe('utilityChannel', () => {
  it('forks the module with its execArgv, env and a service name', () => {
    utilityChannel(launch);
    expect(utilityProcess.fork).toHaveBeenCalledTimes(1);
    expect(utilityProcess.fork).toHaveBeenCalledWith('/app/out/main/engine-process.js', [], {
      execArgv: ['--max-old-space-size=2048'],
      env: { VERIDESK_EP: 'cpu' },
      serviceName: 'VeriDesk face engine',
      stdio: 'inherit',
    });
  });

  it('relays messages both ways, pixels untouched', () => {
    const channel = utilityChannel(launch);
    const child = lastChild();
    const got: EngineReply[] = [];
    channel.onMessage((m) => got.push(m));
    const ready: EngineReply = { type: 'ready', provider: 'cpu', modelSha256: {}, probes: [] };
    child.emit('message', ready);
    expect(got).toEqual([ready]);
    const bytes = new Uint8Array([1, 2, 3, 4]);
    channel.send({ type: 'image', id: 1, bytes });
    expect(child.postMessage).toHaveBeenCalledTimes(1);
    expect(child.postMessage.mock.calls[0]![0]).toEqual({ type: 'image', id: 1, bytes });
    expect(child.postMessage.mock.calls[0]![0].bytes).toBe(bytes);
  });

  it('reports the pid once spawned, and keeps it for diagnostics after the exit', () => {
    const channel = utilityChannel(launch);
    const child = lastChild();
    expect(channel.pid).toBeUndefined();
    child.pid = 4242;
    child.emit('spawn');
    expect(channel.pid).toBe(4242);
    child.pid = undefined;
    child.emit('exit', 0);
    expect(channel.pid).toBe(4242);
  });

  it('fires onExit once with the code (a crash is a non-zero code, no signal); later messages and sends go nowhere', async () => {
    const channel = utilityChannel(launch);
    const child = lastChild();
    const exits: EngineExit[] = [];
    const got: EngineReply[] = [];
    channel.onExit((e) => exits.push(e));
    channel.onMessage((m) => got.push(m));
    child.emit('exit', 11);
    child.emit('exit', 11);
    child.emit('message', { type: 'frameError', streamId: 's', capturedAt: 1, message: 'late' });
    expect(exits).toEqual([{ code: 11, signal: null }]);
    expect(got).toEqual([]);
    expect(() => channel.send({ type: 'abort' })).not.toThrow();
    expect(child.postMessage).not.toHaveBeenCalled();
    channel.kill();
    expect(child.kill).not.toHaveBeenCalled();
    const late: EngineExit[] = [];
    channel.onExit((e) => late.push(e));
    await Promise.resolve();
    expect(late).toEqual([{ code: 11, signal: null }]);
  });

  it('kill() calls child.kill(); the exit that follows is reported', () => {
    const channel = utilityChannel(launch);
    const child = lastChild();
    const exits: EngineExit[] = [];
    channel.onExit((e) => exits.push(e));
    channel.kill();
    expect(child.kill).toHaveBeenCalledTimes(1);
    child.emit('exit', 0);
    expect(exits).toEqual([{ code: 0, signal: null }]);
  });

  it('send() does not throw when postMessage does (the process is going away)', () => {
    const channel = utilityChannel(launch);
    lastChild().postMessage.mockImplementation(() => {
      throw new Error('process gone');
    });
    expect(() => channel.send({ type: 'abort' })).not.toThrow();
  });

  it('a fork that throws (e.g. before app ready) becomes an exit with code and signal null', async () => {
    electron.forkError = new Error('utilityProcess cannot be forked before app is ready');
    const channel = utilityChannel(launch);
    const exits: EngineExit[] = [];
    channel.onExit((e) => exits.push(e));
    await Promise.resolve();
    expect(exits).toEqual([{ code: null, signal: null }]);
    expect(channel.pid).toBeUndefined();
    expect(() => channel.send({ type: 'abort' })).not.toThrow();
    expect(() => channel.kill()).not.toThrow();
  });
});
