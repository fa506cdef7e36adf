/**
 * app:// serves the built renderer and nothing else: the URL-to-file rule for POSIX and Windows paths (path.posix
 * and path.win32 injected, so both run on any OS), MIME types, the handler's status codes and headers, a real
 * folder on disk with a secret beside it, and the two Electron calls (electron mocked: the binary is not here).
 */
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import nodePath from 'node:path';
import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

const electron = vi.hoisted(() => ({ registerSchemesAsPrivileged: vi.fn(), handle: vi.fn() }));
vi.mock('electron', () => ({ protocol: { registerSchemesAsPrivileged: electron.registerSchemesAsPrivileged } }));

const { APP_INDEX_URL, createAppProtocolHandler, mimeType, resolveAppRequest } = await import('../../../src/main/app/app-protocol');
const { registerAppScheme, serveAppScheme } = await import('../../../src/main/app/app-scheme');

const platforms = [
  { name: 'posix', path: nodePath.posix, root: '/opt/VeriDesk/resources/app.asar/out/renderer' },
  { name: 'win32', path: nodePath.win32, root: 'C:\\Program Files\\VeriDesk\\resources\\app.asar\\out\\renderer' },
] as const;

const TRAVERSALS = [
  'app://veridesk/..%2f..%2fetc/passwd',
  'app://veridesk/..%2F..%2F..%2Fetc%2Fpasswd',
  'app://veridesk/%2e%2e%2f%2e%2e%2fetc/passwd',
  'app://veridesk/assets/%2e%2e%2f%2e%2e%2f%2e%2e%2fsecret',
  'app://veridesk/%5c..%5csecret',
  'app://veridesk/..%5c..%5csecret',
  'app://veridesk/assets\\..\\..\\secret',
  'app://veridesk/C:/Windows/win.ini',
  'app://veridesk/C%3a/Windows/win.ini',
  'app://veridesk/C%3A%5CWindows%5Cwin.ini',
  'app://veridesk/%2fetc%2fpasswd',
  'app://veridesk/%5c%5cserver%5cshare%5cfile',
  'app://veridesk/index.html%00.png',
  'app://veridesk/%00',
  'app://veridesk/index.html:secret',
  'app://veridesk/%E0%A4%A',
];

describe('resolveAppRequest', () => {
  describe.each(platforms)('with $name paths', ({ path, root }) => {
    const under = (...parts: string[]) => ({ ok: true, file: path.resolve(root, ...parts) });

    it('serves index.html for the bare origin and for /, ignoring query and hash', () => {
      expect(resolveAppRequest('app://veridesk/', root, path)).toEqual(under('index.html'));
      expect(resolveAppRequest('app://veridesk', root, path)).toEqual(under('index.html'));
      expect(resolveAppRequest('app://veridesk/?k=1#/settings', root, path)).toEqual(under('index.html'));
      expect(resolveAppRequest(APP_INDEX_URL, root, path)).toEqual(under('index.html'));
    });

    it('maps asset paths under the root, decoding each segment', () => {
      expect(resolveAppRequest('app://veridesk/assets/index-Bx1.js', root, path)).toEqual(under('assets', 'index-Bx1.js'));
      expect(resolveAppRequest('app://veridesk/assets/a%20b.png?v=2', root, path)).toEqual(under('assets', 'a b.png'));
      expect(resolveAppRequest('app://VERIDESK/index.html', root, path)).toEqual(under('index.html'));
    });

    it.each(TRAVERSALS)('refuses %s with 403', (url) => {
      expect(resolveAppRequest(url, root, path)).toEqual({ ok: false, status: 403 });
    });

    it('keeps literal dot segments inside the root (the URL parser has already removed them)', () => {
      const result = resolveAppRequest('app://veridesk/assets/../../../../etc/passwd', root, path);
      expect(result).toEqual(under('etc', 'passwd'));
    });

    it.each([
      'app://evil/index.html',
      'app://veridesk.evil/index.html',
      'app://veridesk:8080/index.html',
      'app://user:pw@veridesk/index.html',
      'https://veridesk/index.html',
      'file:///etc/passwd',
      'not a url',
    ])('refuses %s (not the app origin) with 403', (url) => {
      expect(resolveAppRequest(url, root, path)).toEqual({ ok: false, status: 403 });
    });

    it('answers 404 for empty segments: a folder or a doubled slash is never a shipped file', () => {
      expect(resolveAppRequest('app://veridesk/assets/', root, path)).toEqual({ ok: false, status: 404 });
      expect(resolveAppRequest('app://veridesk//etc/passwd', root, path)).toEqual({ ok: false, status: 404 });
    });

    it('never resolves outside the root, whatever the URL', () => {
      const pieces = ['..', '%2e%2e', '%2E.', '.%2e', '%2f', '%5c', '\\', 'C:', 'c%3a', '%00', 'assets', 'x', '', '.', '%2e'];
      for (const a of pieces)
        for (const b of pieces)
          for (const c of pieces) {
            const result = resolveAppRequest(`app://veridesk/${a}/${b}${c}/${c}${a}`, root, path);
            if (!result.ok) continue;
            expect(result.file.startsWith(root + path.sep), `${a}/${b}${c}/${c}${a} → ${result.file}`).toBe(true);
          }
    });
  });

  it('refuses Windows device names and names Windows would rewrite, only where paths are Windows paths', () => {
    const win = platforms[1];
    for (const name of ['CON', 'nul.txt', 'aux.js', 'COM1', 'lpt9.css', 'index.html.', 'index.html%20', 'a%3Fb', 'a%2Ab'])
      expect(resolveAppRequest(`app://veridesk/assets/${name}`, win.root, win.path), name).toEqual({ ok: false, status: 403 });
    expect(resolveAppRequest('app://veridesk/assets/aux-Cd3.js', win.root, win.path)).toMatchObject({ ok: true });
    expect(resolveAppRequest('app://veridesk/assets/CON', platforms[0].root, platforms[0].path)).toMatchObject({ ok: true });
  });
});

describe('mimeType', () => {
  it.each([
    ['index.html', 'text/html; charset=utf-8'],
    ['assets/index-Bx1.js', 'text/javascript; charset=utf-8'],
    ['worker.mjs', 'text/javascript; charset=utf-8'],
    ['assets/index.CSS', 'text/css; charset=utf-8'],
    ['locales/zh-CN.json', 'application/json; charset=utf-8'],
    ['logo.svg', 'image/svg+xml'],
    ['icon.png', 'image/png'],
    ['photo.jpg', 'image/jpeg'],
    ['photo.jpeg', 'image/jpeg'],
    ['banner.webp', 'image/webp'],
    ['font.woff2', 'font/woff2'],
    ['ort-wasm-simd.wasm', 'application/wasm'],
    ['fr_detect.onnx', 'application/octet-stream'],
    ['weights.bin', 'application/octet-stream'],
    ['README', 'application/octet-stream'],
    ['.htaccess', 'application/octet-stream'],
    ['payload.exe', 'application/octet-stream'],
    ['C:\\app\\out\\renderer\\index.html', 'text/html; charset=utf-8'],
    ['/a.js/b', 'application/octet-stream'],
  ])('%s → %s', (file, type) => {
    expect(mimeType(file)).toBe(type);
  });
});

describe('createAppProtocolHandler', () => {
  const root = '/app/out/renderer';
  const files = new Map<string, string>([
    ['/app/out/renderer/index.html', '<!doctype html><p>VeriDesk</p>'],
    ['/app/out/renderer/assets/index-Bx1.js', 'console.log(1)'],
    ['/app/secret.txt', 'case-log key'],
  ]);
  const errno = (code: string) => Object.assign(new Error(code), { code });
  const read = vi.fn(async (file: string) => {
    if (file.endsWith('denied.js')) throw errno('EACCES');
    if (file.endsWith('/assets')) throw errno('EISDIR');
    const text = files.get(file);
    if (text === undefined) throw errno('ENOENT');
    return new TextEncoder().encode(text);
  });
  const handler = createAppProtocolHandler({ root, readFile: read, path: nodePath.posix });
  const get = (url: string, method = 'GET') => handler(new Request(url, { method }));

  it('serves index.html for / with its type, nosniff and the CSP header', async () => {
    const response = await get('app://veridesk/');
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('<!doctype html><p>VeriDesk</p>');
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(read).toHaveBeenLastCalledWith('/app/out/renderer/index.html');
  });

  it('serves a script as JavaScript, without a CSP header of its own', async () => {
    const response = await get('app://veridesk/assets/index-Bx1.js');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(response.headers.get('content-security-policy')).toBeNull();
    expect(await response.text()).toBe('console.log(1)');
  });

  it('refuses traversal with 403 before touching the disk', async () => {
    read.mockClear();
    for (const url of ['app://veridesk/..%2fsecret.txt', 'app://veridesk/%5c..%5csecret.txt', 'app://veridesk/C:/Windows/win.ini']) {
      const response = await get(url);
      expect(response.status, url).toBe(403);
      expect(await response.text()).toBe('');
    }
    expect(read).not.toHaveBeenCalled();
  });

  it('refuses another host with 403', async () => {
    expect((await get('app://evil/index.html')).status).toBe(403);
  });

  it('answers 404 for a missing file or a folder, 500 for any other read failure, 405 for a write', async () => {
    expect((await get('app://veridesk/nope.js')).status).toBe(404);
    expect((await get('app://veridesk/assets')).status).toBe(404);
    expect((await get('app://veridesk/denied.js')).status).toBe(500);
    expect((await get('app://veridesk/index.html', 'POST')).status).toBe(405);
  });

  it('answers HEAD with the headers and no body', async () => {
    const response = await get('app://veridesk/index.html', 'HEAD');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(await response.text()).toBe('');
  });
});

describe('createAppProtocolHandler on a real folder', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(nodePath.join(tmpdir(), 'veridesk-app-protocol-'));
    await mkdir(nodePath.join(dir, 'renderer', 'assets'), { recursive: true });
    await writeFile(nodePath.join(dir, 'renderer', 'index.html'), '<p>app</p>');
    await writeFile(nodePath.join(dir, 'renderer', 'assets', 'logo.svg'), '<svg/>');
    await writeFile(nodePath.join(dir, 'secret.txt'), 'outside the root');
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('serves files under the root and nothing beside it', async () => {
    const handler = createAppProtocolHandler({ root: nodePath.join(dir, 'renderer') });
    const index = await handler(new Request('app://veridesk/'));
    expect([index.status, await index.text()]).toEqual([200, '<p>app</p>']);
    const logo = await handler(new Request('app://veridesk/assets/logo.svg'));
    expect([logo.status, logo.headers.get('content-type')]).toEqual([200, 'image/svg+xml']);
    for (const url of ['app://veridesk/..%2fsecret.txt', 'app://veridesk/assets/..%2f..%2fsecret.txt', `app://veridesk/${encodeURIComponent(nodePath.join(dir, 'secret.txt'))}`]) {
      const response = await handler(new Request(url));
      expect(response.status, url).toBe(403);
    }
    expect((await handler(new Request('app://veridesk/secret.txt'))).status).toBe(404);
  });
});

describe('Electron registration', () => {
  it('registers app:// as a standard, secure scheme with fetch, code cache and streaming (recordings), and no CORS or CSP bypass', () => {
    registerAppScheme();
    expect(electron.registerSchemesAsPrivileged).toHaveBeenCalledWith([
      { scheme: 'app', privileges: { standard: true, secure: true, supportFetchAPI: true, codeCache: true, stream: true } },
    ]);
  });

  it('installs the handler for app on the session given', async () => {
    const dir = await mkdtemp(nodePath.join(tmpdir(), 'veridesk-app-scheme-'));
    try {
      await writeFile(nodePath.join(dir, 'index.html'), '<p>served</p>');
      serveAppScheme({ handle: electron.handle }, dir);
      expect(electron.handle).toHaveBeenCalledWith('app', expect.any(Function));
      const handler = electron.handle.mock.calls[0]![1] as (request: Request) => Promise<Response>;
      expect(await (await handler(new Request('app://veridesk/'))).text()).toBe('<p>served</p>');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
