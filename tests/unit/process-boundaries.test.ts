import { ESLint } from 'eslint';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const eslint = new ESLint({ cwd: resolve(import.meta.dirname, '../..') });

async function restrictedImports(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('process boundaries are enforced by the linter', () => {
  it.each([
    ['the renderer importing Node', 'src/renderer/src/x.ts', "import { readFile } from 'node:fs';"],
    ['the renderer importing electron', 'src/renderer/src/x.ts', "import { ipcRenderer } from 'electron';"],
    ['the renderer importing main code', 'src/renderer/src/x.ts', "import { SettingsService } from '../../main/settings/settings-service';"],
    ['a main service importing electron', 'src/main/settings/x.ts', "import { app } from 'electron';"],
    ['shared code importing Node', 'src/shared/x.ts', "import { createHash } from 'crypto';"],
    ['the preload importing Node', 'src/preload/x.ts', "import { readFileSync } from 'fs';"],
    ['the server importing electron', 'server/x.ts', "import { app } from 'electron';"],
    ['the server importing workstation main code', 'server/sync/x.ts', "import { CaseStore } from '../../src/main/caselog/store';"],
    ['common code importing main code', 'src/common/x.ts', "import { CaseStore } from '../main/caselog/store';"],
    ['workstation main code importing the server', 'src/main/sync/x.ts', "import { storeBatch } from '../../../server/sync/store-batch';"],
    ['Electron wiring importing the server', 'src/main/app/x.ts', "import { buildServer } from '../../../server/app';"],
  ])('flags %s', async (_what, file, code) => {
    expect(await restrictedImports(file, `${code}\nexport {};\n`)).not.toEqual([]);
  });

  it.each([
    ['Electron wiring importing electron', 'src/main/app/x.ts', "import { app } from 'electron';"],
    ['the preload importing electron', 'src/preload/x.ts', "import { ipcRenderer } from 'electron';"],
    ['main importing Node', 'src/main/settings/x.ts', "import { readFile } from 'node:fs/promises';"],
    ['the renderer importing shared code', 'src/renderer/src/x.ts', "import { methods } from '../../shared/contract';"],
    ['the server importing common code', 'server/sync/x.ts', "import { verifyRun } from '../../src/common/chain';"],
    ['main importing common code', 'src/main/caselog/x.ts', "import { ledgerStep } from '../../common/ledger';"],
    ['a main test starting a real backend', 'src/main/sync/x.test.ts', "import { buildServer } from '../../../server/app';"],
  ])('allows %s', async (_what, file, code) => {
    expect(await restrictedImports(file, `${code}\nexport {};\n`)).toEqual([]);
  });
});
