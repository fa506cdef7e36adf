/**
 * Keeps one worker (the case-log sync client, the recording uploader) running against the backend URL currently
 * configured, while that backend's origin has a token. Changes are applied one at a time, and a replaced worker is
 * stopped (its request in flight aborted) before the next one is made: two workers never talk to two backends at
 * once, and nothing goes to the old backend once connect() resolved. Callbacks of a worker being replaced are cut
 * off by `isCurrent`, so only the current one reports.
 */
import { backendOrigin } from '../../shared/settings';
import type { Logger } from '../log/logger';
import type { TokenFor } from '../settings/backend-tokens';

export interface SwitchedWorker {
  start(): void;
  stop(): Promise<void>;
  /** Ask again now (a new token, or the agent pressed retry). */
  retry(): void;
}

export interface BackendSwitchOptions<W extends SwitchedWorker> {
  tokenFor: TokenFor;
  log: Logger;
  /** What is switched, for the log: "sync", "recording upload". */
  what: string;
  /** Makes the worker for `serverUrl`; it reports only while `isCurrent()`. May throw (a URL it refuses). */
  create(serverUrl: string, isCurrent: () => boolean): W;
  /** No worker runs now (no token, refused URL, stopped): the owner reports its idle status. */
  onIdle(): void;
}

export class BackendSwitch<W extends SwitchedWorker> {
  private current: W | null = null;
  private currentUrl: string | null = null;
  private generation = 0;
  private closed = false;
  private queue: Promise<void> = Promise.resolve();
  private refused: { message: string; at: number } | null = null;

  constructor(private readonly options: BackendSwitchOptions<W>) {}

  get worker(): W | null {
    return this.current;
  }

  get url(): string | null {
    return this.currentUrl;
  }

  /** Why the configured URL could not even get a worker (create threw), until the next change. */
  get refusal(): { message: string; at: number } | null {
    return this.refused;
  }

  /** Works against `serverUrl` (the same one again: a stopped or blocked worker asks again). */
  connect(serverUrl: string): Promise<void> {
    return this.enqueue(() => this.apply(serverUrl));
  }

  /** A token was set or cleared: start, retry or stop on the current URL. */
  refresh(): Promise<void> {
    return this.enqueue(() => (this.currentUrl === null ? Promise.resolve() : this.apply(this.currentUrl)));
  }

  /** Runs `step` after the changes asked before it (e.g. a retry on the worker those leave behind). */
  then(step: (worker: W | null) => void | Promise<void>): Promise<void> {
    return this.enqueue(async () => step(this.current));
  }

  /** Resolves when every change asked so far has been applied. */
  settled(): Promise<void> {
    return this.queue;
  }

  async stop(): Promise<void> {
    await this.enqueue(async () => {
      this.closed = true;
      const worker = this.current;
      this.current = null;
      this.generation++;
      await worker?.stop();
    });
  }

  private enqueue(step: () => Promise<void>): Promise<void> {
    const run = this.queue.then(step).catch((error: unknown) => this.options.log.error({ err: error instanceof Error ? error.message : String(error) }, `changing the ${this.options.what} backend failed`));
    this.queue = run;
    return run;
  }

  private async apply(serverUrl: string): Promise<void> {
    if (this.closed) return;
    const origin = originOrNull(serverUrl);
    const hasToken = origin !== null && this.options.tokenFor(origin) !== undefined;
    if (serverUrl === this.currentUrl && this.current && hasToken) {
      // the same backend, still with a token (perhaps a new one): a stopped worker starts asking again
      this.current.retry();
      return;
    }
    if (serverUrl === this.currentUrl && !this.current && !hasToken && !this.refused) return;

    const previous = this.current;
    this.current = null;
    this.currentUrl = serverUrl;
    this.refused = null;
    const generation = ++this.generation;
    // first the old worker is gone, request in flight included; only then anything talks to the new backend
    await previous?.stop();
    if (this.closed || generation !== this.generation) return;
    if (!hasToken) {
      this.options.onIdle();
      return;
    }
    let worker: W;
    try {
      worker = this.options.create(serverUrl, () => generation === this.generation);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.refused = { message, at: Date.now() };
      this.options.log.warn({ err: message }, `${this.options.what} cannot use this backend URL`);
      this.options.onIdle();
      return;
    }
    this.current = worker;
    worker.start();
  }
}

export function originOrNull(url: string): string | null {
  try {
    return backendOrigin(url);
  } catch {
    return null;
  }
}
