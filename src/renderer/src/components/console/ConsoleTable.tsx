import { columnSizingFeature, createColumnHelper, tableFeatures, useTable } from '@tanstack/react-table';
import { useVirtualizer } from '@tanstack/react-virtual';
import { useEffect, useMemo, useRef } from 'react';
import { useTranslation } from 'react-i18next';
import type { ConsoleCaseRow } from '../../../../shared/console';
import type { CasePages } from './use-case-pages';

const ROW_HEIGHT = 34;
const features = tableFeatures({ columnSizingFeature });
const helper = createColumnHelper<typeof features, ConsoleCaseRow>();

interface Props {
  pages: CasePages;
  selected: ReadonlySet<string>;
  onToggle(caseId: string): void;
  onToggleAll(): void;
  onOpen(row: ConsoleCaseRow): void;
  active: string | null;
}

/**
 * The case list: @tanstack/react-table for the column model, @tanstack/react-virtual so only the rows on screen
 * are in the DOM (a lead scrolls through thousands), and the next keyset page requested as the end comes into view.
 */
export function ConsoleTable({ pages, selected, onToggle, onToggleAll, onOpen, active }: Props) {
  const { t, i18n } = useTranslation();
  const time = useMemo(() => new Intl.DateTimeFormat(i18n.language, { dateStyle: 'short', timeStyle: 'short' }), [i18n.language]);
  const columns = useMemo(
    () =>
      helper.columns([
        helper.accessor('openedAt', { header: () => t('console.columns.opened'), cell: (c) => time.format(c.getValue()), size: 140 }),
        helper.accessor('caseId', { header: () => t('console.columns.case'), cell: (c) => <span className="mono" title={c.getValue()}>{c.getValue().slice(0, 13)}</span>, size: 130 }),
        helper.accessor('agentId', { header: () => t('console.columns.agent'), size: 100 }),
        helper.accessor('serviceType', { header: () => t('console.columns.service'), cell: (c) => t(`cases.service.${c.getValue()}`), size: 60 }),
        helper.accessor('advice', { header: () => t('console.columns.advice'), cell: (c) => (c.getValue() ? t(`console.advice.${c.getValue()}`) : '—'), size: 70 }),
        helper.accessor('decision', { header: () => t('console.columns.decision'), cell: (c) => t(`console.decision.${c.getValue() ?? 'none'}`), size: 70 }),
        helper.accessor('disagreement', {
          header: () => t('console.columns.disagreement'),
          cell: (c) =>
            c.getValue() ? (
              <span className="against" data-testid="console-against">
                {t('console.table.against')}
                {c.row.original.reasonCode ? `：${t(`desk.overrideReasons.${c.row.original.reasonCode}`, { defaultValue: c.row.original.reasonCode })}` : ''}
              </span>
            ) : (
              ''
            ),
          size: 190,
        }),
        helper.accessor('escalated', { header: () => t('console.columns.escalated'), cell: (c) => (c.getValue() ? '▲' : ''), size: 50 }),
        helper.accessor('reverified', { header: () => t('console.columns.reverified'), cell: (c) => (c.getValue() ? '↻' : ''), size: 50 }),
        helper.accessor('failedChecks', { header: () => t('console.columns.failed'), cell: (c) => c.getValue().map((k) => t(`console.failed.${k}`)).join('、'), size: 160 }),
        helper.accessor('reviewOutcome', { header: () => t('console.columns.review'), cell: (c) => t(`console.review.${c.getValue() ?? 'unreviewed'}`), size: 90 }),
      ]),
    [t, time],
  );
  const table = useTable({ features, columns, data: pages.rows, getRowId: (row) => row.caseId });
  const headers = table.getHeaderGroups()[0]?.headers ?? [];
  const template = `32px ${headers.map((h) => `${h.getSize()}px`).join(' ')}`;
  const rows = table.getRowModel().rows;

  const scrollRef = useRef<HTMLDivElement>(null);
  // no React Compiler in this build (plain @vitejs/plugin-react), so nothing memoizes the virtualizer's functions
  // eslint-disable-next-line react-hooks/incompatible-library
  const virtualizer = useVirtualizer({ count: rows.length, getScrollElement: () => scrollRef.current, estimateSize: () => ROW_HEIGHT, overscan: 12 });
  const items = virtualizer.getVirtualItems();
  const lastIndex = items[items.length - 1]?.index ?? -1;
  const { loadMore } = pages;
  useEffect(() => {
    // the next page before the lead reaches the end
    if (lastIndex >= rows.length - 30) loadMore();
  }, [lastIndex, rows.length, loadMore]);

  return (
    <div className="console-table panel" role="table" data-testid="console-table" data-rows={rows.length} data-done={pages.done ? 'true' : 'false'}>
      <div className="console-row console-head" role="row" style={{ gridTemplateColumns: template }}>
        <span role="columnheader">
          <input type="checkbox" aria-label={t('console.table.selectAll')} checked={rows.length > 0 && selected.size >= rows.length} onChange={onToggleAll} />
        </span>
        {headers.map((h) => (
          <span role="columnheader" key={h.id}>
            <table.FlexRender header={h} />
          </span>
        ))}
      </div>
      <div className="console-scroll" ref={scrollRef} data-testid="console-scroll">
        <div className="console-spacer" style={{ height: virtualizer.getTotalSize() }}>
          {items.map((item) => {
            const row = rows[item.index]!;
            const c = row.original;
            return (
              <div
                key={row.id}
                role="row"
                data-testid="console-row"
                data-case={c.caseId}
                data-against={c.disagreement ? 'true' : 'false'}
                className={`console-row${active === c.caseId ? ' active' : ''}${c.disagreement ? ' disagree' : ''}`}
                style={{ gridTemplateColumns: template, height: ROW_HEIGHT, transform: `translateY(${item.start}px)` }}
                onClick={() => onOpen(c)}
              >
                <span role="cell" onClick={(e) => e.stopPropagation()}>
                  <input type="checkbox" aria-label={c.caseId} checked={selected.has(c.caseId)} onChange={() => onToggle(c.caseId)} />
                </span>
                {row.getAllCells().map((cell) => (
                  <span role="cell" key={cell.id}>
                    <table.FlexRender cell={cell} />
                  </span>
                ))}
              </div>
            );
          })}
        </div>
      </div>
      <div className="console-table-foot muted" data-testid="console-table-foot">
        {t('console.table.loaded', { count: rows.length })} · {pages.loading ? t('console.table.loading') : pages.done ? t('console.table.end') : t('console.table.more')}
        {selected.size > 0 && ` · ${t('console.table.selected', { count: selected.size })}`}
      </div>
      {pages.done && rows.length === 0 && !pages.error && <p className="muted">{t('console.table.empty')}</p>}
    </div>
  );
}
