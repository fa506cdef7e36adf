import { useCallback, useState } from 'react';
import type { MethodInput } from '../../../../shared/contract';
import type { DeskState } from '../../../../shared/desk';
import type { AppError, Result } from '../../../../shared/errors';
import { deskAction, type DeskMethod } from '../../desk/desk-service';
import { useApi } from '../../transport/api-context';

/** Groups of buttons that share one "sending…" state and one error line. */
export type DeskActionGroup = 'challenge' | 'occlusion' | 'code' | 'decision' | 'escalate';

export interface DeskActions {
  pending: Partial<Record<DeskActionGroup, boolean>>;
  errors: Partial<Record<DeskActionGroup, AppError>>;
  run<M extends DeskMethod>(group: DeskActionGroup, method: M, params: MethodInput<M>): Promise<Result<DeskState>>;
}

/**
 * One place for the desk panel's actions, so a keyboard shortcut and its button run the same call and its refusal
 * shows in the same spot. A group with a call in flight ignores a second one (a double click, a held key).
 */
export function useDeskActions(): DeskActions {
  const api = useApi();
  const [pending, setPending] = useState<DeskActions['pending']>({});
  const [errors, setErrors] = useState<DeskActions['errors']>({});
  const run = useCallback(
    async <M extends DeskMethod>(group: DeskActionGroup, method: M, params: MethodInput<M>): Promise<Result<DeskState>> => {
      setPending((p) => ({ ...p, [group]: true }));
      setErrors((e) => ({ ...e, [group]: undefined }));
      const result = await deskAction(api, method, params);
      setPending((p) => ({ ...p, [group]: false }));
      if (!result.ok) setErrors((e) => ({ ...e, [group]: result.error }));
      return result;
    },
    [api],
  );
  return { pending, errors, run };
}
