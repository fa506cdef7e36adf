import { isMethodName, methods, type MethodName, type MethodOutput, type MethodParams } from '../../shared/contract';
import { AppFailure, fail, ok, type Result } from '../../shared/errors';
import type { Logger } from '../log/logger';

export type Handlers = { [M in MethodName]: (params: MethodParams<M>) => Promise<MethodOutput<M>> | MethodOutput<M> };

export type Dispatch = (method: unknown, params: unknown) => Promise<Result<unknown>>;

/**
 * Validates an incoming call against the contract and runs its handler.
 * Never throws: every failure becomes `{ ok: false, error }` with a code from the closed set.
 */
export function createDispatcher(handlers: Handlers, log: Logger): Dispatch {
  return async (method, params) => {
    if (!isMethodName(method)) return fail('UNKNOWN_METHOD', `unknown method: ${String(method).slice(0, 128)}`);
    const parsed = methods[method].input.safeParse(params ?? {});
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue?.path.length ? issue.path.join('.') : 'params';
      return fail('INVALID_PAYLOAD', `${method}: ${where}: ${issue?.message ?? 'invalid'}`);
    }
    try {
      const handler = handlers[method] as (p: unknown) => unknown;
      return ok(await handler(parsed.data));
    } catch (error) {
      if (error instanceof AppFailure) return fail(error.code, error.message);
      log.error({ method, err: error }, 'handler failed');
      return fail('INTERNAL', `${method} failed`);
    }
  };
}
