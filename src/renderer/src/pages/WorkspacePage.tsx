import { useTranslation } from 'react-i18next';
import { startAgentCamera, stopAgentCamera } from '../camera/agent-camera';
import { useAgentStream } from '../camera/use-agent-stream';
import { CameraError } from '../components/CameraError';
import { CallPanel } from '../components/call/CallPanel';
import { CustomerInfoPanel } from '../components/call/CustomerInfoPanel';
import { FrameDiagnosticsPanel } from '../components/FrameDiagnosticsPanel';
import { VideoView } from '../components/VideoView';
import { useAppStore } from '../store/store';
import { useApi } from '../transport/api-context';

export function WorkspacePage() {
  const { t } = useTranslation();
  const api = useApi();
  const stream = useAgentStream();
  const cameraState = useAppStore((s) => s.camera.state);
  const live = cameraState === 'live' || cameraState === 'starting';

  return (
    <section className="workspace" data-testid="page-workspace">
      <div className="column">
        <div className="panel id-photo">
          <h2>{t('workspace.idPhoto')}</h2>
          <div className="placeholder">{t('workspace.idPhotoPending')}</div>
        </div>
        <CustomerInfoPanel />
      </div>
      <CallPanel />
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
