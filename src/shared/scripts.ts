/**
 * 话术 scripts as data (DESIGN.md §9): the schema of the YAML files in resources/scripts/, the events that
 * make a step the suggested one, and the types main and the renderer share. Node-free.
 * Format reference: docs/scripts.md.
 */
import { z } from 'zod';
import { SERVICE_TYPES, type ServiceType } from './cases';
import { QUALITY_ISSUES } from './engine';
import { GUIDANCE_KEYS } from './signaling';

// ---- vocabulary ---------------------------------------------------------------------------------------

/** Active liveness challenges (DESIGN.md §6): one definition, in the data-channel protocol. */
export { CHALLENGE_ACTIONS, type ChallengeAction } from './signaling';

/** Verification and call signals a step can be triggered by (besides the engine's quality issues). */
export const VERIFICATION_SIGNALS = [
  'face_match:pass',
  'face_match:warn',
  'face_match:fail',
  'passive_liveness:fail',
  'active_liveness:fail',
  'face_swap:warn',
  'face_swap:fail',
  'second_face',
  'no_face',
  'id_consistency:warn',
  'id_consistency:fail',
  'challenge:blink',
  'challenge:turn_left',
  'challenge:turn_right',
  'challenge:nod',
  'challenge:open_mouth',
  'spoken_code',
  'call:connected',
  'consent:given',
  'consent:declined',
  'complaint',
  'abuse',
] as const;

/** Every event a `triggers` entry or a branch's `when` may name: quality issues, then verification signals. */
export const SCRIPT_EVENTS = [...QUALITY_ISSUES, ...VERIFICATION_SIGNALS] as const;
export type ScriptEvent = (typeof SCRIPT_EVENTS)[number];

/** Checks a step collects (`requiredChecks`) or a script requires before a case may close as verified. */
export const SCRIPT_CHECKS = [
  'consent',
  'id_document',
  'id_consistency',
  'face_match',
  'passive_liveness',
  'active_liveness',
  'face_swap',
  'spoken_code',
  'presence',
  'agent_confirmation',
] as const;
export type ScriptCheck = (typeof SCRIPT_CHECKS)[number];

/** DESIGN.md §1: the checks each service type requires at least (consult none, query basic, operate/transact full). */
export const REQUIRED_CHECKS_BY_SERVICE: Record<ServiceType, readonly ScriptCheck[]> = {
  consult: [],
  query: ['face_match'],
  operate: ['face_match', 'passive_liveness', 'active_liveness', 'face_swap', 'agent_confirmation'],
  transact: ['face_match', 'passive_liveness', 'active_liveness', 'face_swap', 'agent_confirmation'],
};

/** Service types whose cases may only close after the script's checklist is complete. */
export const CHECKLIST_SERVICES: readonly ServiceType[] = ['operate', 'transact'];

/** Why a case ends at a step that has `closeReason`; the case log records it. */
export const CLOSE_REASONS = ['completed', 'verification_failed', 'consent_declined', 'third_party', 'abuse', 'customer_left'] as const;
export type CloseReason = (typeof CLOSE_REASONS)[number];

/** Placeholders a line may contain as `{name}`; the UI fills them in. */
export const SCRIPT_PLACEHOLDERS = ['agentId', 'hotline'] as const;
export type ScriptPlaceholder = (typeof SCRIPT_PLACEHOLDERS)[number];

/** The shared step and checklist library every script may `use`. */
export const COMMON_FILE = 'common.yaml';
/** Files larger than this are refused unread. */
export const MAX_SCRIPT_FILE_BYTES = 256 * 1024;

// ---- schema -------------------------------------------------------------------------------------------

const ID_PATTERN = /^[a-z][a-z0-9_]{0,47}$/;
const PLACEHOLDER_PATTERN = /\{([^{}]*)\}/g;

const oneOf = (what: string) => (iss: { input?: unknown }) => `unknown ${what} ${JSON.stringify(iss.input)}`;

export const ScriptEventSchema = z.enum(SCRIPT_EVENTS, { error: oneOf('event') });
export const ScriptCheckSchema = z.enum(SCRIPT_CHECKS, { error: oneOf('check') });
export const CloseReasonSchema = z.enum(CLOSE_REASONS, { error: oneOf('close reason') });
export const CustomerPromptSchema = z.enum(GUIDANCE_KEYS, { error: oneOf('customer prompt') });
export const ServiceTypeSchema = z.enum(SERVICE_TYPES, { error: oneOf('service type') });

export const StepIdSchema = z.string().regex(ID_PATTERN, { error: 'must be lower-case letters, digits or _, starting with a letter (at most 48)' });

const text = (max: number) =>
  z
    .string()
    .trim()
    .min(1, { error: 'must not be empty' })
    .max(max, { error: `longer than ${max} characters` });

/** A short text in both UI languages. */
export const LocalTextSchema = z.object({ zh: text(300), en: text(300) }).strict();
export type LocalText = z.infer<typeof LocalTextSchema>;

const placeholders = (line: string) => [...line.matchAll(PLACEHOLDER_PATTERN)].map((m) => m[1] ?? '');
const spokenLines = z.array(text(400)).min(1, { error: 'must have at least one line' }).max(12, { error: 'at most 12 lines' });

/** What the agent says, line by line: zh-CN first, en a line-for-line translation. */
export const LinesSchema = z
  .object({ zh: spokenLines, en: spokenLines })
  .strict()
  .superRefine((lines, ctx) => {
    if (lines.en.length !== lines.zh.length) {
      ctx.addIssue({ code: 'custom', path: ['en'], message: `has ${lines.en.length} lines, zh has ${lines.zh.length}` });
    }
    for (const lang of ['zh', 'en'] as const) {
      lines[lang].forEach((line, i) => {
        for (const name of placeholders(line)) {
          if (!(SCRIPT_PLACEHOLDERS as readonly string[]).includes(name)) {
            ctx.addIssue({ code: 'custom', path: [lang, i], message: `unknown placeholder {${name}} (known: ${SCRIPT_PLACEHOLDERS.join(', ')})` });
          }
        }
      });
    }
    lines.en.forEach((line, i) => {
      const zh = lines.zh[i];
      if (zh === undefined) return;
      const want = [...new Set(placeholders(zh))].sort().join(',');
      const got = [...new Set(placeholders(line))].sort().join(',');
      if (want !== got) ctx.addIssue({ code: 'custom', path: ['en', i], message: `placeholders differ from zh[${i}]` });
    });
  });
export type Lines = z.infer<typeof LinesSchema>;

/** `too_dark` or `{ event: abuse, count: 2 }`: the step is suggested once the event has occurred `count` times. */
export const TriggerSchema = z
  .union([
    z.string().pipe(ScriptEventSchema),
    z.object({ event: ScriptEventSchema, count: z.number().int().min(1).max(10) }).strict(),
  ])
  .transform((t) => (typeof t === 'string' ? { event: t, count: 1 } : t));
export type Trigger = z.infer<typeof TriggerSchema>;

/** A choice the agent can take from a step; `when` makes it the suggested step while this step is current. */
export const BranchSchema = z.object({ label: LocalTextSchema, to: StepIdSchema, when: ScriptEventSchema.optional() }).strict();
export type Branch = z.infer<typeof BranchSchema>;

export const STEP_KINDS = ['main', 'prompt'] as const;
export type StepKind = (typeof STEP_KINDS)[number];

export const StepSchema = z
  .object({
    id: StepIdSchema,
    title: LocalTextSchema,
    /** main: part of the ordered walk-through; prompt: reached only through a trigger or a branch. */
    kind: z.enum(STEP_KINDS, { error: oneOf('step kind') }).default('main'),
    lines: LinesSchema,
    /** For the agent only, never read out. */
    hint: LocalTextSchema.optional(),
    /** Guidance key pushed to the customer's page (plain text there, no scores). */
    customerPrompt: CustomerPromptSchema.optional(),
    triggers: z.array(TriggerSchema).max(16).default([]),
    requiredChecks: z.array(ScriptCheckSchema).max(SCRIPT_CHECKS.length).default([]),
    branches: z.array(BranchSchema).max(8).default([]),
    /** The call ends at this step; the case records the reason. */
    closeReason: CloseReasonSchema.optional(),
  })
  .strict();
export type Step = z.infer<typeof StepSchema>;

/** `- use: greeting` or `- use: [guide_light, guide_blur]`: steps (or checklist items) taken from common.yaml. */
export const UseSchema = z.object({ use: z.union([StepIdSchema, z.array(StepIdSchema).min(1, { error: 'must name at least one id' }).max(64)]) }).strict();
export type Use = z.infer<typeof UseSchema>;

export const ChecklistItemSchema = z
  .object({
    id: StepIdSchema,
    label: LocalTextSchema,
    /** The UI may tick the item once these checks have a result; the agent can always tick it by hand. */
    checks: z.array(ScriptCheckSchema).max(SCRIPT_CHECKS.length).default([]),
    /** Required whatever the case's close reason; otherwise only for a case closing as `completed`. */
    always: z.boolean().default(false),
  })
  .strict();
export type ChecklistItem = z.infer<typeof ChecklistItemSchema>;

const version = z.number().int().min(1).max(1_000_000);

/** One script file: `consult.yaml`, `operate.yaml`, … */
export const ScriptFileSchema = z
  .object({
    /** The file's revision; bump it with every change (the case log records which one the agent saw). */
    version,
    serviceType: ServiceTypeSchema,
    title: LocalTextSchema,
    requiredChecks: z.array(ScriptCheckSchema).max(SCRIPT_CHECKS.length),
    steps: z.array(z.union([StepSchema, UseSchema])).min(1, { error: 'must have at least one step' }).max(100),
    checklist: z.array(z.union([ChecklistItemSchema, UseSchema])).max(40).optional(),
  })
  .strict();
export type ScriptFile = z.infer<typeof ScriptFileSchema>;

/** common.yaml: steps and checklist items that scripts take with `use`. */
export const CommonFileSchema = z
  .object({
    version,
    steps: z.array(StepSchema).max(100).default([]),
    checklist: z.array(ChecklistItemSchema).max(40).default([]),
  })
  .strict();
export type CommonFile = z.infer<typeof CommonFileSchema>;

// ---- loaded scripts -----------------------------------------------------------------------------------

/** A script with its `use` entries resolved, as the loader hands it out. */
export interface Script {
  /** File name inside the scripts folder, e.g. `operate.yaml`. */
  file: string;
  version: number;
  /** Revision of common.yaml it was resolved against; null when it uses nothing from it. */
  commonVersion: number | null;
  serviceType: ServiceType;
  title: LocalText;
  requiredChecks: ScriptCheck[];
  steps: Step[];
  /** Empty when the script has none. */
  checklist: ChecklistItem[];
}

export const SCRIPT_ERROR_CODES = [
  /** The folder or a file could not be read. */
  'read_failed',
  /** Larger than MAX_SCRIPT_FILE_BYTES. */
  'too_large',
  /** Not UTF-8, not YAML, or more than one YAML document. */
  'syntax',
  /** YAML aliases (`*name`) are refused: they are how alias bombs work. */
  'alias',
  /** A field is missing, unknown or of the wrong type or value. */
  'schema',
  /** Two steps or checklist items share an id. */
  'duplicate_id',
  /** A branch or a `use` names a step or item that does not exist. */
  'unknown_ref',
  /** Two steps are triggered by the same event and count. */
  'duplicate_trigger',
  /** Breaks a product rule (DESIGN.md §1/§2): too few required checks, no checklist, no way to close. */
  'policy',
  /** A second script for a service type that already has one. */
  'duplicate_service',
  /** The script uses common.yaml, which is missing or did not load. */
  'dependency',
] as const;
export type ScriptErrorCode = (typeof SCRIPT_ERROR_CODES)[number];

export interface ScriptError {
  /** File name inside the scripts folder (the folder itself for `read_failed` on it). */
  file: string;
  /** 1-based; null when the error is about the whole file. */
  line: number | null;
  column: number | null;
  /** `steps[2].lines.zh`; empty for a whole-file error. */
  field: string;
  message: string;
  code: ScriptErrorCode;
}

/** `consult.yaml:14 steps[2].lines.zh: required` */
export function formatScriptError(e: ScriptError): string {
  return `${e.file}${e.line !== null ? `:${e.line}` : ''}${e.field ? ` ${e.field}` : ''}: ${e.message}`;
}

/** `['steps', 2, 'lines', 'zh']` → `steps[2].lines.zh` */
export function formatFieldPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out ? `.${String(seg)}` : String(seg);
  }
  return out;
}
