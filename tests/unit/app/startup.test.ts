/**
 * The Electron app's start-up rules with Electron's calls faked (the binary is not available here): a packaged
 * app ignores ELECTRON_RENDERER_URL and loads app://veridesk, a second instance exits before anything else, a
 * start-up failure shows an error box and exits 1.
 */
import { resolve } from 'node:path';
import { describe, expect, it, vi } from 'vitest';

vi.mock('electron', () => ({ app: {}, dialog: {}, BrowserWindow: {}, session: {} }));

const { claimSingleInstance, rendererRoot, rendererUrl, startOrExit } = await import('../../../src/main/app/startup');

describe('Electron start-up', () => {
  it('a packaged app loads its own renderer from app:// even when ELECTRON_RENDERER_URL points elsewhere; a dev build follows it', () => {
    const env = { ELECTRON_RENDERER_URL: 'http://evil.example:5173/' };
    expect(rendererUrl({ isPackaged: true, env })).toBe('app://veridesk/index.html');
    expect(rendererUrl({ isPackaged: false, env })).toBe('http://evil.example:5173/');
    // electron-vite preview: not packaged, no dev server
    expect(rendererUrl({ isPackaged: false, env: {} })).toBe('app://veridesk/index.html');
    expect(rendererUrl({ isPackaged: false, env: { ELECTRON_RENDERER_URL: '' } })).toBe('app://veridesk/index.html');
  });

  it('app:// serves out/renderer beside out/main, inside app.asar when packaged', () => {
    expect(rendererRoot('/opt/VeriDesk/resources/app.asar/out/main')).toBe(resolve('/opt/VeriDesk/resources/app.asar/out/renderer'));
    expect(rendererRoot('/repo/out/main/')).toBe(resolve('/repo/out/renderer'));
  });

  it('a second instance exits at once (code 0); the first one is brought to the front when another starts', () => {
    const second = { requestSingleInstanceLock: () => false, exit: vi.fn(), on: vi.fn() };
    expect(claimSingleInstance(second, () => undefined)).toBe(false);
    expect(second.exit).toHaveBeenCalledWith(0);
    expect(second.on).not.toHaveBeenCalled();

    const handlers: Record<string, () => void> = {};
    const firstApp = { requestSingleInstanceLock: () => true, exit: vi.fn(), on: (event: string, l: () => void) => (handlers[event] = l) };
    const show = vi.fn();
    expect(claimSingleInstance(firstApp, show)).toBe(true);
    handlers['second-instance']!();
    expect(show).toHaveBeenCalledOnce();
    expect(firstApp.exit).not.toHaveBeenCalled();
  });

  it('a start-up failure (the OS keystore unavailable) shows an error box with the reason and exits 1', async () => {
    const app = { exit: vi.fn() };
    const dialog = { showErrorBox: vi.fn() };
    const log = { error: vi.fn() };
    const ok = await startOrExit(() => Promise.reject(new Error('safeStorage is not available')), app, dialog, log);
    expect(ok).toBe(false);
    expect(dialog.showErrorBox).toHaveBeenCalledWith('VeriDesk 无法启动', expect.stringContaining('safeStorage is not available'));
    expect(app.exit).toHaveBeenCalledWith(1);
    expect(log.error).toHaveBeenCalled();
    const fine = { exit: vi.fn() };
    expect(await startOrExit(() => Promise.resolve(), fine, dialog, log)).toBe(true);
    expect(fine.exit).not.toHaveBeenCalled();
  });
});
