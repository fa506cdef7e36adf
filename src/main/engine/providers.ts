import { existsSync } from 'node:fs';

/**
 * Execution-provider choice per platform (DESIGN.md §5), always ending in CPU. Override with the
 * engine option `providers` or VERIDESK_EP (comma separated, e.g. "cpu" or "webgpu,cpu").
 */
export type ProviderName = 'cpu' | 'dml' | 'cuda' | 'webgpu' | 'coreml';

function linuxGpuPresent(): boolean {
  return ['/dev/dri', '/dev/nvidia0', '/dev/nvidiactl'].some((p) => existsSync(p));
}

const KNOWN: readonly ProviderName[] = ['cpu', 'dml', 'cuda', 'webgpu', 'coreml'];

export function providerCandidates(
  platform: NodeJS.Platform = process.platform,
  env: string | undefined = process.env.VERIDESK_EP,
  hasGpuDevice: () => boolean = linuxGpuPresent,
): ProviderName[] {
  if (env) {
    const list = env
      .split(',')
      .map((s) => s.trim().toLowerCase())
      .filter((s): s is ProviderName => (KNOWN as readonly string[]).includes(s));
    if (list.length > 0) return list.includes('cpu') ? list : [...list, 'cpu'];
  }
  switch (platform) {
    case 'win32':
      return ['dml', 'cpu'];
    case 'darwin':
      return ['coreml', 'cpu'];
    case 'linux':
      // CUDA needs onnxruntime-node's optional CUDA libraries (skipped when not bundled); WebGPU needs a
      // GPU device node — without one, probing it only costs time and log noise.
      return hasGpuDevice() ? ['cuda', 'webgpu', 'cpu'] : ['cpu'];
    default:
      return ['cpu'];
  }
}
