/**
 * Reads one script file into a YAML document, refusing what a script never needs and an attacker would use:
 * files over MAX_SCRIPT_FILE_BYTES (checked before reading), bytes that are not UTF-8, several documents,
 * unknown tags, and aliases (`*name`, the alias-bomb mechanism).
 */
import { readFileSync, statSync } from 'node:fs';
import { LineCounter, parseDocument, visit, type Document } from 'yaml';
import { MAX_SCRIPT_FILE_BYTES, type ScriptErrorCode } from '../../shared/scripts';

export interface SourceProblem {
  code: ScriptErrorCode;
  message: string;
  /** Character offset in the source, when the problem has one. */
  offset: number | null;
}

export interface ParsedSource {
  doc: Document.Parsed;
  lineCounter: LineCounter;
  /** The document as plain data. */
  data: unknown;
}

export type SourceResult = { ok: true; source: ParsedSource } | { ok: false; problems: SourceProblem[]; lineCounter: LineCounter };

const firstLine = (s: string) => s.split('\n', 1)[0]!.trim();

export function readScriptSource(path: string): SourceResult {
  const lineCounter = new LineCounter();
  const fail = (code: ScriptErrorCode, message: string, offset: number | null = null): SourceResult => ({
    ok: false,
    problems: [{ code, message, offset }],
    lineCounter,
  });
  let bytes: Buffer;
  try {
    const stat = statSync(path);
    if (!stat.isFile()) return fail('read_failed', 'not a regular file');
    if (stat.size > MAX_SCRIPT_FILE_BYTES) return fail('too_large', `file is ${stat.size} bytes; the limit is ${MAX_SCRIPT_FILE_BYTES}`);
    bytes = readFileSync(path);
  } catch (err) {
    return fail('read_failed', `cannot read: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  // the file may have grown between stat and read
  if (bytes.length > MAX_SCRIPT_FILE_BYTES) return fail('too_large', `file is ${bytes.length} bytes; the limit is ${MAX_SCRIPT_FILE_BYTES}`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    return fail('syntax', 'not valid UTF-8 text');
  }
  return parseScriptText(text, lineCounter);
}

/** Parses YAML text (exported for the tests of the guards). */
export function parseScriptText(text: string, lineCounter = new LineCounter()): SourceResult {
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true, strict: true });
  const problems: SourceProblem[] = [...doc.errors, ...doc.warnings].map((e) => ({
    code: 'syntax' as const,
    message: firstLine(e.message),
    offset: e.pos[0],
  }));
  visit(doc, {
    Alias(_key, node) {
      // one is enough to refuse the file; a bomb has thousands
      problems.push({ code: 'alias', message: `YAML aliases (*${node.source}) are not allowed in scripts`, offset: node.range?.[0] ?? null });
      return visit.BREAK;
    },
  });
  if (problems.length > 0) return { ok: false, problems, lineCounter };
  // no aliases at this point; maxAliasCount 0 is the second lock on the same door
  const data: unknown = doc.toJS({ maxAliasCount: 0 });
  return { ok: true, source: { doc, lineCounter, data } };
}
