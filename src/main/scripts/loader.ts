/**
 * Loads every 话术 script in a folder (DESIGN.md §9, format in docs/scripts.md). Each file is read, parsed
 * and validated on its own, so a broken file is reported — file, line, field — and skipped while the others load.
 * common.yaml is the shared library the scripts `use`; a script that uses it fails when it fails.
 */
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { z } from 'zod';
import {
  COMMON_FILE,
  CommonFileSchema,
  ScriptFileSchema,
  type Script,
  type ScriptError,
  type ScriptErrorCode,
  formatFieldPath,
} from '../../shared/scripts';
import type { ServiceType } from '../../shared/cases';
import { fieldProblems } from './issues';
import { locate, positionOf, type Position } from './positions';
import { checkCommon, resolveScript, type CommonLibrary, type RefProblem } from './resolve';
import { readScriptSource, type ParsedSource } from './yaml-source';

export interface LoadedScripts {
  /** Sorted by file name; at most one per service type. */
  scripts: Script[];
  /** Sorted by file, then line. */
  errors: ScriptError[];
}

const SCRIPT_FILE = /\.ya?ml$/i;
/** A hopeless file reports this many errors, then a count of the rest. */
const MAX_ERRORS_PER_FILE = 50;

function capped(file: string, errors: ScriptError[]): ScriptError[] {
  if (errors.length <= MAX_ERRORS_PER_FILE) return errors;
  const rest = errors.length - MAX_ERRORS_PER_FILE;
  return [...errors.slice(0, MAX_ERRORS_PER_FILE), error(file, null, '', `${rest} more error${rest === 1 ? '' : 's'} not shown`, errors[MAX_ERRORS_PER_FILE]!.code)];
}

const error = (file: string, pos: Position | null, field: string, message: string, code: ScriptErrorCode): ScriptError => ({
  file,
  line: pos?.line ?? null,
  column: pos?.column ?? null,
  field,
  message,
  code,
});

/** Parses and schema-checks one file; the errors name its lines and fields. */
function validate<S extends z.ZodType>(dir: string, file: string, schema: S): { ok: true; value: z.output<S>; source: ParsedSource } | { ok: false; errors: ScriptError[] } {
  const read = readScriptSource(join(dir, file));
  if (!read.ok) {
    return { ok: false, errors: capped(file, read.problems.map((p) => error(file, positionOf(read.lineCounter, p.offset), '', p.message, p.code))) };
  }
  const { source } = read;
  if (source.data === null || source.data === undefined) {
    return { ok: false, errors: [error(file, null, '', 'file is empty', 'schema')] };
  }
  const parsed = schema.safeParse(source.data);
  if (!parsed.success) {
    const errors = fieldProblems(parsed.error.issues, source.data).map((p) =>
      error(file, locate(source.doc, source.lineCounter, p.path), formatFieldPath(p.path), p.message, 'schema'),
    );
    return { ok: false, errors: capped(file, errors) };
  }
  return { ok: true, value: parsed.data as z.output<S>, source };
}

const refErrors = (file: string, source: ParsedSource, problems: readonly RefProblem[]) =>
  problems.map((p) => error(file, locate(source.doc, source.lineCounter, p.path), formatFieldPath(p.path), p.message, p.code));

function loadCommon(dir: string, files: readonly string[], errors: ScriptError[]): CommonLibrary {
  if (!files.includes(COMMON_FILE)) return null;
  const result = validate(dir, COMMON_FILE, CommonFileSchema);
  if (!result.ok) {
    errors.push(...result.errors);
    return { ok: false };
  }
  const problems = checkCommon(result.value);
  if (problems.length > 0) {
    errors.push(...refErrors(COMMON_FILE, result.source, problems));
    return { ok: false };
  }
  return { ok: true, common: result.value };
}

export function loadScripts(dir: string): LoadedScripts {
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => SCRIPT_FILE.test(f)).sort();
  } catch (err) {
    return { scripts: [], errors: [error(dir, null, '', `cannot read the scripts folder: ${(err as NodeJS.ErrnoException).code ?? 'error'}`, 'read_failed')] };
  }
  const errors: ScriptError[] = [];
  const library = loadCommon(dir, files, errors);
  const scripts: Script[] = [];
  const owner = new Map<ServiceType, string>();
  for (const file of files) {
    if (file === COMMON_FILE) continue;
    const result = validate(dir, file, ScriptFileSchema);
    if (!result.ok) {
      errors.push(...result.errors);
      continue;
    }
    const resolved = resolveScript(file, result.value, library);
    if ('problems' in resolved) {
      errors.push(...refErrors(file, result.source, resolved.problems));
      continue;
    }
    const { script } = resolved;
    const first = owner.get(script.serviceType);
    if (first !== undefined) {
      const pos = locate(result.source.doc, result.source.lineCounter, ['serviceType']);
      errors.push(error(file, pos, 'serviceType', `${script.serviceType} already has a script (${first}); this one is not loaded`, 'duplicate_service'));
      continue;
    }
    owner.set(script.serviceType, file);
    scripts.push(structuredClone(script));
  }
  // stable: errors without a line stay after the located ones of the same file
  const at = (e: ScriptError) => [e.line ?? Number.MAX_SAFE_INTEGER, e.column ?? 0] as const;
  errors.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : at(a)[0] - at(b)[0] || at(a)[1] - at(b)[1]));
  return { scripts, errors };
}

/** resources/scripts of the repo (dev, host, CLI), found from this module or the working directory; VERIDESK_SCRIPTS_DIR overrides. */
export function defaultScriptsDir(): string {
  const env = process.env.VERIDESK_SCRIPTS_DIR;
  if (env) return resolve(env);
  for (const start of [dirname(fileURLToPath(import.meta.url)), process.cwd()]) {
    let dir = start;
    for (;;) {
      if (existsSync(join(dir, 'resources', 'scripts'))) return join(dir, 'resources', 'scripts');
      const parent = dirname(dir);
      if (parent === dir) break;
      dir = parent;
    }
  }
  return join(process.cwd(), 'resources', 'scripts');
}
