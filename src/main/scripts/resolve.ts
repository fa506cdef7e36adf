/**
 * Turns a schema-valid script file into a Script: takes the `use` entries from common.yaml, then checks what
 * a schema cannot: unique ids, branches that lead somewhere, one step per trigger, and the product rules
 * (DESIGN.md §1: the checks each service type requires, a checklist for operate/transact; §2: every flow closes,
 * a failed verification ends by guiding the customer to offline verification).
 */
import {
  CHECKLIST_SERVICES,
  COMMON_FILE,
  REQUIRED_CHECKS_BY_SERVICE,
  type ChecklistItem,
  type CommonFile,
  type Script,
  type ScriptErrorCode,
  type ScriptFile,
  type Step,
  type Use,
} from '../../shared/scripts';

export interface RefProblem {
  path: PropertyKey[];
  message: string;
  code: ScriptErrorCode;
}

/** common.yaml as loaded: null when the file is absent, `ok: false` when it did not load. */
export type CommonLibrary = null | { ok: false } | { ok: true; common: CommonFile };

type Path = PropertyKey[];
interface Placed<T> {
  value: T;
  /** Where to report a problem with it: its own entry, or the `use` entry that brought it in. */
  path: Path;
  fromCommon: boolean;
}

const isUse = (entry: object): entry is Use => 'use' in entry;

function duplicates<T extends { id: string }>(placed: readonly Placed<T>[], what: string, field: string): RefProblem[] {
  const first = new Map<string, Placed<T>>();
  const problems: RefProblem[] = [];
  for (const p of placed) {
    const seen = first.get(p.value.id);
    if (seen) {
      problems.push({
        path: p.fromCommon ? p.path : [...p.path, 'id'],
        message: `duplicate ${what} id "${p.value.id}" (also at ${describePlace(seen, field)})`,
        code: 'duplicate_id',
      });
    } else first.set(p.value.id, p);
  }
  return problems;
}

function describePlace(p: Placed<unknown>, field: string): string {
  const [, index] = p.path;
  return `${field}[${String(index)}]${p.fromCommon ? ` from ${COMMON_FILE}` : ''}`;
}

/** Checks common.yaml on its own: unique ids, branches to its own steps. */
export function checkCommon(common: CommonFile): RefProblem[] {
  const steps = common.steps.map((value, i) => ({ value, path: ['steps', i], fromCommon: false }));
  const items = common.checklist.map((value, i) => ({ value, path: ['checklist', i], fromCommon: false }));
  return [...duplicates(steps, 'step', 'steps'), ...duplicates(items, 'checklist item', 'checklist'), ...branchProblems(steps, COMMON_FILE)];
}

function branchProblems(steps: readonly Placed<Step>[], file: string | null): RefProblem[] {
  const ids = new Set(steps.map((s) => s.value.id));
  const problems: RefProblem[] = [];
  for (const s of steps) {
    s.value.branches.forEach((b, k) => {
      if (ids.has(b.to)) return;
      problems.push(
        s.fromCommon
          ? { path: s.path, message: `step "${s.value.id}" (${COMMON_FILE}) branches to "${b.to}", which this script does not include`, code: 'unknown_ref' }
          : { path: [...s.path, 'branches', k, 'to'], message: `branch to unknown step "${b.to}"${file ? ` in ${file}` : ''}`, code: 'unknown_ref' },
      );
    });
  }
  return problems;
}

function triggerProblems(steps: readonly Placed<Step>[]): RefProblem[] {
  const owner = new Map<string, string>();
  const problems: RefProblem[] = [];
  for (const s of steps) {
    s.value.triggers.forEach((t, k) => {
      const key = `${t.event}#${t.count}`;
      const other = owner.get(key);
      const what = t.count === 1 ? `event "${t.event}"` : `event "${t.event}" ×${t.count}`;
      if (other !== undefined && other !== s.value.id) {
        problems.push({ path: s.fromCommon ? s.path : [...s.path, 'triggers', k], message: `${what} already triggers step "${other}"`, code: 'duplicate_trigger' });
      } else owner.set(key, s.value.id);
    });
  }
  return problems;
}

/** Expands `use` entries of one list (steps or checklist) from the library. */
function expand<T extends { id: string }>(
  entries: readonly (T | Use)[],
  field: 'steps' | 'checklist',
  library: CommonLibrary,
  pick: (common: CommonFile) => readonly T[],
  problems: RefProblem[],
  used: { any: boolean },
): Placed<T>[] {
  const out: Placed<T>[] = [];
  entries.forEach((entry, i) => {
    if (!isUse(entry)) {
      out.push({ value: entry, path: [field, i], fromCommon: false });
      return;
    }
    const ids = Array.isArray(entry.use) ? entry.use : [entry.use];
    ids.forEach((id, j) => {
      const path: Path = Array.isArray(entry.use) ? [field, i, 'use', j] : [field, i, 'use'];
      used.any = true;
      if (library === null || !library.ok) {
        if (!problems.some((p) => p.code === 'dependency')) {
          problems.push({ path, message: library === null ? `uses ${COMMON_FILE}, which is missing` : `uses ${COMMON_FILE}, which did not load (see its errors)`, code: 'dependency' });
        }
        return;
      }
      const found = pick(library.common).find((s) => s.id === id);
      if (found) out.push({ value: found, path, fromCommon: true });
      else problems.push({ path, message: `no ${field === 'steps' ? 'step' : 'checklist item'} "${id}" in ${COMMON_FILE}`, code: 'unknown_ref' });
    });
  });
  return out;
}

function policyProblems(file: ScriptFile, steps: readonly Step[], checklist: readonly ChecklistItem[]): RefProblem[] {
  const problems: RefProblem[] = [];
  const type = file.serviceType;
  const required = REQUIRED_CHECKS_BY_SERVICE[type];
  const missing = required.filter((c) => !file.requiredChecks.includes(c));
  if (missing.length > 0) {
    problems.push({ path: ['requiredChecks'], message: `${type} requires ${missing.join(', ')} (DESIGN.md §1)`, code: 'policy' });
  }
  if (CHECKLIST_SERVICES.includes(type) && checklist.length === 0) {
    problems.push({ path: ['checklist'], message: `required for ${type} scripts: the items to tick before the case may close`, code: 'policy' });
  }
  if (!steps.some((s) => s.kind === 'main')) {
    problems.push({ path: ['steps'], message: 'needs at least one main step', code: 'policy' });
  }
  if (!steps.some((s) => s.closeReason === 'completed')) {
    problems.push({ path: ['steps'], message: 'no step closes the case (closeReason: completed)', code: 'policy' });
  }
  if (required.length > 0 && !steps.some((s) => s.closeReason === 'verification_failed')) {
    problems.push({ path: ['steps'], message: 'no step guides the customer to offline verification (closeReason: verification_failed)', code: 'policy' });
  }
  return problems;
}

export function resolveScript(fileName: string, file: ScriptFile, library: CommonLibrary): { script: Script } | { problems: RefProblem[] } {
  const problems: RefProblem[] = [];
  const used = { any: false };
  const steps = expand(file.steps, 'steps', library, (c) => c.steps, problems, used);
  const items = expand(file.checklist ?? [], 'checklist', library, (c) => c.checklist, problems, used);
  // without the library the cross-checks would only echo the missing steps
  if (problems.some((p) => p.code === 'dependency')) return { problems };
  problems.push(...duplicates(steps, 'step', 'steps'), ...duplicates(items, 'checklist item', 'checklist'));
  problems.push(...branchProblems(steps, null), ...triggerProblems(steps));
  if (problems.length === 0) {
    problems.push(...policyProblems(file, steps.map((s) => s.value), items.map((s) => s.value)));
  }
  if (problems.length > 0) return { problems };
  return {
    script: {
      file: fileName,
      version: file.version,
      commonVersion: used.any && library !== null && library.ok ? library.common.version : null,
      serviceType: file.serviceType,
      title: file.title,
      requiredChecks: [...file.requiredChecks],
      steps: steps.map((s) => s.value),
      checklist: items.map((s) => s.value),
    },
  };
}
