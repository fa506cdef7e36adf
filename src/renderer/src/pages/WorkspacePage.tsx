import { useEffect } from 'react';
import { useTranslation } from 'react-i18next';
import { startAgentCamera, stopAgentCamera } from '../camera/agent-camera';
import { useAgentStream } from '../camera/use-agent-stream';
import { CameraError } from '../components/CameraError';
import { CallPanel } from '../components/call/CallPanel';
import { CustomerInfoPanel } from '../components/call/CustomerInfoPanel';
import { DeskPanel } from '../components/desk/DeskPanel';
import { IdInfoPanel } from '../components/desk/IdInfoPanel';
import { IdPhotoPanel } from '../components/desk/IdPhotoPanel';
import { ScriptPanel } from '../components/desk/ScriptPanel';
import { FrameDiagnosticsPanel } from '../components/FrameDiagnosticsPanel';
import { HandoverPanel } from '../components/queue/HandoverPanel';
import { VideoView } from '../components/VideoView';
import { fetchDeskFor } from '../desk/desk-service';
import { useAppStore } from '../store/store';
import { useApi } from '../transport/api-context';

/**
 * 工作台. Without a call: the agent's camera and 开始视频. During a call (and after it ends, until 返回, so the decision
 * stays in view) the session view: ID photo ⇄ live face and ID information | the customer's video | the desk
 * (advice, checks, challenge, code, decision), with the script below. The children keep their positions in both
 * layouts, so the call panel (and its video element) is not remounted when a call starts.
 */
export function WorkspacePage() {
  const { t } = useTranslation();
  const api = useApi();
  const stream = useAgentStream();
  const cameraState = useAppStore((s) => s.camera.state);
  const live = cameraState === 'live' || cameraState === 'starting';
  const phase = useAppStore((s) => s.call.phase);
  const callId = useAppStore((s) => s.call.info?.callId ?? null);
  const desk = useAppStore((s) => s.desk);
  const session = phase !== 'idle' && desk !== null && desk.callId === callId ? desk : null;

  useEffect(() => {
    if (callId && phase !== 'idle' && phase !== 'ended') void fetchDeskFor(api, callId);
  }, [api, callId, phase]);

  return (
    <section className={session ? 'workspace in-call' : 'workspace'} data-testid="page-workspace">
      <div className="column">
        <IdPhotoPanel desk={session} />
        {session && <IdInfoPanel key={session.callId} desk={session} />}
        {session && <HandoverPanel callId={session.callId} />}
        <CustomerInfoPanel />
      </div>
      <CallPanel />
      {session && <DeskPanel key={session.callId} desk={session} />}
      {session && <ScriptPanel desk={session} />}
      <div className="panel agent">
        <h2>{t('workspace.agentCamera')}</h2>
        <VideoView stream={stream} testId="agent-preview" label={t('workspace.agentCamera')} />
        <CameraError />
        <button type="button" data-testid="camera-toggle" onClick={() => (live ? stopAgentCamera() : void startAgentCamera(api))}>
          {live ? t('camera.stop') : t('camera.start')}
        </button>
      </div>
      <FrameDiagnosticsPanel />
    </section>
  );
}
