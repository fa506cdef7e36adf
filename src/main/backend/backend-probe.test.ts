import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { BackendProbe } from './backend-probe';

let server: Server | undefined;
afterEach(() => new Promise<void>((done) => (server ? server.close(() => done()) : done())));

function serve(status: number): Promise<string> {
  server = createServer((request, response) => {
    response.statusCode = request.url === '/health' ? status : 404;
    response.end('{}');
  });
  return new Promise((resolve) => server!.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server!.address() as AddressInfo).port}`)));
}

describe('BackendProbe', () => {
  it('reports connected when /health answers 2xx, and only reports changes', async () => {
    const url = await serve(200);
    const onChange = vi.fn();
    const probe = new BackendProbe({ url: () => url, onChange });
    expect((await probe.check()).state).toBe('connected');
    await probe.check();
    expect(onChange).toHaveBeenCalledTimes(1);
  });

  it('reports unreachable with the HTTP status or the network error', async () => {
    const url = await serve(503);
    const probe = new BackendProbe({ url: () => url, onChange: () => undefined });
    expect(await probe.check()).toMatchObject({ state: 'unreachable', detail: 'HTTP 503' });
    const closed = new BackendProbe({ url: () => 'http://127.0.0.1:1', onChange: () => undefined });
    expect((await closed.check()).state).toBe('unreachable');
  });
});
