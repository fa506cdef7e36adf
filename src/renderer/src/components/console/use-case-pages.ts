import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { ConsoleCaseRow, ConsoleFilter, ConsoleSource } from '../../../../shared/console';
import type { AppError } from '../../../../shared/errors';
import { useApi } from '../../transport/api-context';

const PAGE = 200;

export interface CasePages {
  rows: ConsoleCaseRow[];
  loading: boolean;
  /** No further page. */
  done: boolean;
  error: AppError | null;
  loadMore(): void;
}

interface Loaded {
  /** The query these rows answer. */
  key: string;
  rows: ConsoleCaseRow[];
  cursor: string | null;
  loadingMore: boolean;
  error: AppError | null;
}

/**
 * The console list, one keyset page at a time (console.list's nextCursor): the first page when the source or the
 * filter changes, the next one when the table scrolls near its end. Rows are kept with the query they answer, so
 * a reply to a superseded query is never shown.
 */
export function useCasePages(source: ConsoleSource, filter: ConsoleFilter, reload: number): CasePages {
  const api = useApi();
  const key = useMemo(() => JSON.stringify([source, filter, reload]), [source, filter, reload]);
  const [loaded, setLoaded] = useState<Loaded | null>(null);
  const currentKey = useRef(key);
  useEffect(() => {
    currentKey.current = key;
  }, [key]);

  useEffect(() => {
    let cancelled = false;
    void api.invoke('console.list', { source, filter, cursor: null, limit: PAGE }).then((r) => {
      if (cancelled) return;
      setLoaded(r.ok ? { key, rows: r.value.rows, cursor: r.value.nextCursor, loadingMore: false, error: null } : { key, rows: [], cursor: null, loadingMore: false, error: r.error });
    });
    return () => {
      cancelled = true;
    };
  }, [api, source, filter, key]);

  const current = loaded?.key === key ? loaded : null;
  const loadMore = useCallback(() => {
    if (!current || current.loadingMore || current.cursor === null) return;
    const { cursor } = current;
    setLoaded({ ...current, loadingMore: true });
    void api.invoke('console.list', { source, filter, cursor, limit: PAGE }).then((r) => {
      if (currentKey.current !== key) return;
      setLoaded((prev) =>
        prev && prev.key === key
          ? r.ok
            ? { ...prev, rows: [...prev.rows, ...r.value.rows], cursor: r.value.nextCursor, loadingMore: false }
            : { ...prev, cursor: null, loadingMore: false, error: r.error }
          : prev,
      );
    });
  }, [api, current, source, filter, key]);

  return {
    rows: current?.rows ?? [],
    loading: current === null || current.loadingMore,
    done: current !== null && current.cursor === null,
    error: current?.error ?? null,
    loadMore,
  };
}
