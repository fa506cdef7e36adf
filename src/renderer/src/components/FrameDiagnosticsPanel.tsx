import { useTranslation } from 'react-i18next';
import { useAppStore } from '../store/store';

const formatBytes = (bytesPerSecond: number) => `${(bytesPerSecond / 1e6).toFixed(1)} MB/s`;

export function FrameDiagnosticsPanel() {
  const { t } = useTranslation();
  const streams = useAppStore((s) => s.streams);
  return (
    <div className="panel diagnostics" data-testid="diagnostics">
      <h2>{t('workspace.diagnostics')}</h2>
      {streams.length === 0 ? (
        <p className="muted">{t('workspace.noFrames')}</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th>{t('workspace.stream')}</th>
              <th>{t('workspace.fps')}</th>
              <th>{t('workspace.throughput')}</th>
              <th>{t('workspace.resolution')}</th>
              <th>{t('workspace.meanColour')}</th>
              <th>{t('workspace.dropped')}</th>
            </tr>
          </thead>
          <tbody>
            {streams.map((s) => (
              <tr key={s.streamId} data-testid={`stream-${s.streamId}`}>
                <td>{s.streamId}</td>
                <td data-testid={`fps-${s.streamId}`}>{s.fps.toFixed(0)}</td>
                <td>{formatBytes(s.bytesPerSecond)}</td>
                <td>
                  {s.width}×{s.height}
                </td>
                <td data-testid={`mean-${s.streamId}`} data-rgb={s.meanRgb.join(',')}>
                  <span className="swatch" ref={(el) => el?.style.setProperty('background', `rgb(${s.meanRgb.join(',')})`)} />
                  {s.meanRgb.join(', ')}
                </td>
                <td>{s.framesDropped}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
