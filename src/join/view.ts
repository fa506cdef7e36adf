/**
 * The join page's DOM. `render(model)` is a pure function of the page state and the language, so
 * toggling the language or any state change just renders again. Text is always set with
 * textContent: nothing from the network ever becomes markup.
 */
import type { ChallengeAction, GuidanceKey, SignalErrorCode } from '../shared/signaling';
import { messagesFor, type Explained, type Language, type Messages, type ShownSignalError } from './i18n';
import { byId, byTestId } from './dom-lookup';
import type { CameraErrorCode } from './media';
import type { QueueEnd, QueueFatal } from './queue-session';

export const SCREENS = ['camera-consent', 'starting', 'recording-consent', 'call', 'ended', 'none', 'queue-ready', 'queue-slots', 'queue-booked'] as const;
export type Screen = (typeof SCREENS)[number];

/** The `data-state` of `join-state`, as the end-to-end tests read it. */
export type JoinState = 'consent' | 'starting' | 'queued' | 'connecting' | 'connected' | 'reconnecting' | 'ended' | 'error';

export type StateText = keyof Messages['state'];

export type ShownError = { kind: 'camera'; code: CameraErrorCode } | { kind: 'signal'; code: SignalErrorCode } | { kind: 'queue'; code: QueueFatal };

/** How the page ended: the call (by the customer or the agent), or waiting in the queue without a call. */
export type EndedBy = 'ended' | 'agentEnded' | Exclude<QueueEnd, 'finished'>;

export interface ViewModel {
  language: Language;
  screen: Screen;
  cameraDeclined: boolean;
  joinState: JoinState;
  stateText: StateText;
  error: ShownError | null;
  /** The retry button's label, or null to hide it. */
  retry: 'retry' | 'continueHere' | null;
  ended: EndedBy;
  guidance: GuidanceKey | null;
  /** The active challenge's current step (an instruction; the customer never sees a score). */
  challenge: ChallengePrompt | null;
  /** The spoken code to read aloud. */
  code: string | null;
  soundBlocked: boolean;
}

export interface ChallengePrompt {
  action: ChallengeAction;
  step: number;
  of: number;
  seconds: number;
}

export interface ViewHandlers {
  onCameraAccept(): void;
  onCameraDecline(): void;
  onRecording(granted: boolean): void;
  onRetry(): void;
  onLanguageToggle(): void;
  onTapForSound(): void;
}

/** Looks up a dotted key such as `cameraConsent.accept` in the messages. */
function lookup(messages: Messages, path: string): string | null {
  let node: unknown = messages;
  for (const part of path.split('.')) {
    if (typeof node !== 'object' || node === null) return null;
    node = (node as Record<string, unknown>)[part];
  }
  return typeof node === 'string' ? node : null;
}

export function errorText(messages: Messages, error: ShownError): Explained {
  if (error.kind === 'camera') return messages.cameraErrors[error.code];
  if (error.kind === 'queue') return messages.queueErrors[error.code];
  return (messages.signalErrors as Partial<Record<SignalErrorCode, Explained>>)[error.code as ShownSignalError] ?? messages.joinFailed;
}

export class JoinView {
  private readonly app: HTMLElement;
  private readonly joinState: HTMLElement;
  private readonly languageToggle: HTMLButtonElement;
  private readonly screens: HTMLElement[];
  private readonly tips: HTMLElement;
  private readonly declined: HTMLElement;
  private readonly declinedTitle: HTMLElement;
  private readonly declinedBody: HTMLElement;
  private readonly errorPanel: HTMLElement;
  private readonly cameraError: HTMLElement;
  private readonly errorTitle: HTMLElement;
  private readonly errorMessage: HTMLElement;
  private readonly retry: HTMLButtonElement;
  private readonly guidance: HTMLElement;
  private readonly challenge: HTMLElement;
  private readonly code: HTMLElement;
  private readonly tapForSound: HTMLButtonElement;
  private readonly endedTitle: HTMLElement;
  private readonly endedBody: HTMLElement;
  readonly remoteVideo: HTMLVideoElement;
  readonly localPreview: HTMLVideoElement;
  private renderedLanguage: Language | null = null;

  constructor(
    private readonly doc: Document,
    handlers: ViewHandlers,
  ) {
    this.app = byId(doc, 'app');
    this.joinState = byTestId(doc, 'join-state');
    this.languageToggle = byTestId(doc, 'language-toggle');
    this.screens = Array.from(doc.querySelectorAll<HTMLElement>('[data-screen-id]'));
    this.tips = byId(doc, 'consent-tips');
    this.declined = byId(doc, 'camera-declined');
    this.declinedTitle = byId(doc, 'camera-declined-title');
    this.declinedBody = byId(doc, 'camera-declined-body');
    this.errorPanel = byId(doc, 'error-panel');
    this.cameraError = byTestId(doc, 'camera-error');
    this.errorTitle = byId(doc, 'error-title');
    this.errorMessage = byTestId(doc, 'error-message');
    this.retry = byTestId(doc, 'retry');
    this.guidance = byTestId(doc, 'guidance-text');
    this.challenge = byTestId(doc, 'challenge-text');
    this.code = byTestId(doc, 'code-text');
    this.tapForSound = byId(doc, 'tap-for-sound');
    this.endedTitle = byId(doc, 'ended-title');
    this.endedBody = byId(doc, 'ended-body');
    this.remoteVideo = byTestId(doc, 'remote-video');
    this.localPreview = byTestId(doc, 'local-preview');

    // iOS needs these as properties, not only attributes, before a stream is attached.
    for (const video of [this.remoteVideo, this.localPreview]) {
      video.playsInline = true;
      video.autoplay = true;
      video.setAttribute('webkit-playsinline', '');
    }
    this.localPreview.muted = true;
    this.localPreview.defaultMuted = true;

    byTestId(doc, 'consent-camera-accept').addEventListener('click', () => handlers.onCameraAccept());
    byTestId(doc, 'consent-camera-decline').addEventListener('click', () => handlers.onCameraDecline());
    byTestId(doc, 'consent-recording-accept').addEventListener('click', () => handlers.onRecording(true));
    byTestId(doc, 'consent-recording-decline').addEventListener('click', () => handlers.onRecording(false));
    this.retry.addEventListener('click', () => handlers.onRetry());
    this.languageToggle.addEventListener('click', () => handlers.onLanguageToggle());
    this.tapForSound.addEventListener('click', () => handlers.onTapForSound());
  }

  render(model: ViewModel): void {
    const messages = messagesFor(model.language);
    if (this.renderedLanguage !== model.language) this.renderStaticTexts(model.language, messages);

    this.app.dataset.screen = model.screen;
    this.app.classList.toggle('with-error', model.error !== null);
    for (const screen of this.screens) screen.hidden = screen.dataset.screenId !== model.screen;

    this.joinState.dataset.state = model.joinState;
    this.joinState.textContent = messages.state[model.stateText];

    this.declined.hidden = !model.cameraDeclined;
    this.declinedTitle.textContent = messages.cameraDeclined.title;
    this.declinedBody.textContent = messages.cameraDeclined.body;

    if (model.error) {
      const text = errorText(messages, model.error);
      this.errorPanel.hidden = false;
      this.cameraError.hidden = model.error.kind !== 'camera';
      this.errorTitle.textContent = text.title;
      this.errorMessage.textContent = text.body;
      this.errorMessage.dataset.code = model.error.code;
    } else {
      this.errorPanel.hidden = true;
      this.cameraError.hidden = true;
      this.errorMessage.dataset.code = '';
    }
    this.retry.hidden = model.retry === null;
    this.retry.textContent = model.retry === 'continueHere' ? messages.continueHere : messages.retry;

    const ended = model.ended === 'agentEnded' ? messages.agentEnded : model.ended === 'ended' ? messages.ended : messages.queueEnded[model.ended];
    this.endedTitle.textContent = ended.title;
    this.endedBody.textContent = ended.body;

    this.guidance.hidden = model.guidance === null;
    this.guidance.dataset.key = model.guidance ?? '';
    this.guidance.textContent = model.guidance ? messages.guidance[model.guidance] : '';

    const challenge = model.challenge;
    this.challenge.hidden = challenge === null;
    this.challenge.dataset.action = challenge?.action ?? '';
    this.challenge.textContent = challenge
      ? messages.challengeStep.replace('{step}', String(challenge.step)).replace('{of}', String(challenge.of)).replace('{action}', messages.challenge[challenge.action]).replace('{seconds}', String(challenge.seconds))
      : '';
    this.code.hidden = model.code === null;
    this.code.dataset.code = model.code ?? '';
    this.code.textContent = model.code ? messages.spokenCode.replace('{digits}', model.code.split('').join(' ')) : '';

    this.tapForSound.hidden = !model.soundBlocked;
  }

  /** Attaches (or detaches) a stream; resolves false when the browser refused to start playback. */
  async attach(video: HTMLVideoElement, stream: MediaStream | null): Promise<boolean> {
    if (video.srcObject !== stream) video.srcObject = stream;
    if (!stream) return true;
    try {
      await video.play();
      return true;
    } catch (error) {
      // AbortError: a newer srcObject replaced this one; not a refusal
      return error instanceof DOMException && error.name === 'AbortError';
    }
  }

  private renderStaticTexts(language: Language, messages: Messages): void {
    this.renderedLanguage = language;
    this.doc.documentElement.lang = language;
    this.doc.title = messages.title;
    for (const element of Array.from(this.doc.querySelectorAll<HTMLElement>('[data-i18n]'))) {
      const text = lookup(messages, element.dataset.i18n ?? '');
      if (text !== null) element.textContent = text;
    }
    this.languageToggle.textContent = messages.languageToggle;
    this.languageToggle.lang = language === 'zh-CN' ? 'en' : 'zh-CN';
    this.tips.replaceChildren(
      ...messages.cameraConsent.tips.map((tip) => {
        const item = this.doc.createElement('li');
        item.textContent = tip;
        return item;
      }),
    );
  }
}
