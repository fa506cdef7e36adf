/**
 * The customer's join page (DESIGN.md §1, §2): consent → camera → recording consent → call.
 * This file only wires the modules together and keeps the page state; each module does one job:
 *   link.ts         room id and token from the URL, fragment cleanup
 *   credentials.ts  which secret the next hello carries (resume before token)
 *   signaling.ts    the socket, validation, reconnect with backoff
 *   peer.ts         one simple-peer per agent generation
 *   media.ts        getUserMedia, camera errors, device report
 *   view.ts / i18n.ts  the DOM and its texts
 * Queue mode (/join/q/<requestId>#<secret>, issue 12) adds, before the room exists:
 *   queue-link.ts     request id and secret from the URL
 *   queue-api.ts      the queue API calls with the secret as bearer
 *   queue-session.ts  status polls with backoff, leave, call-back slots and booking
 *   queue-model.ts / queue-view.ts  the waiting panel, slot list and booking confirmation
 * Once an agent accepts, the page joins the room with the same secret as a /join/<roomId>#<token> link would.
 */
import SimplePeer from 'simple-peer/simplepeer.min.js';
import { z } from 'zod';
import {
  AgentAppMessageSchema,
  SIGNAL_PATH,
  type ClientMessage,
  type Consent,
  type CustomerAppMessage,
  type GuidanceKey,
  type SignalErrorCode,
} from '../shared/signaling';
import { Credentials, forgetQueueSecret, keepQueueSecret, loadLanguage, recallBookedSlot, rememberBookedSlot, saveLanguage, type KeyValueStore } from './credentials';
import { DEFAULT_LANGUAGE, isLanguage, messagesFor, type Language } from './i18n';
import { clearFragment, parseJoinLink, signalingUrl } from './link';
import { CameraError, mediaStateFor, openCamera, stopStream, streamReport, watchStream, type CameraErrorCode } from './media';
import { PeerGenerations, type PeerStatus } from './peer';
import { QueueApi } from './queue-api';
import { isQueuePath, parseQueueLink } from './queue-link';
import { bookedModel, panelModel, slotsModel } from './queue-model';
import { QueueSession, type QueueSnapshot } from './queue-session';
import { QueueView, type QueueViewModel } from './queue-view';
import { SignalingClient, type LinkStatus, type RelayedMessage } from './signaling';
import { JoinView, type ChallengePrompt, type EndedBy, type JoinState, type Screen, type StateText, type ViewModel } from './view';
import './styles.css';

// The CSP has no 'unsafe-eval': stop zod from probing `new Function` (a logged CSP violation) for its JIT.
z.config({ jitless: true });

type Phase = 'camera-consent' | 'starting' | 'recording-consent' | 'call' | 'ended';

interface PageState {
  language: Language;
  phase: Phase;
  cameraDeclined: boolean;
  consents: { camera?: Consent; recording?: Consent };
  stream: MediaStream | null;
  cameraError: CameraErrorCode | null;
  /** getUserMedia is pending (first start, or a retry during the call). */
  cameraStarting: boolean;
  link: LinkStatus;
  everWelcomed: boolean;
  agentPresent: boolean;
  peer: PeerStatus;
  everConnected: boolean;
  /** A final signaling refusal; the page stops and says why. */
  refused: SignalErrorCode | null;
  endedBy: EndedBy;
  /** Queue mode: the queue session's last snapshot; null in room mode. */
  queue: QueueSnapshot | null;
  /** Queue mode: the room an agent's accept made; null until then (and in room mode, where the link names it). */
  queueRoomId: string | null;
  guidance: GuidanceKey | null;
  challenge: ChallengePrompt | null;
  code: string | null;
  soundBlocked: boolean;
  online: boolean;
  invalidMessages: number;
}

function webStorage(kind: 'localStorage' | 'sessionStorage'): KeyValueStore | null {
  try {
    // the getter itself throws where storage is disabled (some WebViews, blocked cookies)
    return window[kind];
  } catch {
    return null;
  }
}

const local = webStorage('localStorage');
const stored = loadLanguage(local);
const session = webStorage('sessionStorage');
const queueMode = isQueuePath(location.pathname);
const link = queueMode ? { roomId: null, token: null, hadFragment: false } : parseJoinLink(location.pathname, location.hash);
const queueLink = queueMode ? parseQueueLink(location.pathname, location.hash) : null;
// The token (or the queue secret) is read; now it leaves the address bar before anything else can happen.
if (link.hadFragment || queueLink?.hadFragment) clearFragment();
// Kept per tab like a room's token: a reload while waiting (the fragment is gone by then) keeps the place in the queue.
const queueSecret = queueLink?.requestId ? keepQueueSecret(session, queueLink.requestId, queueLink.secret) : null;

const state: PageState = {
  language: isLanguage(stored) ? stored : DEFAULT_LANGUAGE,
  phase: 'camera-consent',
  cameraDeclined: false,
  consents: {},
  stream: null,
  cameraError: null,
  cameraStarting: false,
  link: 'connecting',
  everWelcomed: false,
  agentPresent: false,
  peer: 'waiting',
  everConnected: false,
  refused: null,
  endedBy: 'ended',
  queue: null,
  queueRoomId: null,
  guidance: null,
  challenge: null,
  code: null,
  soundBlocked: false,
  online: navigator.onLine !== false,
  invalidMessages: 0,
};

/** Queue mode before an agent accepted: the call screen is a "ready, waiting" card, and the slot / booking panes replace the flow's screens. */
function deriveView(s: PageState): ViewModel {
  const plain = deriveFlowView(s);
  const q = s.queue;
  if (!queueMode || s.phase === 'ended' || s.refused) return plain;
  if (!q || q.fatal) {
    const code = q?.fatal ?? 'LINK_INVALID';
    return { ...plain, screen: 'none', joinState: 'error', stateText: 'error', error: { kind: 'queue', code }, retry: null };
  }
  if (s.queueRoomId !== null) return plain;
  const queuedText: StateText = q.trouble ? 'queueRetrying' : 'queued';
  if (q.pane === 'slots' || q.pane === 'booked') {
    const stateText: StateText = q.pane === 'booked' ? 'callbackBooked' : queuedText;
    return { ...plain, screen: q.pane === 'slots' ? 'queue-slots' : 'queue-booked', joinState: 'queued', stateText, error: null, retry: null };
  }
  if (plain.screen === 'call') return { ...plain, screen: 'queue-ready', joinState: plain.error ? 'error' : 'queued', stateText: plain.error ? 'error' : queuedText };
  return plain;
}

function deriveQueueView(s: PageState): QueueViewModel {
  const q = s.queue;
  const none: QueueViewModel = { panel: null, slots: null, booked: null, bookedSlotStart: null };
  if (!q) return none;
  const messages = messagesFor(s.language);
  const waitingHere = s.queueRoomId === null && !q.fatal && !q.ended && !s.refused && s.phase !== 'ended';
  return {
    panel: waitingHere && q.pane === 'status' ? panelModel(q, messages) : null,
    slots: q.pane === 'slots' ? slotsModel(q, messages, s.language) : null,
    booked: q.pane === 'booked' ? bookedModel(q, messages, s.language) : null,
    bookedSlotStart: q.booked?.slotStart ?? null,
  };
}

function deriveFlowView(s: PageState): ViewModel {
  const base = { language: s.language, cameraDeclined: s.cameraDeclined, ended: s.endedBy, guidance: null, challenge: null, code: null, soundBlocked: false };
  if (s.phase === 'ended') return { ...base, screen: 'ended', joinState: 'ended', stateText: 'ended', error: null, retry: null };
  if (s.refused) {
    return { ...base, screen: 'none', joinState: 'error', stateText: 'error', error: { kind: 'signal', code: s.refused }, retry: s.refused === 'REPLACED' ? 'continueHere' : null };
  }
  const inCall = s.phase === 'call';
  const callExtras = inCall ? { guidance: s.guidance, challenge: s.challenge, code: s.code, soundBlocked: s.soundBlocked } : {};
  if (s.cameraError) {
    const screen: Screen = inCall ? 'call' : 'none';
    return { ...base, ...callExtras, screen, joinState: 'error', stateText: 'error', error: { kind: 'camera', code: s.cameraError }, retry: 'retry' };
  }
  if (s.cameraStarting) return { ...base, ...callExtras, screen: s.phase, joinState: 'starting', stateText: 'starting', error: null, retry: null };
  let joinState: JoinState;
  let stateText: StateText;
  switch (s.phase) {
    case 'camera-consent':
    case 'recording-consent':
      joinState = 'consent';
      stateText = 'consent';
      break;
    case 'starting':
      joinState = 'starting';
      stateText = 'starting';
      break;
    case 'call':
      if (s.peer === 'connected') {
        // media flows peer to peer: a signaling socket that is reconnecting in the background does not matter to the customer
        joinState = 'connected';
        stateText = 'connected';
      } else if (s.everConnected || (s.everWelcomed && s.link === 'reconnecting')) {
        joinState = 'reconnecting';
        stateText = s.online ? 'reconnecting' : 'offline';
      } else {
        joinState = 'connecting';
        stateText = !s.online ? 'offline' : s.link === 'open' && !s.agentPresent ? 'waitingForAgent' : 'connecting';
      }
      break;
  }
  return { ...base, ...callExtras, screen: s.phase, joinState, stateText, error: null, retry: null };
}

const view = new JoinView(document, {
  onCameraAccept: () => void acceptCamera(),
  onCameraDecline: () => {
    answer('camera', false);
    state.cameraDeclined = true;
    render();
  },
  onRecording: (granted) => {
    answer('recording', granted);
    state.phase = 'call';
    peers.release();
    render();
  },
  onRetry: () => void retry(),
  onLanguageToggle: () => {
    state.language = state.language === 'zh-CN' ? 'en' : 'zh-CN';
    saveLanguage(local, state.language);
    render();
  },
  onTapForSound: () => {
    // inside the tap's gesture, which is what iOS wants for audible playback
    void view.remoteVideo.play().then(
      () => {
        state.soundBlocked = false;
        render();
      },
      () => undefined,
    );
  },
});

const queueView = queueMode
  ? new QueueView(document, {
      onLeave: () => void queueSession?.leave(),
      onOpenCallback: () => void queueSession?.openSlots(),
      onBackToQueue: () => queueSession?.backToStatus(),
      onBook: (slotStart) => void queueSession?.book(slotStart),
    })
  : null;

const appRoot = document.getElementById('app');

function render(): void {
  view.render(deriveView(state));
  queueView?.render(deriveQueueView(state));
  if (appRoot) appRoot.dataset.invalidMessages = String(state.invalidMessages);
}

function countInvalid(): void {
  state.invalidMessages += 1;
  render();
}

// ---- signaling ------------------------------------------------------------------------------------

function sendApp(data: CustomerAppMessage): void {
  signaling?.send({ t: 'app', data });
}

/** Everything the workstation should know about this page; sent on every welcome and when the agent (re)joins. */
function sendAppState(): void {
  if (state.consents.camera) sendApp(state.consents.camera);
  if (state.consents.recording) sendApp(state.consents.recording);
  if (state.stream && state.cameraError !== 'TrackEnded') sendApp(streamReport(state.stream, navigator.userAgent));
  if (state.cameraError) sendApp({ kind: 'media', state: mediaStateFor(state.cameraError) });
  else if (state.stream) sendApp({ kind: 'media', state: 'live' });
}

function answer(subject: Consent['subject'], granted: boolean): void {
  const consent: Consent = { kind: 'consent', subject, granted, language: state.language };
  state.consents[subject] = consent;
  sendApp(consent);
}

function onRelayed(message: RelayedMessage): void {
  switch (message.t) {
    case 'signal':
      peers.handleSignal(message.gen, message.data);
      return;
    case 'peer':
      state.agentPresent = message.state === 'joined';
      if (message.state === 'joined') {
        peers.agentJoined();
        sendAppState();
      }
      render();
      return;
    case 'app': {
      const parsed = AgentAppMessageSchema.safeParse(message.data);
      // customer-kind messages never come back to the customer; anything else is noise
      if (!parsed.success) return countInvalid();
      end('agentEnded');
      return;
    }
    case 'closed':
      end('ended');
      return;
  }
}

let credentials: Credentials | null = null;
let signaling: SignalingClient | null = null;

/** Joins a room with its single-use token: at load for a /join/<roomId> link, at the agent's accept in queue mode. */
function joinRoom(roomId: string, token: string | null): void {
  const roomCredentials = new Credentials(roomId, token, { local, session });
  credentials = roomCredentials;
  signaling = new SignalingClient({
    url: signalingUrl(location, SIGNAL_PATH),
    room: roomId,
    credentials: roomCredentials,
    events: {
      onStatus: (status) => {
        state.link = status;
        render();
      },
      onWelcome: (welcome) => {
        state.everWelcomed = true;
        state.agentPresent = welcome.peerPresent;
        peers.setIce(welcome.iceServers, welcome.iceTransportPolicy);
        sendAppState();
        // answers and candidates produced while the socket was down, if still for the current generation
        signaling?.flushQueue((queued: ClientMessage) => queued.t !== 'signal' || queued.gen === peers.generation);
        render();
      },
      onMessage: onRelayed,
      onRefused: (code) => {
        // Back after a drop to a room the agent closed meanwhile: the service ended, it did not fail.
        if (code === 'ROOM_CLOSED' && state.everWelcomed) return end('agentEnded');
        state.refused = code;
        shutDownMedia();
        render();
      },
      onInvalid: () => countInvalid(),
    },
  });
  signaling.start();
}

// ---- queue (queue mode only) ----------------------------------------------------------------------

function onQueueChange(snapshot: QueueSnapshot): void {
  const before = state.queue;
  state.queue = snapshot;
  if (queueLink?.requestId && snapshot.booked && snapshot.booked !== before?.booked) rememberBookedSlot(local, queueLink.requestId, snapshot.booked);
  if (snapshot.ended && !before?.ended) return end(snapshot.ended === 'finished' ? 'ended' : snapshot.ended);
  if (snapshot.pane === 'booked' && before?.pane !== 'booked') releaseCameraUntilCallback();
  render();
}

/**
 * A booked call-back is minutes or hours away: the camera goes off now (a lit camera light while nobody
 * is coming would alarm anyone), and the consents are asked again when the call-back is due.
 */
function releaseCameraUntilCallback(): void {
  shutDownMedia();
  peers = makePeers();
  state.consents = {};
  state.cameraDeclined = false;
  state.cameraError = null;
  if (state.phase !== 'ended') state.phase = 'camera-consent';
}

const queueSession: QueueSession | null =
  queueLink?.requestId && queueSecret
    ? new QueueSession(
        new QueueApi(queueLink.requestId, queueSecret),
        {
          onChange: onQueueChange,
          onRoom: (roomId) => {
            state.queueRoomId = roomId;
            joinRoom(roomId, queueSecret);
            render();
          },
        },
        Date.now,
        Math.random,
        recallBookedSlot(local, queueLink.requestId),
      )
    : null;
state.queue = queueSession?.current ?? null;

// ---- peer -----------------------------------------------------------------------------------------

function makePeers(): PeerGenerations {
  return new PeerGenerations((options) => new SimplePeer(options), {
    sendSignal: (gen, data) => signaling?.sendOrQueue({ t: 'signal', gen, data }),
    onStatus: (status) => {
      state.peer = status;
      if (status === 'connected') state.everConnected = true;
      render();
    },
    onRemoteStream: (stream) => {
      void view.attach(view.remoteVideo, stream).then((playing) => {
        state.soundBlocked = !playing;
        render();
      });
    },
    onChannelMessage: (message) => {
      switch (message.t) {
        case 'guidance':
          state.guidance = message.key;
          peers.sendToAgent({ t: 'guidance.ack', id: message.id });
          break;
        case 'guidance.clear':
          state.guidance = null;
          break;
        case 'guidance.ack':
          return; // only the customer acknowledges
        case 'challenge':
          state.challenge = { action: message.action, step: message.step, of: message.of, seconds: message.seconds };
          break;
        case 'challenge.clear':
          state.challenge = null;
          break;
        case 'code':
          state.code = message.digits;
          break;
        case 'code.clear':
          state.code = null;
          break;
      }
      render();
    },
    onInvalid: () => countInvalid(),
  });
}

let peers = makePeers();

// ---- camera ---------------------------------------------------------------------------------------

let unwatch: (() => void) | null = null;

function useStream(stream: MediaStream): void {
  unwatch?.();
  const previous = state.stream;
  state.stream = stream;
  state.cameraError = null;
  unwatch = watchStream(stream, () => {
    state.cameraError = 'TrackEnded';
    sendApp({ kind: 'media', state: 'lost' });
    render();
  });
  peers.setStream(stream);
  if (previous && previous !== stream) stopStream(previous);
  void view.attach(view.localPreview, stream);
  sendApp(streamReport(stream, navigator.userAgent));
  sendApp({ kind: 'media', state: 'live' });
}

async function startCamera(): Promise<void> {
  if (state.cameraStarting) return; // a double tap must not open the camera twice
  const inCall = state.phase === 'call';
  if (!inCall) state.phase = 'starting';
  state.cameraError = null;
  state.cameraStarting = true;
  render();
  try {
    if (!SimplePeer.WEBRTC_SUPPORT) throw new CameraError('NotSupportedError', 'no RTCPeerConnection');
    useStream(await openCamera());
    if (!inCall) state.phase = state.consents.recording ? 'call' : 'recording-consent';
  } catch (error) {
    const code: CameraErrorCode = error instanceof CameraError ? error.code : 'UnknownError';
    state.cameraError = code;
    sendApp({ kind: 'media', state: mediaStateFor(code) });
  }
  state.cameraStarting = false;
  if (state.refused || state.phase === 'ended') shutDownMedia();
  render();
}

async function acceptCamera(): Promise<void> {
  answer('camera', true);
  state.cameraDeclined = false;
  await startCamera();
}

async function retry(): Promise<void> {
  if (state.refused === 'REPLACED') {
    // The customer chose this page over the other one: take the seat back with the resume secret.
    state.refused = null;
    state.everConnected = false;
    state.peer = 'waiting';
    peers = makePeers();
    if (state.consents.recording) peers.release();
    signaling?.restart();
    await startCamera();
    return;
  }
  if (state.cameraError) await startCamera();
}

/** Releases camera and peers when the session is over for this page (another tab may need the camera). */
function shutDownMedia(): void {
  unwatch?.();
  unwatch = null;
  peers.destroy();
  stopStream(state.stream);
  state.stream = null;
  state.guidance = null;
  state.challenge = null;
  state.code = null;
  state.soundBlocked = false;
  void view.attach(view.localPreview, null);
  void view.attach(view.remoteVideo, null);
}

function end(by: PageState['endedBy']): void {
  state.phase = 'ended';
  state.endedBy = by;
  state.cameraError = null;
  signaling?.stop();
  // the session is over: a resume secret for it is only clutter on a possibly shared phone
  credentials?.forget();
  queueSession?.stop();
  if (queueLink?.requestId) {
    forgetQueueSecret(session, queueLink.requestId);
    rememberBookedSlot(local, queueLink.requestId, null);
  }
  shutDownMedia();
  render();
}

// ---- page lifecycle -------------------------------------------------------------------------------

window.addEventListener('pagehide', () => {
  // best effort: the socket may already be gone, and the server also sees the close
  sendApp({ kind: 'media', state: 'left' });
});
window.addEventListener('pageshow', (event) => {
  if (!event.persisted) return;
  // restored from the back/forward cache: sockets were closed while frozen
  signaling?.reconnectNow();
  queueSession?.pollNow();
  if (state.stream && state.stream.getTracks().some((track) => track.readyState === 'ended')) {
    state.cameraError = 'TrackEnded';
    render();
  }
});
window.addEventListener('online', () => {
  state.online = true;
  signaling?.reconnectNow();
  queueSession?.pollNow();
  render();
});
window.addEventListener('offline', () => {
  state.online = false;
  render();
});
document.addEventListener('visibilitychange', () => {
  // mobile browsers freeze background tabs; coming back is the moment to reconnect without waiting
  if (document.visibilityState !== 'visible') return;
  signaling?.reconnectNow();
  queueSession?.pollNow();
});

render();
if (queueMode) {
  // no request id or no secret: deriveView shows the invalid-link error (state.queue stays null)
  queueSession?.start();
} else if (!link.roomId) {
  state.refused = 'ROOM_NOT_FOUND';
  render();
} else {
  joinRoom(link.roomId, link.token);
}
