/**
 * The join page's texts, Simplified Chinese first (DESIGN.md §9: zh-CN by default, English
 * selectable). Typed so that a missing translation, guidance key or error code fails the typecheck
 * instead of showing a raw key to a bank customer.
 */
import type { ChallengeAction, GuidanceKey, SignalErrorCode } from '../shared/signaling';
import type { CameraErrorCode } from './media';
import type { QueueFatal } from './queue-session';

export const LANGUAGES = ['zh-CN', 'en'] as const;
export type Language = (typeof LANGUAGES)[number];
export const DEFAULT_LANGUAGE: Language = 'zh-CN';

export const isLanguage = (value: unknown): value is Language => value === 'zh-CN' || value === 'en';

/** A message the customer can act on: what happened and what to do now. */
export interface Explained {
  title: string;
  body: string;
}

/** Signaling refusals the customer sees; transient ones (UNAVAILABLE, RATE_LIMITED, …) only show as "reconnecting". */
export type ShownSignalError = Extract<
  SignalErrorCode,
  'TOKEN_USED' | 'TOKEN_EXPIRED' | 'TOKEN_INVALID' | 'ROOM_NOT_FOUND' | 'ROOM_CLOSED' | 'ROOM_EXPIRED' | 'ROOM_FULL' | 'REPLACED' | 'UNAUTHENTICATED' | 'FORBIDDEN'
>;

export interface Messages {
  title: string;
  /** The toggle shows the language it switches to, in that language. */
  languageToggle: string;
  cameraConsent: { heading: string; body: string; tips: string[]; accept: string; decline: string };
  cameraDeclined: Explained;
  starting: { heading: string; body: string };
  recordingConsent: { heading: string; body: string; note: string; accept: string; decline: string };
  state: {
    consent: string;
    starting: string;
    connecting: string;
    waitingForAgent: string;
    connected: string;
    reconnecting: string;
    offline: string;
    ended: string;
    error: string;
    /** Queue mode, before an agent accepted. */
    queued: string;
    queueRetrying: string;
    callbackBooked: string;
  };
  remoteLabel: string;
  localLabel: string;
  tapForSound: string;
  retry: string;
  continueHere: string;
  ended: Explained;
  agentEnded: Explained;
  /** A refusal without its own text. */
  joinFailed: Explained;
  signalErrors: Record<ShownSignalError, Explained>;
  cameraErrors: Record<CameraErrorCode, Explained>;
  guidance: Record<GuidanceKey, string>;
  /** Active challenge: '{step}/{of} {action} {seconds}' placeholders. */
  challengeStep: string;
  challenge: Record<ChallengeAction, string>;
  /** '{digits}' placeholder: the spoken code, spaced for reading. */
  spokenCode: string;
  /** Queue mode (/join/q/<requestId>): placeholders '{n}' people ahead, '{m}' minutes. */
  queue: {
    heading: string;
    next: string;
    ahead: string;
    positionUnknown: string;
    connecting: string;
    wait: string;
    waitUnknown: string;
    retrying: string;
    actionFailed: string;
    hint: string;
    leave: string;
    callbackOpen: string;
    ready: Explained;
  };
  /** Call-back booking: '{free}' places left, '{slot}' the slot in local time, '{minutes}' before the slot. */
  callback: {
    heading: string;
    body: string;
    loading: string;
    empty: string;
    full: string;
    failed: string;
    free: string;
    back: string;
    confirmedHeading: string;
    confirmedSlot: string;
    confirmedUnknownSlot: string;
    confirmedNote: string;
  };
  /** How waiting ended without a call. */
  queueEnded: { left: Explained; abandoned: Explained; closed: Explained };
  queueErrors: Record<QueueFatal, Explained>;
}

const zhCN: Messages = {
  title: '视频服务',
  languageToggle: 'English',
  cameraConsent: {
    heading: '开启摄像头和麦克风',
    body: '工作人员将通过视频与您沟通，并核实您的身份。为此需要使用您设备的摄像头和麦克风，画面和声音仅用于本次服务。',
    tips: ['请在光线充足、安静的地方', '请确保画面中只有您本人', '请准备好您的身份证件'],
    accept: '同意并开启摄像头',
    decline: '不同意',
  },
  cameraDeclined: {
    title: '未开启摄像头',
    body: '视频服务需要使用摄像头和麦克风。如需继续，请点击“同意并开启摄像头”；您也可以携带身份证件前往网点办理。',
  },
  starting: { heading: '正在开启摄像头…', body: '如浏览器询问是否允许使用摄像头和麦克风，请选择“允许”。' },
  recordingConsent: {
    heading: '录音录像授权',
    body: '根据金融监管要求，本次视频服务将全程录音录像，用于核实您的身份、确认您的真实意愿并保障您的权益。录像加密保存，仅在依法需要时调阅。',
    note: '如不同意，部分业务可能无法通过视频办理，工作人员会向您说明其他办理方式。',
    accept: '同意录音录像',
    decline: '不同意',
  },
  state: {
    consent: '请阅读并授权',
    starting: '正在开启摄像头',
    connecting: '正在连接',
    waitingForAgent: '正在等待工作人员接入…',
    connected: '已连接',
    reconnecting: '网络不稳定，正在重新连接',
    offline: '网络已断开，恢复后将自动重新连接',
    ended: '视频服务已结束',
    error: '出现问题',
    queued: '排队中',
    queueRetrying: '网络中断，正在重试',
    callbackBooked: '已预约回电',
  },
  remoteLabel: '工作人员',
  localLabel: '我',
  tapForSound: '点击开启声音',
  retry: '重试',
  continueHere: '在此页面继续',
  ended: { title: '视频服务已结束', body: '感谢您的耐心配合，您现在可以关闭此页面。' },
  agentEnded: { title: '视频服务已结束', body: '工作人员已结束本次视频服务。感谢您的配合，您现在可以关闭此页面。' },
  joinFailed: { title: '无法加入视频服务', body: '请稍后重新打开链接，或联系工作人员重新发送链接。' },
  signalErrors: {
    TOKEN_USED: { title: '此链接已使用', body: '为保护您的安全，每个链接只能打开一次。请联系工作人员重新发送链接。' },
    TOKEN_EXPIRED: { title: '此链接已过期', body: '链接的有效时间已过。请联系工作人员重新发送链接。' },
    TOKEN_INVALID: { title: '链接无效', body: '链接无效或不完整。请确认打开的是收到的完整链接，或联系工作人员重新发送。' },
    ROOM_NOT_FOUND: { title: '找不到本次视频服务', body: '请确认链接是否正确，或联系工作人员重新发送链接。' },
    ROOM_CLOSED: { title: '视频服务已结束', body: '本次视频服务已结束，无法再次加入。如需继续办理，请重新联系客服。' },
    ROOM_EXPIRED: { title: '视频服务已超时', body: '本次视频服务已超过有效时间并自动结束。如需继续办理，请重新联系客服。' },
    ROOM_FULL: { title: '已有其他设备加入', body: '本次视频服务已在其他设备上进行。如不是您本人操作，请立即联系客服。' },
    REPLACED: { title: '已在其他页面打开', body: '本次视频服务已在其他页面或设备上打开，本页面已停止。请在新页面继续；如需回到此页面，请点击“在此页面继续”。' },
    UNAUTHENTICATED: { title: '无法验证链接', body: '无法验证您的链接。请联系工作人员重新发送链接。' },
    FORBIDDEN: { title: '无法加入', body: '此链接不能加入本次视频服务。请联系工作人员重新发送链接。' },
  },
  cameraErrors: {
    NotAllowedError: {
      title: '无法使用摄像头：未获得授权',
      body: '请允许本页面使用摄像头和麦克风后点击“重试”。iPhone：设置 › Safari 浏览器 › 摄像头/麦克风 › 允许；在微信中打开：手机设置 › 微信 › 允许使用相机和麦克风；安卓：点击地址栏左侧的图标或在系统设置中允许。',
    },
    SecurityError: {
      title: '无法使用摄像头：未获得授权',
      body: '浏览器禁止本页面使用摄像头。请用手机自带浏览器或最新版微信打开链接，并允许使用摄像头和麦克风后点击“重试”。',
    },
    NotFoundError: {
      title: '未找到摄像头或麦克风',
      body: '请确认设备带有摄像头和麦克风（电脑请检查是否已连接），然后点击“重试”。',
    },
    OverconstrainedError: {
      title: '摄像头无法使用',
      body: '没有找到符合要求的摄像头。请更换设备或连接其他摄像头后点击“重试”。',
    },
    NotReadableError: {
      title: '摄像头正被占用',
      body: '摄像头或麦克风正被其他应用使用。请关闭正在使用它们的应用（如视频通话、相机、录屏），然后点击“重试”。',
    },
    TrackEnded: {
      title: '摄像头已断开',
      body: '通话中摄像头或麦克风断开了（可能被其他应用占用，或设备已拔出）。请检查后点击“重试”，通话会继续进行。',
    },
    NotSupportedError: {
      title: '当前浏览器不支持视频',
      body: '请使用手机自带浏览器（如 Safari、Chrome）或最新版微信打开此链接，并确认链接以 https 开头。',
    },
    UnknownError: { title: '摄像头启动失败', body: '请点击“重试”。如仍无法使用，请关闭浏览器后重新打开链接。' },
  },
  challengeStep: '第 {step}/{of} 步：{action}（{seconds} 秒内）',
  challenge: {
    blink: '请自然地眨眨眼',
    turn_left: '请慢慢把头转向左边，再转回来',
    turn_right: '请慢慢把头转向右边，再转回来',
    nod: '请慢慢点一下头',
    open_mouth: '请张一下嘴，再合上',
  },
  spokenCode: '请大声读出这组数字：{digits}',
  queue: {
    heading: '正在为您排队',
    next: '您是下一位，请稍候',
    ahead: '您前面还有 {n} 位',
    positionUnknown: '正在为您排队，请稍候',
    connecting: '正在为您接通',
    wait: '预计等待 约 {m} 分钟',
    waitUnknown: '正在估算等待时间',
    retrying: '网络中断，正在重试。您的排队位置会为您保留。',
    actionFailed: '操作未成功，请检查网络后重试。',
    hint: '排队期间请不要关闭此页面。不方便等待时，可以预约回电。',
    leave: '离开排队',
    callbackOpen: '预约回电',
    ready: { title: '已准备就绪', body: '工作人员接通后视频将自动开始，请不要关闭此页面。' },
  },
  callback: {
    heading: '预约回电',
    body: '请选择方便的时间（按您设备的当地时间显示），届时工作人员将与您视频连线。',
    loading: '正在加载可预约时段…',
    empty: '暂时没有可预约的时段。您可以返回继续排队，或稍后再试。',
    full: '该时段刚刚约满，请选择其他时段。',
    failed: '可预约时段加载失败，请检查网络后重试。',
    free: '剩余 {free} 个',
    back: '返回排队',
    confirmedHeading: '已预约回电',
    confirmedSlot: '预约时间：{slot}',
    confirmedUnknownSlot: '您已预约回电。',
    confirmedNote: '请在预约时间前 {minutes} 分钟起，用同一链接重新打开本页面，届时将优先为您接通。现在可以关闭此页面。',
  },
  queueEnded: {
    left: { title: '您已离开排队', body: '如需继续办理，请重新联系客服。您现在可以关闭此页面。' },
    abandoned: { title: '排队已结束', body: '由于长时间未收到您的页面响应，本次排队已结束。如需继续办理，请重新联系客服。' },
    closed: { title: '本次服务已关闭', body: '本次排队或预约回电已关闭。如需继续办理，请重新联系客服。' },
  },
  queueErrors: {
    NOT_FOUND: { title: '找不到您的排队信息', body: '请确认打开的是收到的完整链接，或重新联系客服。' },
    UNAUTHENTICATED: { title: '无法验证链接', body: '链接无效或不完整。请确认打开的是收到的完整链接，或重新联系客服。' },
    FORBIDDEN: { title: '无法使用此链接', body: '此链接不能用于本次排队。请重新联系客服。' },
    LINK_INVALID: { title: '链接无效', body: '链接无效或不完整。请确认打开的是收到的完整链接，或重新联系客服。' },
  },
  guidance: {
    move_to_light: '请移到光线充足处',
    avoid_backlight: '请避免背光，不要背对窗户或灯光',
    hold_still: '请保持不动',
    come_closer: '请靠近一点',
    move_back: '请稍微后退一点',
    face_camera: '请正对摄像头',
    turn_left_slowly: '请缓慢向左转头',
    turn_right_slowly: '请缓慢向右转头',
    blink: '请眨眨眼',
    open_mouth: '请张张嘴',
    nod: '请点点头',
    remove_obstruction: '请移开脸部遮挡物（如口罩、帽子、手）',
    only_you: '请确保画面中只有您本人',
    show_id_front: '请出示身份证人像面',
    show_id_back: '请出示身份证国徽面',
    cover_face_briefly: '请用手在脸前慢慢挡一下，再移开',
  },
};

const en: Messages = {
  title: 'Video service',
  languageToggle: '中文',
  cameraConsent: {
    heading: 'Turn on camera and microphone',
    body: 'Our staff will talk with you over video and verify your identity. This needs your device’s camera and microphone; picture and sound are used only for this service.',
    tips: ['Find a bright, quiet place', 'Make sure only you are in the picture', 'Have your ID card ready'],
    accept: 'Agree and turn on camera',
    decline: 'Decline',
  },
  cameraDeclined: {
    title: 'Camera not turned on',
    body: 'The video service needs your camera and microphone. To continue, tap “Agree and turn on camera”; you can also visit a branch with your ID card.',
  },
  starting: { heading: 'Turning on the camera…', body: 'If the browser asks to use the camera and microphone, choose “Allow”.' },
  recordingConsent: {
    heading: 'Consent to recording',
    body: 'Financial regulations require this video service to be recorded (video and audio) to verify your identity, confirm your intentions and protect your rights. Recordings are stored encrypted and viewed only when legally required.',
    note: 'If you decline, some services may not be available over video; our staff will explain other ways to complete them.',
    accept: 'Agree to recording',
    decline: 'Decline',
  },
  state: {
    consent: 'Please read and agree',
    starting: 'Turning on the camera',
    connecting: 'Connecting',
    waitingForAgent: 'Waiting for our staff to join…',
    connected: 'Connected',
    reconnecting: 'Unstable network, reconnecting',
    offline: 'You are offline; we will reconnect automatically',
    ended: 'The video service has ended',
    error: 'Something went wrong',
    queued: 'In the queue',
    queueRetrying: 'Network interrupted, retrying',
    callbackBooked: 'Call-back booked',
  },
  remoteLabel: 'Staff',
  localLabel: 'You',
  tapForSound: 'Tap to turn on sound',
  retry: 'Try again',
  continueHere: 'Continue on this page',
  ended: { title: 'The video service has ended', body: 'Thank you for your patience. You can close this page now.' },
  agentEnded: { title: 'The video service has ended', body: 'Our staff ended this video service. Thank you; you can close this page now.' },
  joinFailed: { title: 'Could not join the video service', body: 'Please open the link again later, or ask our staff to send a new one.' },
  signalErrors: {
    TOKEN_USED: { title: 'This link has already been used', body: 'For your security each link opens only once. Please ask our staff to send you a new link.' },
    TOKEN_EXPIRED: { title: 'This link has expired', body: 'The link is no longer valid. Please ask our staff to send you a new link.' },
    TOKEN_INVALID: { title: 'Invalid link', body: 'The link is invalid or incomplete. Make sure you opened the whole link you received, or ask our staff to send a new one.' },
    ROOM_NOT_FOUND: { title: 'Video service not found', body: 'Please check the link, or ask our staff to send a new one.' },
    ROOM_CLOSED: { title: 'The video service has ended', body: 'This video service has ended and cannot be joined again. To continue, please contact customer service again.' },
    ROOM_EXPIRED: { title: 'The video service has timed out', body: 'This video service ran past its time limit and ended. To continue, please contact customer service again.' },
    ROOM_FULL: { title: 'Another device has joined', body: 'This video service is already in progress on another device. If that was not you, contact customer service right away.' },
    REPLACED: { title: 'Opened on another page', body: 'This video service was opened on another page or device, so this page has stopped. Continue there, or tap “Continue on this page” to come back here.' },
    UNAUTHENTICATED: { title: 'The link could not be verified', body: 'Please ask our staff to send you a new link.' },
    FORBIDDEN: { title: 'Cannot join', body: 'This link cannot join this video service. Please ask our staff to send you a new link.' },
  },
  cameraErrors: {
    NotAllowedError: {
      title: 'Camera blocked: permission denied',
      body: 'Allow this page to use the camera and microphone, then tap “Try again”. iPhone: Settings › Safari › Camera/Microphone › Allow; in WeChat: phone Settings › WeChat › allow Camera and Microphone; Android: tap the icon left of the address bar or allow it in system settings.',
    },
    SecurityError: {
      title: 'Camera blocked: permission denied',
      body: 'The browser does not let this page use the camera. Open the link in your phone’s own browser or the latest WeChat, allow camera and microphone, then tap “Try again”.',
    },
    NotFoundError: {
      title: 'No camera or microphone found',
      body: 'Make sure your device has a camera and a microphone (on a computer, check that they are plugged in), then tap “Try again”.',
    },
    OverconstrainedError: {
      title: 'Camera cannot be used',
      body: 'No suitable camera was found. Use another device or connect another camera, then tap “Try again”.',
    },
    NotReadableError: {
      title: 'Camera is busy',
      body: 'Another app is using the camera or microphone. Close it (video calls, camera, screen recording), then tap “Try again”.',
    },
    TrackEnded: {
      title: 'Camera disconnected',
      body: 'The camera or microphone stopped during the call (another app may have taken it, or it was unplugged). Check it and tap “Try again”; the call continues.',
    },
    NotSupportedError: {
      title: 'This browser does not support video',
      body: 'Open this link in your phone’s own browser (Safari, Chrome) or the latest WeChat, and make sure it starts with https.',
    },
    UnknownError: { title: 'The camera did not start', body: 'Tap “Try again”. If it still fails, close the browser and open the link again.' },
  },
  challengeStep: 'Step {step} of {of}: {action} (within {seconds} s)',
  challenge: {
    blink: 'Please blink naturally',
    turn_left: 'Please slowly turn your head to the left, then back',
    turn_right: 'Please slowly turn your head to the right, then back',
    nod: 'Please nod slowly once',
    open_mouth: 'Please open your mouth, then close it',
  },
  spokenCode: 'Please read these digits aloud: {digits}',
  queue: {
    heading: 'You are in the queue',
    next: 'You are next, please hold on',
    ahead: '{n} ahead of you',
    positionUnknown: 'You are in the queue, please hold on',
    connecting: 'Connecting you now',
    wait: 'Estimated wait: about {m} min',
    waitUnknown: 'Estimating the wait',
    retrying: 'Network interrupted, retrying. Your place in the queue is kept.',
    actionFailed: 'That did not go through. Check your network and try again.',
    hint: 'Please keep this page open while you wait. If you cannot wait, book a call-back.',
    leave: 'Leave the queue',
    callbackOpen: 'Book a call-back',
    ready: { title: 'All set', body: 'The video starts as soon as our staff answers. Please keep this page open.' },
  },
  callback: {
    heading: 'Book a call-back',
    body: 'Choose a time that suits you (shown in your device’s local time); our staff will call you by video then.',
    loading: 'Loading available times…',
    empty: 'No times are available right now. Go back to the queue, or try again later.',
    full: 'That time was just taken. Please choose another.',
    failed: 'Could not load the available times. Check your network and try again.',
    free: '{free} left',
    back: 'Back to the queue',
    confirmedHeading: 'Call-back booked',
    confirmedSlot: 'Your time: {slot}',
    confirmedUnknownSlot: 'Your call-back is booked.',
    confirmedNote: 'From {minutes} minutes before your time, open this same link again and you will be connected first. You can close this page now.',
  },
  queueEnded: {
    left: { title: 'You left the queue', body: 'To continue, please contact customer service again. You can close this page now.' },
    abandoned: { title: 'Your place in the queue has ended', body: 'We did not hear from this page for a while, so the queue ended. To continue, please contact customer service again.' },
    closed: { title: 'This service is closed', body: 'This queue or call-back has been closed. To continue, please contact customer service again.' },
  },
  queueErrors: {
    NOT_FOUND: { title: 'Your place in the queue was not found', body: 'Make sure you opened the whole link you received, or contact customer service again.' },
    UNAUTHENTICATED: { title: 'The link could not be verified', body: 'The link is invalid or incomplete. Make sure you opened the whole link you received, or contact customer service again.' },
    FORBIDDEN: { title: 'This link cannot be used', body: 'This link does not belong to this queue. Please contact customer service again.' },
    LINK_INVALID: { title: 'Invalid link', body: 'The link is invalid or incomplete. Make sure you opened the whole link you received, or contact customer service again.' },
  },
  guidance: {
    move_to_light: 'Please move to a brighter place',
    avoid_backlight: 'Please avoid backlight: no window or lamp behind you',
    hold_still: 'Please hold still',
    come_closer: 'Please come a little closer',
    move_back: 'Please move back a little',
    face_camera: 'Please face the camera',
    turn_left_slowly: 'Please slowly turn your head to the left',
    turn_right_slowly: 'Please slowly turn your head to the right',
    blink: 'Please blink',
    open_mouth: 'Please open your mouth',
    nod: 'Please nod',
    remove_obstruction: 'Please remove anything covering your face (mask, hat, hand)',
    only_you: 'Please make sure only you are in the picture',
    show_id_front: 'Please show the photo side of your ID card',
    show_id_back: 'Please show the back (national emblem side) of your ID card',
    cover_face_briefly: 'Please move your hand slowly in front of your face, then away',
  },
};

export const MESSAGES: Record<Language, Messages> = { 'zh-CN': zhCN, en };

export const messagesFor = (language: Language): Messages => MESSAGES[language];
