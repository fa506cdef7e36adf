import { z } from 'zod';
import { DEFAULT_SHIFT_FACE_CHECK, ShiftFaceCheckSettingsSchema } from './shift';

export const LANGUAGES = ['zh-CN', 'en'] as const;
export type Language = (typeof LANGUAGES)[number];

export const ANALYSIS_WIDTHS = [320, 480, 640] as const;

/** Hosts where plain http never leaves the machine, so a token sent there cannot be read on the wire. */
const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]', 'localhost']);

export const isLoopbackUrl = (url: URL): boolean => LOOPBACK_HOSTS.has(url.hostname.toLowerCase());

/**
 * The backend gets the workstation's API token with every request, so it must be reached over https — except
 * on loopback (a backend on the same machine, the tests, the demo stack).
 */
export function isSecureBackendUrl(value: string): boolean {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  return url.protocol === 'https:' || (url.protocol === 'http:' && isLoopbackUrl(url));
}

/**
 * The refusal for `http://<not loopback>`: one text for both languages, because it reaches the agent both from
 * the renderer's own check and from main's (INVALID_PAYLOAD detail). The renderer shows its own i18n text for it
 * (settings.httpsRequired); this is the fallback and what logs and the CLI print.
 */
export const HTTPS_REQUIRED_MESSAGE = '后台地址必须使用 https（本机 127.0.0.1、::1、localhost 除外） / the backend URL must use https (except 127.0.0.1, ::1, localhost)';

export const BackendUrlSchema = z
  .url({ protocol: /^https?$/ })
  .max(2048)
  .refine(isSecureBackendUrl, { message: HTTPS_REQUIRED_MESSAGE });

export const SettingsSchema = z
  .object({
    language: z.enum(LANGUAGES),
    agentId: z.string().trim().min(1).max(64),
    cameraDeviceId: z.string().max(512).nullable(),
    backendUrl: BackendUrlSchema,
    analysisWidth: z.union(ANALYSIS_WIDTHS.map((w) => z.literal(w)) as [z.ZodLiteral<320>, z.ZodLiteral<480>, z.ZodLiteral<640>]),
    /** The center's face check of the agent at sign-in and at random times of the shift (src/shared/shift.ts); off by default. */
    shiftFaceCheck: ShiftFaceCheckSettingsSchema,
  })
  .strict();

export type Settings = z.infer<typeof SettingsSchema>;

export const SettingsPatchSchema = SettingsSchema.partial().strict();
export type SettingsPatch = z.infer<typeof SettingsPatchSchema>;

export const DEFAULT_SETTINGS: Settings = {
  language: 'zh-CN',
  agentId: 'agent-001',
  cameraDeviceId: null,
  backendUrl: 'http://127.0.0.1:8787',
  analysisWidth: 640,
  shiftFaceCheck: DEFAULT_SHIFT_FACE_CHECK,
};

/** The backend's origin (scheme, host, port: `https://sync.bank.example`), which a token is bound to. */
export function backendOrigin(url: string): string {
  return new URL(url).origin;
}

/**
 * settings.setBackendToken: the token for the backend URL saved right now (null forgets it). Printable ASCII
 * without spaces, which is every bearer token and can never split an HTTP header.
 */
export const SetBackendTokenSchema = z
  .object({
    token: z
      .string()
      .trim()
      .min(1)
      .max(4096)
      .regex(/^[\x21-\x7e]+$/, 'the token is printable ASCII without spaces')
      .nullable(),
  })
  .strict();

/** What the renderer may know about the token: whether one is set for the current backend, never the token. */
export const BackendTokenStateSchema = z.object({
  /** The origin of the saved backendUrl, which the token is bound to. */
  origin: z.string(),
  backendTokenSet: z.boolean(),
});
export type BackendTokenState = z.infer<typeof BackendTokenStateSchema>;
