/**
 * Types for the two browser bundles the call imports by path.
 *
 * - `simple-peer/simplepeer.min.js`: the package's self-contained browserify bundle. The package's
 *   `index.js` needs Node's `global`, `Buffer` and `process` shims under Vite; the bundle carries
 *   its own. `@types/simple-peer` (and `@types/qrcode`) reference `@types/node`, which would leak
 *   Node globals into the renderer's type space, so only what the renderer uses is declared here.
 * - `qrcode/lib/browser.js`: the package's browser entry (canvas renderer, no `fs`).
 */
declare module 'simple-peer/simplepeer.min.js' {
  export interface SimplePeerOptions {
    initiator?: boolean;
    trickle?: boolean;
    stream?: MediaStream;
    config?: RTCConfiguration;
    channelName?: string;
  }

  export interface SimplePeerError extends Error {
    code?: string;
  }

  export interface SimplePeerInstance {
    readonly destroyed: boolean;
    readonly connected: boolean;
    /** The underlying connection (not part of simple-peer's documented API, stable since v9). */
    readonly _pc: RTCPeerConnection;
    signal(data: unknown): void;
    send(data: string | ArrayBufferView | ArrayBuffer | Blob): void;
    addTrack(track: MediaStreamTrack, stream: MediaStream): void;
    addTransceiver(kind: 'audio' | 'video', init?: RTCRtpTransceiverInit): void;
    destroy(error?: Error): void;
    on(event: 'signal', listener: (data: unknown) => void): this;
    on(event: 'connect' | 'close', listener: () => void): this;
    on(event: 'stream', listener: (stream: MediaStream) => void): this;
    on(event: 'data', listener: (data: Uint8Array | string) => void): this;
    on(event: 'error', listener: (error: SimplePeerError) => void): this;
    on(event: 'iceStateChange', listener: (iceConnectionState: RTCIceConnectionState, iceGatheringState: RTCIceGatheringState) => void): this;
  }

  const SimplePeer: {
    new (options?: SimplePeerOptions): SimplePeerInstance;
    readonly WEBRTC_SUPPORT: boolean;
  };
  export default SimplePeer;
}

declare module 'qrcode/lib/browser.js' {
  export interface QrDataUrlOptions {
    errorCorrectionLevel?: 'L' | 'M' | 'Q' | 'H';
    margin?: number;
    width?: number;
    color?: { dark?: string; light?: string };
  }
  export function toDataURL(text: string, options?: QrDataUrlOptions): Promise<string>;
}
