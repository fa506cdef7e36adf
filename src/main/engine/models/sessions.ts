/**
 * ONNX sessions for a chosen set of models, on the first execution provider that loads all of them
 * (DESIGN.md §5: DirectML / CUDA / WebGPU / CoreML, always CPU last). Which providers were tried and why
 * each was or was not used is returned as probes for the UI and the logs. Only the models asked for are
 * loaded: the embedding thread holds fr_feature alone. This is the only module that imports onnxruntime.
 */
import * as ort from 'onnxruntime-node';
import { AppFailure } from '../../../shared/errors';
import { loadableModels, loadManifest, readVerifiedModel, type EngineModelName } from '../manifest';
import type { ProviderProbe } from '../protocol';
import { providerCandidates, type ProviderName } from '../providers';
import type { ModelOutputs, RunModel } from './run-model';

export interface SessionOptions {
  modelsDir: string;
  models: readonly EngineModelName[];
  intraOpThreads?: number;
  /** Candidates in order of preference (default: providerCandidates() for this platform). */
  providers?: ProviderName[];
}

export interface ModelSessions {
  run: RunModel;
  provider: ProviderName;
  probes: ProviderProbe[];
  /** sha256 of each loaded model file (as verified against models/manifest.json). */
  modelSha256: Record<string, string>;
  release(): Promise<void>;
}

/** No provider could load every model; `probes` says what happened with each (for the initError reply). */
export class SessionLoadFailure extends AppFailure {
  constructor(
    message: string,
    readonly probes: ProviderProbe[],
  ) {
    super('UNAVAILABLE', message);
  }
}

type Sessions = Partial<Record<EngineModelName, ort.InferenceSession>>;

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

function sessionOptions(provider: ProviderName, intraOpThreads: number): ort.InferenceSession.SessionOptions {
  return {
    executionProviders: provider === 'cpu' ? ['cpu'] : [provider, 'cpu'],
    intraOpNumThreads: intraOpThreads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
    logSeverityLevel: 3,
    // Each model has its own intra-op pool; spinning workers of six pools starve each other (and the
    // video) on a 2-core PC, so idle pool threads sleep instead.
    extra: { session: { intra_op: { allow_spinning: '0' } } },
  };
}

function runner(sessions: Sessions): RunModel {
  return async (name, input, dims) => {
    const session = sessions[name];
    if (!session) throw new AppFailure('INTERNAL', `model ${name} is not loaded in this session set`);
    const result = await session.run({ [session.inputNames[0]!]: new ort.Tensor('float32', input, dims) });
    const outputs: ModelOutputs = {};
    for (const [key, tensor] of Object.entries(result)) outputs[key] = tensor.data as Float32Array;
    return outputs;
  };
}

async function releaseAll(sessions: Sessions): Promise<void> {
  for (const session of Object.values(sessions)) await session.release();
}

/**
 * Runs each model once on a neutral (all-zero) input of its manifest shape, so that the first real frame
 * does not pay for lazy initialisation (kernel selection, memory arenas, GPU shader compilation).
 */
async function warmUp(run: RunModel, shapes: Partial<Record<EngineModelName, readonly number[]>>): Promise<void> {
  for (const [name, dims] of Object.entries(shapes) as Array<[EngineModelName, readonly number[]]>) {
    await run(name, new Float32Array(dims.reduce((a, b) => a * b, 1)), dims);
  }
}

export async function createSessions(opts: SessionOptions): Promise<ModelSessions> {
  const manifest = loadManifest(opts.modelsDir);
  const bytes: Partial<Record<EngineModelName, Uint8Array>> = {};
  const modelSha256: Record<string, string> = {};
  const shapes: Partial<Record<EngineModelName, readonly number[]>> = {};
  // an optional model (fr_age, fr_gender) whose file is missing is left out: its outputs are simply absent
  const models = loadableModels(opts.modelsDir, opts.models, manifest);
  for (const name of models) {
    bytes[name] = readVerifiedModel(opts.modelsDir, name, manifest);
    modelSha256[name] = manifest.models[name]!.sha256;
    shapes[name] = manifest.models[name]!.input.shape;
  }

  const bundled = new Set((ort.listSupportedBackends?.() ?? []).filter((b) => b.bundled).map((b) => b.name));
  const candidates = opts.providers ?? providerCandidates();
  const probes: ProviderProbe[] = [];
  let loaded: { provider: ProviderName; sessions: Sessions } | null = null;
  let lastError: unknown = null;
  for (const provider of candidates) {
    if (loaded) {
      probes.push({ provider, used: false, reason: `not tried: ${loaded.provider} loaded first` });
      continue;
    }
    if (provider !== 'cpu' && bundled.size > 0 && !bundled.has(provider)) {
      probes.push({ provider, used: false, reason: 'not bundled with onnxruntime-node' });
      continue;
    }
    const sessions: Sessions = {};
    try {
      for (const name of models) sessions[name] = await ort.InferenceSession.create(bytes[name]!, sessionOptions(provider, opts.intraOpThreads ?? 1));
      await warmUp(runner(sessions), shapes);
      loaded = { provider, sessions };
      probes.push({ provider, used: true, reason: 'loaded' });
    } catch (error) {
      lastError = error;
      probes.push({ provider, used: false, reason: `failed: ${message(error)}` });
      await releaseAll(sessions).catch(() => undefined);
    }
  }
  if (!loaded) {
    throw new SessionLoadFailure(`could not load the face models with any execution provider: ${lastError === null ? 'no provider available' : message(lastError)}`, probes);
  }
  const { provider, sessions } = loaded;
  return { run: runner(sessions), provider, probes, modelSha256, release: () => releaseAll(sessions) };
}
