/**
 * Loads @vladmandic/human's Node WASM build fully offline for bench:peer.
 *
 * - Human's package maps every import of `@vladmandic/human` to `dist/human.node.js` (which needs tfjs-node) and does
 *   not export `dist/human.node-wasm.js`, so that file is required by its path inside the installed package.
 * - Weights: blazeface + facemesh from the package's own `models/` folder. tfjs has no file:// loader outside
 *   tfjs-node and Node's fetch refuses file://, so a tfjs IO load router reads model.json + .bin with fs.
 * - WASM binaries: from `@tensorflow/tfjs-backend-wasm/dist/` (Human passes `wasmPath` to `setWasmPaths`).
 * - `fetch` is replaced by one that throws, so anything that tried to download would fail loudly instead.
 *
 * Human's typings are not used: the few members the benchmark touches are typed here.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export interface HumanTensor {
  shape: number[];
  dispose(): void;
}

interface WeightGroup {
  paths: string[];
  weights: unknown[];
}

export interface HumanTf {
  getBackend(): string;
  setThreadsCount(threads: number): void;
  getThreadsCount(): number;
  tensor3d(values: Int32Array, shape: [number, number, number], dtype: 'int32'): HumanTensor;
  memory(): { numTensors: number; numBytes: number };
  io: {
    registerLoadRouter(router: (url: string | string[]) => { load(): Promise<unknown> } | null): void;
    getModelArtifactsForJSON(json: unknown, loadWeights: (manifest: WeightGroup[]) => Promise<[unknown[], ArrayBuffer]>): Promise<unknown>;
    concatenateArrayBuffers(buffers: ArrayBuffer[]): ArrayBuffer;
  };
}

export interface HumanFace {
  score: number;
  box: number[];
  mesh: unknown[];
}

export interface HumanResult {
  face: HumanFace[];
  error: string | null;
}

export interface HumanCacheConfig {
  cacheSensitivity: number;
  face: { detector: { skipFrames: number; skipTime: number } };
}

export interface HumanInstance {
  version: string;
  config: HumanCacheConfig & { backend: string; wasmPath: string; modelBasePath: string };
  env: { wasm: { supported?: boolean; backend?: boolean; simd?: boolean; multithread?: boolean } };
  tf: HumanTf;
  models: { models: Record<string, unknown> };
  performance: Record<string, number | undefined>;
  init(): Promise<void>;
  load(): Promise<void>;
  detect(input: HumanTensor, config?: Record<string, unknown>): Promise<HumanResult>;
}

type HumanConstructor = new (config: Record<string, unknown>) => HumanInstance;

const require = createRequire(import.meta.url);

/** Root folder of an installed package, found through Node's own resolution (works wherever npm hoisted it). */
export function packageDir(name: string): string {
  let dir = dirname(require.resolve(name));
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string };
      if (pkg.name === name) return dir;
    } catch {
      // no package.json here: keep going up
    }
    const up = dirname(dir);
    if (up === dir) throw new Error(`bench:peer: cannot find the package folder of ${name}`);
    dir = up;
  }
}

export function packageVersion(name: string): string {
  return (JSON.parse(readFileSync(join(packageDir(name), 'package.json'), 'utf8')) as { version: string }).version;
}

/** The models bench:peer needs (Human's own names) and the modules it turns off. */
export const PEER_MODELS = ['blazeface', 'facemesh'] as const;

export const PEER_CONFIG = {
  backend: 'wasm',
  debug: false,
  // Everything but face detection + face mesh off. Caching settings (cacheSensitivity, skipFrames, skipTime)
  // and everything else stay at Human's defaults.
  face: {
    enabled: true,
    mesh: { enabled: true },
    iris: { enabled: false },
    emotion: { enabled: false },
    description: { enabled: false },
    antispoof: { enabled: false },
    liveness: { enabled: false },
    attention: { enabled: false },
  },
  body: { enabled: false },
  hand: { enabled: false },
  object: { enabled: false },
  gesture: { enabled: false },
  segmentation: { enabled: false },
};

let fetchGuardInstalled = false;
/** Any download attempt fails with this error instead of going to the network. */
function installFetchGuard(): void {
  if (fetchGuardInstalled) return;
  fetchGuardInstalled = true;
  globalThis.fetch = (async (input: unknown) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : String((input as { url?: string }).url ?? input);
    throw new Error(`bench:peer runs offline: refused fetch(${url})`);
  }) as typeof fetch;
}

let routerInstalled = false;
/** tfjs IO router for file:// model URLs: model.json and its weight shards are read with fs. */
function installFileRouter(tf: HumanTf): void {
  if (routerInstalled) return;
  routerInstalled = true;
  tf.io.registerLoadRouter((url) => {
    if (typeof url !== 'string' || !url.startsWith('file://')) return null;
    const path = fileURLToPath(url);
    return {
      load: async () => {
        const json = JSON.parse(readFileSync(path, 'utf8')) as unknown;
        return tf.io.getModelArtifactsForJSON(json, async (manifest) => {
          const specs = manifest.flatMap((group) => group.weights);
          const buffers = manifest.flatMap((group) =>
            group.paths.map((p) => {
              const b = readFileSync(join(dirname(path), p));
              return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
            }),
          );
          return [specs, tf.io.concatenateArrayBuffers(buffers)];
        });
      },
    };
  });
}

export interface LoadedHuman {
  human: HumanInstance;
  versions: { human: string; tfjsCore: string; tfjsConverter: string; tfjsBackendWasm: string };
  threads: number;
  simd: boolean;
  multithread: boolean;
  /** The .wasm file tfjs-backend-wasm picks for these flags (backend_wasm.ts getPathToWasmBinary). */
  wasmBinary: string;
  wasmDir: string;
  modelsDir: string;
}

export async function loadHuman(opts: { threads?: number } = {}): Promise<LoadedHuman> {
  installFetchGuard();
  const humanDir = packageDir('@vladmandic/human');
  const wasmDir = join(packageDir('@tensorflow/tfjs-backend-wasm'), 'dist');
  const modelsDir = join(humanDir, 'models');
  const { Human } = require(join(humanDir, 'dist', 'human.node-wasm.js')) as { Human: HumanConstructor };
  const human = new Human({
    ...PEER_CONFIG,
    wasmPath: `${wasmDir}/`,
    modelBasePath: pathToFileURL(`${modelsDir}/`).href,
  });
  const tf = human.tf;
  installFileRouter(tf);
  // Must precede the backend's initialisation to take effect. (In Node tfjs-backend-wasm never runs threaded anyway:
  // WASM_HAS_MULTITHREAD_SUPPORT is false under IS_NODE.)
  tf.setThreadsCount(opts.threads ?? 1);
  await human.init();
  if (tf.getBackend() !== 'wasm') throw new Error(`bench:peer: Human did not start the tfjs wasm backend (got ${tf.getBackend() || 'none'})`);
  await human.load();
  const missing = PEER_MODELS.filter((m) => !human.models.models[m]);
  if (missing.length > 0) throw new Error(`bench:peer: Human could not load ${missing.join(', ')} from ${modelsDir}`);
  const simd = human.env.wasm.simd === true;
  const multithread = human.env.wasm.multithread === true;
  return {
    human,
    versions: {
      human: human.version,
      tfjsCore: packageVersion('@tensorflow/tfjs-core'),
      tfjsConverter: packageVersion('@tensorflow/tfjs-converter'),
      tfjsBackendWasm: packageVersion('@tensorflow/tfjs-backend-wasm'),
    },
    threads: tf.getThreadsCount(),
    simd,
    multithread,
    wasmBinary: simd ? (multithread ? 'tfjs-backend-wasm-threaded-simd.wasm' : 'tfjs-backend-wasm-simd.wasm') : 'tfjs-backend-wasm.wasm',
    wasmDir,
    modelsDir,
  };
}
