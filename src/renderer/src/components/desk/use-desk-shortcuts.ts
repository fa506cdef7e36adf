import { useEffect, useRef } from 'react';
import { shortcutFor, type ShortcutAction } from '../../desk/shortcuts';

/** Window-wide Alt+key shortcuts while the session view is shown; the latest handlers are used without re-subscribing. */
export function useDeskShortcuts(handlers: Record<ShortcutAction, () => void>): void {
  const ref = useRef(handlers);
  useEffect(() => {
    ref.current = handlers;
  });
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      const action = shortcutFor(event);
      if (!action) return;
      // Alt+←/→ would otherwise navigate the page back/forward in a browser, Alt+F open a menu
      event.preventDefault();
      ref.current[action]();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
}
