/**
 * The day-plan chart, rendered to SVG on the server by Apache ECharts (SSR, no browser, no CDN): real-time,
 * day-ahead and forecast prices ($/MWh), planned charge (below zero) and discharge (above zero) bars (kW), the SoC
 * path (kWh) with the reserve floor, the command windows shaded and labelled with their state, and a person's window
 * overrides outlined (dashed) and labelled. Series differ by
 * line style and decal pattern as well as colour. One transparent `rect.interval` per interval carries a `<title>`
 * (a tooltip without JavaScript) — 92, 96 or 100 of them on a 23/24/25-hour day.
 */
import { createRequire } from 'node:module';

/** The part of ECharts used here (its type declarations do not resolve as an ES module under NodeNext). */
type EChartsCoreOption = Record<string, unknown>;
interface ECharts {
  setOption(option: EChartsCoreOption, opts?: { notMerge?: boolean }): void;
  renderToSVGString(): string;
  convertToPixel(finder: { xAxisIndex: number }, value: number): number | number[];
  dispose(): void;
}
const { init } = createRequire(import.meta.url)('echarts') as { init(dom: null, theme: null, opts: { renderer: 'svg'; ssr: true; width: number; height: number }): ECharts };
import { esc } from './html.js';
import type { DayPlanView } from './schemas.js';

const STATE_COLOURS: Record<string, string> = { active: 'rgba(17,99,41,0.16)', scheduled: 'rgba(20,50,74,0.12)', accepted: 'rgba(20,50,74,0.12)', completed: 'rgba(87,96,106,0.12)', awaiting_approval: 'rgba(138,75,0,0.16)', failed: 'rgba(176,28,28,0.16)' };

export function dayPlanChartSvg(view: DayPlanView, size = { width: 1200, height: 460 }): string {
  const chart = init(null, null, { renderer: 'svg', ssr: true, width: size.width, height: size.height });
  try {
    chart.setOption(chartOption(view), { notMerge: true });
    const svg = chart.renderToSVGString();
    return addIntervalTargets(svg, view, chart, size.height);
  } finally {
    chart.dispose();
  }
}

function chartOption(view: DayPlanView): EChartsCoreOption {
  const labels = view.intervals.map((i) => i.time);
  const round = (v: number | null): number | null => (v === null ? null : Math.round(v * 100) / 100);
  const areas = view.commands.map((c) => {
    const from = view.intervals.findIndex((i) => i.startMs >= c.startMs);
    const last = view.intervals.findLastIndex((i) => i.startMs < c.endMs);
    return from < 0 || last < from ? null : [
      { xAxis: from, name: `${c.mode} · ${c.state}${c.override ? ` · override ${c.override}` : ''}`, itemStyle: { color: STATE_COLOURS[c.state] ?? 'rgba(87,96,106,0.10)' } },
      { xAxis: last },
    ];
  }).filter((a) => a !== null);
  const overrideAreas = view.overrides.map((o) => {
    const from = view.intervals.findIndex((i) => i.startMs >= o.windowStartMs);
    const last = view.intervals.findLastIndex((i) => i.startMs < o.windowEndMs);
    return from < 0 || last < from ? null : [
      { xAxis: from, name: `⚑ override ${o.mode} (${o.setBy})`, itemStyle: { color: 'rgba(138,75,0,0.08)', borderColor: '#8a4b00', borderType: 'dashed', borderWidth: 1.5 } },
      { xAxis: last },
    ];
  }).filter((a) => a !== null);
  return {
    animation: false,
    aria: { enabled: true, decal: { show: true }, label: { description: `Day plan of ${view.siteId} on ${view.date}: ${view.intervalCount} intervals` } },
    legend: { top: 0, textStyle: { fontSize: 12 } },
    grid: { left: 60, right: 110, top: 62, bottom: 50 },
    xAxis: { type: 'category', data: labels, axisLabel: { interval: 7, fontSize: 11 }, name: 'Central time', nameLocation: 'middle', nameGap: 30 },
    yAxis: [
      { type: 'value', name: '$/MWh', position: 'left', splitLine: { lineStyle: { color: '#e5e8eb' } } },
      { type: 'value', name: 'kW', position: 'right', splitLine: { show: false } },
      { type: 'value', name: 'SoC kWh', position: 'right', offset: 55, min: 0, max: view.capacityKwh, splitLine: { show: false } },
    ],
    series: [
      { name: 'Real-time $/MWh', type: 'line', step: 'end', symbol: 'none', data: view.intervals.map((i) => round(i.rtUsdPerMwh)), lineStyle: { width: 1.5, color: '#14324a' }, itemStyle: { color: '#14324a' },
        markArea: { silent: true, label: { show: true, position: 'top', distance: 4, fontSize: 11, color: '#1b1f24' }, data: areas } },
      { name: 'Day-ahead $/MWh', type: 'line', step: 'end', symbol: 'none', data: view.intervals.map((i) => round(i.daUsdPerMwh)), lineStyle: { width: 1.5, type: 'dashed', color: '#8a4b00' }, itemStyle: { color: '#8a4b00' },
        markArea: { silent: true, label: { show: true, position: 'insideBottom', distance: 4, fontSize: 11, color: '#8a4b00' }, data: overrideAreas } },
      { name: 'Forecast used $/MWh', type: 'line', step: 'end', symbol: 'none', data: view.intervals.map((i) => round(i.forecastUsdPerMwh)), lineStyle: { width: 2, type: 'dotted', color: '#6f42c1' }, itemStyle: { color: '#6f42c1' } },
      { name: 'Charge kW', type: 'bar', yAxisIndex: 1, stack: 'power', data: view.intervals.map((i) => (i.chargeKw ? -round(i.chargeKw)! : null)), itemStyle: { color: '#2e7d32', decal: { symbol: 'rect', dashArrayX: [1, 0], dashArrayY: [2, 3], rotation: Math.PI / 4 } } },
      { name: 'Discharge kW', type: 'bar', yAxisIndex: 1, stack: 'power', data: view.intervals.map((i) => (i.dischargeKw ? round(i.dischargeKw) : null)), itemStyle: { color: '#c62828', decal: { symbol: 'circle', symbolSize: 0.6 } } },
      { name: 'SoC kWh', type: 'line', yAxisIndex: 2, symbol: 'none', data: view.intervals.map((i) => round(i.socKwh)), lineStyle: { width: 2.5, color: '#0277bd' }, itemStyle: { color: '#0277bd' },
        markLine: { silent: true, symbol: 'none', lineStyle: { type: 'dashed', color: '#b01c1c' }, label: { formatter: `reserve floor ${view.reserveFloorKwh.toFixed(1)} kWh`, position: 'insideEndTop', fontSize: 10 }, data: [{ yAxis: round(view.reserveFloorKwh) }] } },
    ],
  };
}

/** One transparent rectangle per interval, with a tooltip; appended inside the root <svg>. */
function addIntervalTargets(svg: string, view: DayPlanView, chart: ECharts, height: number): string {
  const n = view.intervals.length;
  if (!n) return svg;
  const x0 = Number(chart.convertToPixel({ xAxisIndex: 0 }, 0));
  const x1 = n > 1 ? Number(chart.convertToPixel({ xAxisIndex: 0 }, 1)) : x0 + 10;
  const step = x1 - x0;
  const rects = view.intervals.map((i, k) => {
    const tip = `${i.time}: RT ${fmt(i.rtUsdPerMwh, '$/MWh')}, DA ${fmt(i.daUsdPerMwh, '$/MWh')}, forecast ${fmt(i.forecastUsdPerMwh, '$/MWh')}, charge ${fmt(i.chargeKw, 'kW')}, discharge ${fmt(i.dischargeKw, 'kW')}, SoC ${fmt(i.socKwh, 'kWh')}`;
    return `<rect class="interval" data-start="${i.startMs}" x="${(x0 + (k - 0.5) * step).toFixed(1)}" y="62" width="${step.toFixed(2)}" height="${height - 112}" fill="transparent"><title>${esc(tip)}</title></rect>`;
  });
  return svg.replace(/<\/svg>\s*$/, `<g class="intervals" data-count="${n}">${rects.join('')}</g></svg>`);
}

function fmt(v: number | null, unit: string): string {
  return v === null ? '–' : `${v.toFixed(2)} ${unit}`;
}

/** Any ECharts option to SVG (server side). */
export function renderSvg(option: EChartsCoreOption, size: { width: number; height: number }): string {
  const chart = init(null, null, { renderer: 'svg', ssr: true, width: size.width, height: size.height });
  try {
    chart.setOption(option, { notMerge: true });
    return chart.renderToSVGString();
  } finally {
    chart.dispose();
  }
}
