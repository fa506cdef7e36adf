import { useSyncExternalStore } from 'react';
import { currentAgentStream, onAgentStream } from './agent-camera';

export function useAgentStream(): MediaStream | null {
  return useSyncExternalStore(onAgentStream, currentAgentStream);
}
