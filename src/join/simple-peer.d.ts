/**
 * Types for simple-peer's self-contained browser bundle, which the join page imports instead of
 * the package's CommonJS entry (that one needs Node's Buffer/process/global shimmed by the bundler).
 * Only what the page uses, in DOM types: @types/simple-peer would pull all of @types/node into a
 * browser-only typecheck.
 */
declare module 'simple-peer/simplepeer.min.js' {
  export interface SimplePeerOptions {
    initiator?: boolean;
    trickle?: boolean;
    stream?: MediaStream;
    config?: RTCConfiguration;
    /** true: data channel strings arrive as strings, not as Buffer objects. */
    objectMode?: boolean;
  }

  export interface SimplePeerInstance {
    /** The data channel is open and ICE connected. */
    readonly connected: boolean;
    readonly destroyed: boolean;
    signal(data: object): void;
    send(data: string): void;
    addTrack(track: MediaStreamTrack, stream: MediaStream): void;
    replaceTrack(oldTrack: MediaStreamTrack, newTrack: MediaStreamTrack, stream: MediaStream): void;
    destroy(error?: Error): void;
    on(event: 'signal', listener: (data: unknown) => void): this;
    on(event: 'connect' | 'close', listener: () => void): this;
    on(event: 'data', listener: (data: unknown) => void): this;
    on(event: 'track', listener: (track: MediaStreamTrack, stream: MediaStream) => void): this;
    on(event: 'error', listener: (error: Error & { code?: string }) => void): this;
    on(event: 'iceStateChange', listener: (iceConnectionState: RTCIceConnectionState, iceGatheringState: RTCIceGatheringState) => void): this;
  }

  interface SimplePeerConstructor {
    new (options?: SimplePeerOptions): SimplePeerInstance;
    readonly WEBRTC_SUPPORT: boolean;
  }

  const SimplePeer: SimplePeerConstructor;
  export default SimplePeer;
}
