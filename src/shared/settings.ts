import { z } from 'zod';

export const LANGUAGES = ['zh-CN', 'en'] as const;
export type Language = (typeof LANGUAGES)[number];

export const ANALYSIS_WIDTHS = [320, 480, 640] as const;

export const SettingsSchema = z
  .object({
    language: z.enum(LANGUAGES),
    agentId: z.string().trim().min(1).max(64),
    cameraDeviceId: z.string().max(512).nullable(),
    backendUrl: z.url({ protocol: /^https?$/ }).max(2048),
    analysisWidth: z.union(ANALYSIS_WIDTHS.map((w) => z.literal(w)) as [z.ZodLiteral<320>, z.ZodLiteral<480>, z.ZodLiteral<640>]),
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
};
