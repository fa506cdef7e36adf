/**
 * Keyboard shortcuts of the session view. Alt + a letter, matched on KeyboardEvent.code (the physical key): with
 * Alt held, `key` is a special character on macOS and depends on the layout elsewhere. Ignored while the agent
 * types (an input, a text area, a select, an editable element), so Alt+N in the note field stays the note's.
 */

export const SHORTCUT_ACTIONS = ['startChallenge', 'issueCode', 'codeOk', 'codeWrong', 'nextStep', 'previousStep', 'pass', 'fail', 'escalate'] as const;
export type ShortcutAction = (typeof SHORTCUT_ACTIONS)[number];

/** Action → KeyboardEvent.code, with the label the legend shows (after "Alt+"). */
export const SHORTCUTS: ReadonlyArray<{ action: ShortcutAction; code: string; label: string }> = [
  { action: 'startChallenge', code: 'KeyL', label: 'L' },
  { action: 'issueCode', code: 'KeyK', label: 'K' },
  { action: 'codeOk', code: 'KeyY', label: 'Y' },
  { action: 'codeWrong', code: 'KeyN', label: 'N' },
  { action: 'nextStep', code: 'ArrowRight', label: '→' },
  { action: 'previousStep', code: 'ArrowLeft', label: '←' },
  { action: 'pass', code: 'KeyP', label: 'P' },
  { action: 'fail', code: 'KeyF', label: 'F' },
  { action: 'escalate', code: 'KeyE', label: 'E' },
];

/** The parts of a KeyboardEvent this needs (plain objects in tests). */
export interface KeyLike {
  code: string;
  altKey: boolean;
  ctrlKey: boolean;
  metaKey: boolean;
  shiftKey: boolean;
  repeat?: boolean;
  isComposing?: boolean;
  target: unknown;
}

/** Input types that take no typing: a shortcut while one of them has focus is still meant for the desk. */
const NON_TEXT_INPUTS = new Set(['checkbox', 'radio', 'button', 'submit', 'reset', 'file', 'range', 'color', 'image']);

export function isTypingTarget(target: unknown): boolean {
  if (!target || typeof target !== 'object') return false;
  const el = target as { tagName?: unknown; type?: unknown; isContentEditable?: unknown };
  if (el.isContentEditable === true) return true;
  const tag = typeof el.tagName === 'string' ? el.tagName.toUpperCase() : '';
  if (tag === 'TEXTAREA' || tag === 'SELECT') return true;
  if (tag === 'INPUT') return !NON_TEXT_INPUTS.has(typeof el.type === 'string' ? el.type.toLowerCase() : 'text');
  return false;
}

const BY_CODE = new Map(SHORTCUTS.map((s) => [s.code, s.action]));

/** The action for a key press, or null (not Alt+key alone, a held-down repeat, an IME composition, or typing). */
export function shortcutFor(event: KeyLike): ShortcutAction | null {
  if (!event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return null;
  if (event.repeat || event.isComposing) return null;
  const action = BY_CODE.get(event.code);
  if (!action || isTypingTarget(event.target)) return null;
  return action;
}
