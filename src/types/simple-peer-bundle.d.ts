/**
 * Types for simple-peer's self-contained browser bundle, which both browser builds (the workstation
 * renderer and the customer join page) import instead of the package's CommonJS entry: that one needs
 * Node's Buffer/process/global shimmed by the bundler, the bundle carries its own. Only what the two
 * pages use, in DOM types: @types/simple-peer references @types/node, which would leak Node globals
 * into a browser-only typecheck.
 */
declare module 'simple-peer/simplepeer.min.js' {
  export interface SimplePeerOptions {
    initiator?: boolean;
    trickle?: boolean;
    stream?: MediaStream;
    config?: RTCConfiguration;
    channelName?: string;
    /** true: data channel strings arrive as strings, not as Buffer objects. */
    objectMode?: boolean;
  }

  export interface SimplePeerError extends Error {
    code?: string;
  }

  export interface SimplePeerInstance {
    readonly destroyed: boolean;
    /** The data channel is open and ICE connected. */
    readonly connected: boolean;
    /** The underlying connection (not part of simple-peer's documented API, stable since v9). */
    readonly _pc: RTCPeerConnection;
    signal(data: unknown): void;
    send(data: string | ArrayBufferView | ArrayBuffer | Blob): void;
    addTrack(track: MediaStreamTrack, stream: MediaStream): void;
    replaceTrack(oldTrack: MediaStreamTrack, newTrack: MediaStreamTrack, stream: MediaStream): void;
    addTransceiver(kind: 'audio' | 'video', init?: RTCRtpTransceiverInit): void;
    destroy(error?: Error): void;
    on(event: 'signal', listener: (data: unknown) => void): this;
    on(event: 'connect' | 'close', listener: () => void): this;
    on(event: 'stream', listener: (stream: MediaStream) => void): this;
    on(event: 'track', listener: (track: MediaStreamTrack, stream: MediaStream) => void): this;
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
