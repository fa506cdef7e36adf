/**
 * The shift's state in the renderer: shift.status from main at mount and after every 'shift.status' event, and the
 * agent's actions (sign-in with camera frames when face checks are on, sign-out, a check's frames).
 */
import { useEffect, useState } from 'react';
import type { VeriDeskApi } from '../../../../shared/contract';
import type { AppError } from '../../../../shared/errors';
import type { ShiftStatus } from '../../../../shared/shift';
import { useAppStore } from '../../store/store';
import { grabAgentFrames } from './frame-grab';

export function useShiftStatus(api: VeriDeskApi | null): [ShiftStatus | null, (s: ShiftStatus) => void] {
  const [status, setStatus] = useState<ShiftStatus | null>(null);
  // asked again each time the link to main (re)opens: a request made before it was open is answered with an error,
  // and after a reconnect the events sent meanwhile are gone
  const connection = useAppStore((s) => s.connection);
  useEffect(() => {
    if (!api || connection !== 'open') return;
    let live = true;
    void api.invoke('shift.status', {}).then((r) => live && r.ok && setStatus(r.value));
    const off = api.on('shift.status', (s) => setStatus(s));
    return () => {
      live = false;
      off();
    };
  }, [api, connection]);
  return [status, setStatus];
}

type Outcome = { ok: true; value: ShiftStatus } | { ok: false; error: AppError };

const cameraId = () => useAppStore.getState().settings?.cameraDeviceId ?? null;

async function framesOrError(): Promise<{ ok: true; frames: string[] } | { ok: false; error: AppError }> {
  try {
    const frames = await grabAgentFrames(cameraId());
    return frames.length > 0 ? { ok: true, frames } : { ok: false, error: { code: 'UNAVAILABLE', message: 'no camera frame' } };
  } catch (error) {
    return { ok: false, error: { code: 'UNAVAILABLE', message: error instanceof Error ? `${error.name}: ${error.message}` : String(error) } };
  }
}

export async function signIn(api: VeriDeskApi, agentId: string, withFrames: boolean): Promise<Outcome> {
  if (!withFrames) return api.invoke('shift.signIn', { agentId });
  const grabbed = await framesOrError();
  return grabbed.ok ? api.invoke('shift.signIn', { agentId, frames: grabbed.frames }) : grabbed;
}

export async function answerCheck(api: VeriDeskApi, checkId: string | undefined): Promise<Outcome> {
  const grabbed = await framesOrError();
  return grabbed.ok ? api.invoke('shift.check', checkId ? { checkId, frames: grabbed.frames } : { frames: grabbed.frames }) : grabbed;
}
