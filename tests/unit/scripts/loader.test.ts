import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadScripts } from '../../../src/main/scripts/loader';
import { MAX_SCRIPT_FILE_BYTES, formatScriptError, type ScriptError } from '../../../src/shared/scripts';

const shipped = resolve(import.meta.dirname, '../../../resources/scripts');
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A temp folder holding the shipped scripts plus (or instead of) the given files. */
function folder(files: Record<string, string | Buffer>, { withShipped = true } = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'veridesk-scripts-'));
  dirs.push(dir);
  if (withShipped) cpSync(shipped, dir, { recursive: true });
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  return dir;
}

/** 1-based line of the first line containing `marker`. */
function lineOf(source: string, marker: string): number {
  const i = source.split('\n').findIndex((l) => l.includes(marker));
  if (i < 0) throw new Error(`marker ${marker} not in source`);
  return i + 1;
}

const head = (type = 'consult') => `version: 1
serviceType: ${type}
title: { zh: 咨询, en: Consultation }
requiredChecks: []
`;

/** A complete consult script that uses nothing from common.yaml. */
const standalone = `${head()}steps:
  - id: hello
    title: { zh: 问候, en: Hello }
    lines: { zh: [您好], en: [Hello] }
  - id: bye
    title: { zh: 结束, en: Bye }
    closeReason: completed
    lines: { zh: [再见], en: [Goodbye] }
`;

function expectOthersLoad(result: ReturnType<typeof loadScripts>, broken: string) {
  expect(result.scripts.map((s) => s.file).sort()).toEqual(['consult.yaml', 'operate.yaml', 'query.yaml', 'transact.yaml']);
  expect(result.errors.filter((e) => e.file !== broken)).toEqual([]);
}

const only = (errors: ScriptError[], file: string) => errors.filter((e) => e.file === file);

describe('loadScripts: a malformed file is reported with file, line and field, and the others still load', () => {
  it('bad YAML syntax', () => {
    const src = `version: 1
serviceType: consult
steps:
  - id: hello
   title: misindented
`;
    const result = loadScripts(folder({ 'broken.yaml': src }));
    expectOthersLoad(result, 'broken.yaml');
    const [e, ...rest] = only(result.errors, 'broken.yaml');
    expect(rest).toEqual([]);
    expect(e).toMatchObject({ file: 'broken.yaml', code: 'syntax', line: lineOf(src, 'misindented'), field: '' });
    expect(formatScriptError(e!)).toMatch(/^broken\.yaml:5: \S/);
  });

  it('a missing field: names the mapping it is missing from', () => {
    const src = `${head()}steps:
  - id: hello
    title: { zh: 你好, en: Hello }
    lines:
      en:
        - Hello
  - use: closing
`;
    const result = loadScripts(folder({ 'broken.yaml': src }));
    expectOthersLoad(result, 'broken.yaml');
    expect(only(result.errors, 'broken.yaml').map(formatScriptError)).toEqual([`broken.yaml:${lineOf(src, 'lines:')} steps[0].lines.zh: required`]);
  });

  it('a missing top-level field', () => {
    const src = `version: 1
title: { zh: 咨询, en: Consultation }
requiredChecks: []
steps:
  - use: closing
`;
    const result = loadScripts(folder({ 'broken.yaml': src }));
    expectOthersLoad(result, 'broken.yaml');
    expect(only(result.errors, 'broken.yaml')).toEqual([expect.objectContaining({ field: 'serviceType', message: 'required', code: 'schema' })]);
  });

  it('a wrong type', () => {
    const src = `version: "two"
serviceType: consult
title: { zh: 咨询, en: Consultation }
requiredChecks: []
steps:
  - id: hello
    title: { zh: 你好, en: Hello }
    lines: { zh: 您好, en: [Hello] }
  - use: closing
`;
    const result = loadScripts(folder({ 'broken.yaml': src }));
    expectOthersLoad(result, 'broken.yaml');
    expect(only(result.errors, 'broken.yaml').map(formatScriptError)).toEqual([
      'broken.yaml:1 version: expected a number, got text',
      `broken.yaml:${lineOf(src, 'lines:')} steps[0].lines.zh: expected a list, got text`,
    ]);
  });

  it('an unknown key (typo) in a step', () => {
    const src = `${head()}steps:
  - use: greeting
  - id: hello
    title: { zh: 你好, en: Hello }
    lines: { zh: [您好], en: [Hello] }
    tirggers: [too_dark]
  - use: closing
`;
    const result = loadScripts(folder({ 'broken.yaml': src }));
    expectOthersLoad(result, 'broken.yaml');
    expect(only(result.errors, 'broken.yaml').map(formatScriptError)).toEqual([`broken.yaml:${lineOf(src, 'tirggers')} steps[1].tirggers: unknown field`]);
  });

  it('an unknown key next to a use', () => {
    const src = `${head()}steps:
  - use: greeting
    lines: { zh: [您好], en: [Hello] }
  - use: closing
`;
    const result = loadScripts(folder({ 'broken.yaml': src }));
    expect(only(result.errors, 'broken.yaml').map(formatScriptError)).toEqual([`broken.yaml:${lineOf(src, 'lines:')} steps[0].lines: unknown field`]);
  });

  it('a branch to an unknown step', () => {
    const src = `${head()}steps:
  - id: hello
    title: { zh: 你好, en: Hello }
    lines: { zh: [您好], en: [Hello] }
    branches:
      - label: { zh: 去, en: Go }
        to: nowhere
  - use: closing
`;
    const result = loadScripts(folder({ 'broken.yaml': src }));
    expectOthersLoad(result, 'broken.yaml');
    expect(only(result.errors, 'broken.yaml')).toEqual([
      expect.objectContaining({ line: lineOf(src, 'to: nowhere'), field: 'steps[0].branches[0].to', code: 'unknown_ref', message: 'branch to unknown step "nowhere"' }),
    ]);
  });

  it('a used common step whose branch target the script leaves out', () => {
    const src = `${head()}steps:
  - use: [greeting, consent, closing]
`;
    const result = loadScripts(folder({ 'broken.yaml': src }));
    expect(only(result.errors, 'broken.yaml')).toEqual([
      expect.objectContaining({ line: 6, field: 'steps[0].use[1]', code: 'unknown_ref', message: expect.stringContaining('"consent_declined"') }),
    ]);
  });

  it('a trigger naming an unknown event', () => {
    const src = `${head()}steps:
  - id: hello
    title: { zh: 你好, en: Hello }
    lines: { zh: [您好], en: [Hello] }
    triggers:
      - too_dark
      - too_darkk
  - use: closing
`;
    const result = loadScripts(folder({ 'broken.yaml': src }));
    expectOthersLoad(result, 'broken.yaml');
    expect(only(result.errors, 'broken.yaml').map(formatScriptError)).toEqual([`broken.yaml:${lineOf(src, 'too_darkk')} steps[0].triggers[1]: unknown event "too_darkk"`]);
  });

  it('a duplicate step id, and a use of a step common.yaml does not have', () => {
    const src = `${head()}steps:
  - use: [greeting, closnig]
  - id: greeting
    title: { zh: 你好, en: Hello }
    lines: { zh: [您好], en: [Hello] }
  - use: closing
`;
    const result = loadScripts(folder({ 'broken.yaml': src }));
    expectOthersLoad(result, 'broken.yaml');
    expect(only(result.errors, 'broken.yaml').map((e) => [e.line, e.field, e.code])).toEqual([
      [6, 'steps[0].use[1]', 'unknown_ref'],
      [7, 'steps[1].id', 'duplicate_id'],
    ]);
  });

  it('two steps triggered by the same event', () => {
    const src = `${head()}steps:
  - id: hello
    title: { zh: 你好, en: Hello }
    lines: { zh: [您好], en: [Hello] }
    triggers: [call:connected]
  - use: [greeting, closing]
`;
    const result = loadScripts(folder({ 'broken.yaml': src }));
    expect(only(result.errors, 'broken.yaml')).toEqual([
      expect.objectContaining({ field: 'steps[1].use[0]', code: 'duplicate_trigger', message: 'event "call:connected" already triggers step "hello"' }),
    ]);
  });

  it('lines whose translation does not match, or with an unknown placeholder', () => {
    const src = `${head()}steps:
  - id: hello
    title: { zh: 你好, en: Hello }
    lines:
      zh:
        - 您好，我是{agentId}号客服。
        - 请问有什么可以帮您？{customerName}
      en:
        - Hello.
  - use: closing
`;
    const fields = only(loadScripts(folder({ 'broken.yaml': src })).errors, 'broken.yaml').map((e) => `${e.field}: ${e.message}`);
    expect(fields).toEqual(
      expect.arrayContaining(['steps[0].lines.en: has 1 lines, zh has 2', expect.stringMatching(/^steps\[0\]\.lines\.zh\[1\]: unknown placeholder \{customerName\}/), 'steps[0].lines.en[0]: placeholders differ from zh[0]']),
    );
  });

  it('an operate script that skips liveness or has no checklist is refused (DESIGN.md §1)', () => {
    const src = `version: 1
serviceType: operate
title: { zh: 操作, en: Operate }
requiredChecks: [face_match, passive_liveness, face_swap, agent_confirmation]
steps:
  - use: [greeting, verify_offline, closing]
`;
    const result = loadScripts(folder({ 'operate.yaml': src }));
    expect(only(result.errors, 'operate.yaml').map((e) => [e.line, e.field, e.code, e.message])).toEqual([
      [1, 'checklist', 'policy', expect.stringContaining('required for operate')],
      [4, 'requiredChecks', 'policy', 'operate requires active_liveness (DESIGN.md §1)'],
    ]);
    expect(result.scripts.map((s) => s.serviceType).sort()).toEqual(['consult', 'query', 'transact']);
  });

  it('a second script for the same service type is not loaded', () => {
    const result = loadScripts(folder({ 'zz-consult.yaml': standalone }));
    expect(result.errors).toEqual([expect.objectContaining({ file: 'zz-consult.yaml', line: 2, field: 'serviceType', code: 'duplicate_service' })]);
    expect(result.scripts.find((s) => s.serviceType === 'consult')?.file).toBe('consult.yaml');
  });
});

describe('loadScripts: hostile and odd files', () => {
  it(`refuses a file over ${MAX_SCRIPT_FILE_BYTES} bytes without parsing it`, () => {
    const big = `${standalone}# ${'x'.repeat(MAX_SCRIPT_FILE_BYTES)}\n`;
    const result = loadScripts(folder({ 'big.yaml': big }));
    expectOthersLoad(result, 'big.yaml');
    expect(only(result.errors, 'big.yaml')).toEqual([expect.objectContaining({ code: 'too_large', line: null })]);
  });

  it('refuses YAML aliases (an alias bomb) quickly, with one error', () => {
    const levels = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let i = 1; i < 9; i++) {
      const p = String.fromCharCode(96 + i);
      const n = String.fromCharCode(97 + i);
      levels.push(`${n}: &${n} [*${p},*${p},*${p},*${p},*${p},*${p},*${p},*${p},*${p}]`);
    }
    const bomb = `${levels.join('\n')}\n`;
    const started = Date.now();
    const result = loadScripts(folder({ 'bomb.yaml': bomb }));
    expect(Date.now() - started).toBeLessThan(2000);
    expectOthersLoad(result, 'bomb.yaml');
    expect(only(result.errors, 'bomb.yaml')).toEqual([expect.objectContaining({ code: 'alias', line: 2 })]);
  });

  it('reports bytes that are not UTF-8, and an empty file', () => {
    const result = loadScripts(folder({ 'latin1.yaml': Buffer.from([0x76, 0x3a, 0x20, 0xe9, 0xff, 0x0a]), 'empty.yaml': '' }));
    expect(result.errors.map((e) => [e.file, e.code])).toEqual([
      ['empty.yaml', 'schema'],
      ['latin1.yaml', 'syntax'],
    ]);
    expect(result.scripts).toHaveLength(4);
  });

  it('ignores files that are not YAML (the README)', () => {
    const result = loadScripts(folder({ 'notes.txt': 'not: [a script' }));
    expect(result.errors).toEqual([]);
  });

  it('a broken common.yaml fails the scripts that use it, and only those', () => {
    const dir = folder({ 'common.yaml': 'version: 1\nsteps:\n  - id: greeting\n', 'consult.yaml': standalone });
    const result = loadScripts(dir);
    expect(result.scripts.map((s) => s.file)).toEqual(['consult.yaml']);
    expect(result.scripts[0]!.commonVersion).toBeNull();
    const byFile = (file: string) => only(result.errors, file);
    expect(byFile('common.yaml').map((e) => e.field)).toEqual(expect.arrayContaining(['steps[0].title', 'steps[0].lines']));
    for (const file of ['operate.yaml', 'query.yaml', 'transact.yaml']) {
      expect(byFile(file), file).toEqual([expect.objectContaining({ code: 'dependency', line: expect.any(Number), message: expect.stringContaining('common.yaml') })]);
    }
  });

  it('a missing folder is one error, not an exception', () => {
    const result = loadScripts(join(tmpdir(), 'veridesk-no-such-folder-9f3a'));
    expect(result.scripts).toEqual([]);
    expect(result.errors).toEqual([expect.objectContaining({ code: 'read_failed', line: null })]);
  });
});
