import type { BackendStatus } from '../../shared/contract';

export interface BackendProbeOptions {
  url: () => string;
  onChange: (status: BackendStatus) => void;
  intervalMs?: number;
  timeoutMs?: number;
  fetch?: typeof fetch;
}

/** Polls the backend's /health endpoint and reports reachability for the status bar. */
export class BackendProbe {
  private status: BackendStatus;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: BackendProbeOptions) {
    this.status = { state: 'unknown', url: options.url(), checkedAt: 0 };
  }

  current(): BackendStatus {
    return this.status;
  }

  start(): void {
    void this.check();
    this.timer = setInterval(() => void this.check(), this.options.intervalMs ?? 5000);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  async check(): Promise<BackendStatus> {
    const url = this.options.url();
    const doFetch = this.options.fetch ?? fetch;
    let next: BackendStatus;
    try {
      // no token is sent here, but a redirect is still not followed: the status must describe the configured URL
      const response = await doFetch(new URL('/health', url), { redirect: 'manual', signal: AbortSignal.timeout(this.options.timeoutMs ?? 2000) });
      await response.body?.cancel().catch(() => undefined);
      next = response.ok
        ? { state: 'connected', url, checkedAt: Date.now() }
        : { state: 'unreachable', url, checkedAt: Date.now(), detail: response.status >= 300 && response.status < 400 ? `HTTP ${response.status} (redirect not followed)` : `HTTP ${response.status}` };
    } catch (error) {
      next = { state: 'unreachable', url, checkedAt: Date.now(), detail: (error as Error).name };
    }
    if (next.state !== this.status.state || next.url !== this.status.url) this.options.onChange(next);
    this.status = next;
    return next;
  }
}
