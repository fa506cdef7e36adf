import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

/** Shared test media lives beside the repository (../shared/testdata); it is never copied into it. */
export const TESTDATA_DIR = resolve(import.meta.dirname, '../../../shared/testdata');

export function testdata(...parts: string[]): string {
  const path = resolve(TESTDATA_DIR, ...parts);
  if (!existsSync(path)) throw new Error(`test media missing: ${path} (expected ../shared/testdata beside the repo)`);
  return path;
}
