import { backendOrigin, type BackendTokenState } from '../../shared/settings';
import type { Logger } from '../log/logger';
import type { SecretStore } from './secret-store';

/**
 * The token for one backend origin, asked at the moment a request is made. A client bound to one origin can only
 * ever get that origin's token: after the agent points 设置 at another backend, the old token is never sent there.
 */
export type TokenFor = (origin: string) => string | undefined;

/** The secret store's name for the token of a backend origin. */
export const tokenSecretName = (origin: string): string => `backend-token:${origin}`;

export interface BackendTokensOptions {
  secrets: SecretStore;
  /**
   * A token from the launch (VERIDESK_BACKEND_TOKEN / VERIDESK_SYNC_TOKEN), bound to the origin of the backend URL
   * in effect at launch. Kept in memory only: the environment stays the source of truth for it.
   */
  launch?: { url: string; token: string };
  log?: Logger;
}

/** The backend tokens main holds, one per backend origin. */
export class BackendTokens {
  private launch: { origin: string; token: string } | null;
  private readonly listeners = new Set<(origin: string) => void>();

  constructor(private readonly options: BackendTokensOptions) {
    this.launch = options.launch ? { origin: backendOrigin(options.launch.url), token: options.launch.token } : null;
  }

  /** A token entered in 设置 for this origin wins over the launch one (the agent entered it on purpose). */
  readonly tokenFor: TokenFor = (origin) => {
    const key = normalise(origin);
    if (key === null) return undefined;
    const stored = this.options.secrets.get(tokenSecretName(key));
    if (stored) return stored;
    return this.launch?.origin === key ? this.launch.token : undefined;
  };

  has(origin: string): boolean {
    return this.tokenFor(origin) !== undefined;
  }

  /** What the renderer may see for the backend at `url`. */
  state(url: string): BackendTokenState {
    const origin = backendOrigin(url);
    return { origin, backendTokenSet: this.has(origin) };
  }

  /**
   * Binds `token` to the backend at `url` (its origin), or forgets that origin's token (null) — the launch one too,
   * for the rest of this run: 清除 means nothing is sent there any more.
   */
  async set(url: string, token: string | null): Promise<BackendTokenState> {
    const origin = backendOrigin(url);
    if (token === null) {
      await this.options.secrets.delete(tokenSecretName(origin));
      if (this.launch?.origin === origin) this.launch = null;
    } else {
      await this.options.secrets.set(tokenSecretName(origin), token);
    }
    // never the token, only where it is bound
    this.options.log?.info({ origin, set: token !== null, store: this.options.secrets.description }, 'backend token changed');
    for (const listener of this.listeners) listener(origin);
    return this.state(url);
  }

  onChange(listener: (origin: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

/** Accepts an origin or a URL; an unparsable one has no token. */
function normalise(origin: string): string | null {
  try {
    return backendOrigin(origin);
  } catch {
    return null;
  }
}
