import { describe, expect, it } from 'vitest';
import { isTypingTarget, SHORTCUT_ACTIONS, SHORTCUTS, shortcutFor, type KeyLike } from './shortcuts';

const key = (code: string, patch: Partial<KeyLike> = {}): KeyLike => ({ code, altKey: true, ctrlKey: false, metaKey: false, shiftKey: false, target: { tagName: 'BODY' }, ...patch });

describe('shortcuts', () => {
  it.each([
    ['KeyL', 'startChallenge'],
    ['KeyK', 'issueCode'],
    ['KeyY', 'codeOk'],
    ['KeyN', 'codeWrong'],
    ['ArrowRight', 'nextStep'],
    ['ArrowLeft', 'previousStep'],
    ['KeyP', 'pass'],
    ['KeyF', 'fail'],
    ['KeyE', 'escalate'],
  ])('Alt+%s → %s', (code, action) => {
    expect(shortcutFor(key(code))).toBe(action);
  });

  it('every action has exactly one key, and no key two actions', () => {
    expect(SHORTCUTS.map((s) => s.action).sort()).toEqual([...SHORTCUT_ACTIONS].sort());
    expect(new Set(SHORTCUTS.map((s) => s.code)).size).toBe(SHORTCUTS.length);
  });

  it('needs Alt alone: not the plain key, not Ctrl/Meta/Shift with it, not a held-down repeat or an IME composition', () => {
    expect(shortcutFor(key('KeyP', { altKey: false }))).toBeNull();
    expect(shortcutFor(key('KeyP', { ctrlKey: true }))).toBeNull();
    expect(shortcutFor(key('KeyP', { metaKey: true }))).toBeNull();
    expect(shortcutFor(key('KeyP', { shiftKey: true }))).toBeNull();
    expect(shortcutFor(key('KeyP', { repeat: true }))).toBeNull();
    expect(shortcutFor(key('KeyP', { isComposing: true }))).toBeNull();
    expect(shortcutFor(key('KeyQ'))).toBeNull();
  });

  it.each([
    ['a text input', { tagName: 'INPUT', type: 'text' }],
    ['an input without a type', { tagName: 'INPUT' }],
    ['a search input', { tagName: 'input', type: 'search' }],
    ['a text area', { tagName: 'TEXTAREA' }],
    ['a select', { tagName: 'SELECT' }],
    ['an editable element', { tagName: 'DIV', isContentEditable: true }],
  ])('is ignored while typing in %s', (_what, target) => {
    expect(isTypingTarget(target)).toBe(true);
    expect(shortcutFor(key('KeyN', { target }))).toBeNull();
    expect(shortcutFor(key('ArrowLeft', { target }))).toBeNull();
  });

  it.each([
    ['a checkbox', { tagName: 'INPUT', type: 'checkbox' }],
    ['a button', { tagName: 'BUTTON' }],
    ['the page', null],
  ])('still works from %s', (_what, target) => {
    expect(shortcutFor(key('KeyP', { target }))).toBe('pass');
  });
});
