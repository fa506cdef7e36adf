/**
 * Turns zod issues into short, field-level messages a script author can act on:
 * `required`, `unknown field`, `expected a list, got text`, `unknown event "too_darkk"`.
 * A union (a step or a `use` entry, a trigger as text or mapping) reports the errors of the alternative
 * the input was closest to, not the errors of every alternative.
 */
import type { z } from 'zod';

export interface FieldProblem {
  path: PropertyKey[];
  message: string;
}

type Issue = z.core.$ZodIssue;

const YAML_TYPES: Record<string, string> = { object: 'a mapping', array: 'a list', string: 'text', number: 'a number', boolean: 'true or false', int: 'a whole number' };

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return 'text';
  if (typeof value === 'number') return Number.isInteger(value) ? 'a whole number' : 'a number';
  if (typeof value === 'boolean') return 'true or false';
  return typeof value;
}

function valueAt(data: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = data;
  for (const seg of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[seg];
  }
  return v;
}

/** How badly an alternative of a union failed: a wrong type at its root rules it out. */
function weight(issues: readonly Issue[]): number {
  let w = 0;
  for (const i of issues) {
    if (i.code === 'invalid_type' && i.path.length === 0) w += 1000;
    else if (i.code === 'unrecognized_keys') w += i.keys.length;
    else w += 1;
  }
  return w;
}

function message(issue: Issue, data: unknown, path: readonly PropertyKey[]): string {
  const got = valueAt(data, path);
  if ((issue.code === 'invalid_type' || issue.code === 'invalid_value') && got === undefined) return 'required';
  switch (issue.code) {
    case 'invalid_type':
      return `expected ${YAML_TYPES[issue.expected] ?? issue.expected}, got ${describe(got)}`;
    case 'too_small':
      if (issue.origin === 'number') return `must be at least ${String(issue.minimum)}`;
      return issue.message;
    case 'too_big':
      if (issue.origin === 'number') return `must be at most ${String(issue.maximum)}`;
      return issue.message;
    case 'invalid_value':
      return issue.message.startsWith('unknown ') ? issue.message : `must be one of: ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    default:
      return issue.message;
  }
}

export function fieldProblems(issues: readonly Issue[], data: unknown, base: readonly PropertyKey[] = []): FieldProblem[] {
  const out: FieldProblem[] = [];
  for (const issue of issues) {
    const path = [...base, ...issue.path];
    if (issue.code === 'invalid_union' && issue.errors.length > 0) {
      let best = issue.errors[0]!;
      for (const alt of issue.errors) if (weight(alt) < weight(best)) best = alt;
      out.push(...fieldProblems(best, data, path));
    } else if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) out.push({ path: [...path, key], message: 'unknown field' });
    } else {
      out.push({ path, message: message(issue, data, path) });
    }
  }
  return out;
}
