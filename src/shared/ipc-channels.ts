/** Electron IPC channel names (kept free of imports: the sandboxed preload bundles this file). */
export const IPC = {
  invoke: 'veridesk:invoke',
  event: 'veridesk:event',
  framePort: 'veridesk:frame-port',
} as const;
