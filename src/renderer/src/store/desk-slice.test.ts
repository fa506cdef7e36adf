import { beforeEach, describe, expect, it } from 'vitest';
import { sampleDesk, sampleScript } from '../desk/test-fixtures';
import { useAppStore } from './store';

beforeEach(() => {
  useAppStore.setState({ desk: null, scriptPosition: { step: null, returnTo: null }, idPhotoView: null });
  useAppStore.getState().setScripts({ scripts: [sampleScript()], errors: [] });
});

describe('desk slice', () => {
  it('follows a new suggested step once, then leaves the agent where they go', () => {
    const store = useAppStore.getState();
    store.setDesk(sampleDesk({ suggestedStep: null }));
    store.setScriptPosition({ step: 'face_check', returnTo: null });
    store.setDesk(sampleDesk({ suggestedStep: 'guide_light' }));
    expect(useAppStore.getState().scriptPosition).toEqual({ step: 'guide_light', returnTo: 'face_check' });
    store.setScriptPosition({ step: 'face_check', returnTo: null });
    store.setDesk(sampleDesk({ suggestedStep: 'guide_light' }));
    expect(useAppStore.getState().scriptPosition.step).toBe('face_check');
  });

  it('a new call starts the script again and drops the last call’s photo', () => {
    const store = useAppStore.getState();
    store.setDesk(sampleDesk());
    store.setScriptPosition({ step: 'closing', returnTo: null });
    store.setIdPhotoView({ callId: 'call-1', url: 'blob:nodedata:1' });
    store.setDesk(sampleDesk());
    expect(useAppStore.getState().idPhotoView?.url).toBe('blob:nodedata:1');
    store.setDesk(sampleDesk({ callId: 'call-2' }));
    expect(useAppStore.getState().scriptPosition).toEqual({ step: null, returnTo: null });
    expect(useAppStore.getState().idPhotoView).toBeNull();
  });
});
