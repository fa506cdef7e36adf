/**
 * models/manifest.json: which ONNX files the engine needs and their sha256 (DESIGN.md §5).
 * Used by the engine at load time and by scripts/fetch-models.ts.
 */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { AppFailure } from '../../shared/errors';

export const MODEL_FIX_HINT = 'run `npm run models` to download and verify the models';

const ModelEntrySchema = z.object({
  file: z.string().regex(/^[\w.-]+\.onnx$/),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  bytes: z.number().int().positive(),
  required: z.boolean(),
  input: z.object({ name: z.string(), shape: z.array(z.number().int()) }).passthrough(),
  outputs: z.array(z.object({ name: z.string(), shape: z.array(z.number().int()), meaning: z.string() })),
});

export const ManifestSchema = z.object({
  source: z.object({
    package: z.string(),
    version: z.string(),
    integrity: z.string().startsWith('sha512-'),
    pathInPackage: z.string(),
  }),
  models: z.record(z.string(), ModelEntrySchema),
});
export type Manifest = z.infer<typeof ManifestSchema>;
export type ModelEntry = z.infer<typeof ModelEntrySchema>;

/**
 * Models the per-frame and still-image pipelines use. fr_age and fr_gender are `required: false` in the
 * manifest: without their files the engine runs and age/gender are simply absent (see loadableModels).
 */
export const ENGINE_MODELS = ['fr_detect', 'fr_landmark', 'fr_feature', 'fr_liveness', 'fr_eye', 'fr_pose', 'fr_age', 'fr_gender'] as const;
export type EngineModelName = (typeof ENGINE_MODELS)[number];

/**
 * Finds the repository's (or the installed app's) models/ folder: $VERIDESK_MODELS_DIR, else the first
 * models/manifest.json found walking up from this module and from the working directory.
 */
export function defaultModelsDir(): string {
  const env = process.env.VERIDESK_MODELS_DIR;
  if (env) return resolve(env);
  const starts = [dirname(fileURLToPath(import.meta.url)), process.cwd()];
  for (const start of starts) {
    let dir = start;
    for (;;) {
      if (existsSync(join(dir, 'models', 'manifest.json'))) return join(dir, 'models');
      const parent = dirname(dir);
      if (parent === dir) break;
      dir = parent;
    }
  }
  return resolve('models');
}

export function loadManifest(modelsDir: string): Manifest {
  const path = join(modelsDir, 'manifest.json');
  let raw: string;
  try {
    raw = readFileSync(path, 'utf8');
  } catch {
    throw new AppFailure('UNAVAILABLE', `model manifest ${path} is missing; the models folder is incomplete (${MODEL_FIX_HINT})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new AppFailure('CORRUPT_INPUT', `model manifest ${path} is not valid JSON`);
  }
  const parsed = ManifestSchema.safeParse(json);
  if (!parsed.success) throw new AppFailure('CORRUPT_INPUT', `model manifest ${path} is malformed: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  return parsed.data;
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export function sha256Bytes(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * Checks one model file against the manifest. Throws an AppFailure that names the file and the fix.
 * Returns the file's bytes (read once: hashed and handed to onnxruntime).
 */
export function readVerifiedModel(modelsDir: string, name: string, manifest: Manifest): Uint8Array {
  const entry = manifest.models[name];
  if (!entry) throw new AppFailure('UNAVAILABLE', `model ${name} is not listed in ${join(modelsDir, 'manifest.json')}`);
  const path = join(modelsDir, entry.file);
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch {
    throw new AppFailure('UNAVAILABLE', `model file ${path} is missing: ${MODEL_FIX_HINT}`);
  }
  const actual = sha256Bytes(bytes);
  if (actual !== entry.sha256) {
    throw new AppFailure('UNAVAILABLE', `model file ${path} is corrupt (sha256 ${actual.slice(0, 12)}… ≠ manifest ${entry.sha256.slice(0, 12)}…): ${MODEL_FIX_HINT}`);
  }
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** An engine model listed with `required: false` (the engine works without it). */
export function isOptionalModel(manifest: Manifest, name: string): boolean {
  return manifest.models[name]?.required === false;
}

/**
 * The models of `names` to load: every required one (readVerifiedModel then fails loudly if its file is
 * missing or corrupt), and the optional ones whose file exists. An optional model that is present is still
 * verified like any other, so a corrupt file is refused, never silently skipped.
 */
export function loadableModels<T extends string>(modelsDir: string, names: readonly T[], manifest: Manifest = loadManifest(modelsDir)): T[] {
  return names.filter((name) => {
    const entry = manifest.models[name];
    return !entry || entry.required || existsSync(join(modelsDir, entry.file));
  });
}

/**
 * Whether model files exist (cheap; no hashing). For tests that skip without models. By default: every
 * required engine model (an optional one such as fr_age may be missing); with `names`: each of those.
 */
export function modelsPresent(modelsDir = defaultModelsDir(), names?: readonly string[]): boolean {
  try {
    const manifest = loadManifest(modelsDir);
    const wanted = names ?? ENGINE_MODELS.filter((name) => !isOptionalModel(manifest, name));
    return wanted.every((name) => {
      const entry = manifest.models[name];
      return entry !== undefined && existsSync(join(modelsDir, entry.file));
    });
  } catch {
    return false;
  }
}
