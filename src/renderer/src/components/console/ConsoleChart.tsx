import { BarChart, LineChart } from 'echarts/charts';
import { GridComponent, LegendComponent, TooltipComponent } from 'echarts/components';
import * as echarts from 'echarts/core';
import { CanvasRenderer } from 'echarts/renderers';
import ReactEChartsCore from 'echarts-for-react/esm/core';

// only what the console draws, so the renderer bundle carries a fraction of ECharts
echarts.use([BarChart, LineChart, GridComponent, LegendComponent, TooltipComponent, CanvasRenderer]);

export interface Series {
  name: string;
  type: 'bar' | 'line';
  data: (number | null)[];
  /** Plot against the right-hand (0–100 %) axis. */
  percent?: boolean;
  /** Plot against a right-hand axis of its own labelled with this unit (the wallboard's waits in seconds); not with `percent`. */
  rightUnit?: string;
}

/**
 * A bar/line chart on canvas. Tooltips render as rich text on the canvas rather than as HTML: the app's CSP allows
 * no inline styles, which ECharts' HTML tooltips are made of.
 */
export function ConsoleChart({ categories, series, testId, horizontal = false }: { categories: string[]; series: Series[]; testId: string; horizontal?: boolean }) {
  const hasPercent = series.some((s) => s.percent);
  const rightUnit = series.find((s) => s.rightUnit !== undefined)?.rightUnit;
  const hasRight = hasPercent || rightUnit !== undefined;
  const category = { type: 'category', data: categories, axisLabel: { hideOverlap: true } };
  const values = [
    { type: 'value' },
    ...(hasPercent ? [{ type: 'value', min: 0, max: 100, axisLabel: { formatter: '{value}%' } }] : rightUnit !== undefined ? [{ type: 'value', axisLabel: { formatter: `{value}${rightUnit}` } }] : []),
  ];
  const option = {
    animation: false,
    tooltip: { trigger: 'axis', renderMode: 'richText' },
    legend: { top: 0 },
    grid: { left: horizontal ? 110 : 48, right: hasRight ? 48 : 16, top: 32, bottom: 28 },
    xAxis: horizontal ? values[0] : category,
    yAxis: horizontal ? category : values,
    series: series.map((s) => ({
      name: s.name,
      type: s.type,
      data: s.percent ? s.data.map((v) => (v === null ? null : Math.round(v * 1000) / 10)) : s.data,
      ...((s.percent || s.rightUnit !== undefined) && !horizontal ? { yAxisIndex: 1 } : {}),
      ...(s.type === 'line' ? { connectNulls: true, symbolSize: 5 } : {}),
    })),
  };
  return (
    <div data-testid={testId} className="console-chart">
      <ReactEChartsCore echarts={echarts} option={option} notMerge style={{ height: 260, width: '100%' }} opts={{ renderer: 'canvas' }} />
    </div>
  );
}
