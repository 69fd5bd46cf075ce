/*
 * The figures page's charts. The page is complete without this script: every
 * number is in the server-rendered tables, and each chart box carries a label
 * saying so. Only the parts of ECharts the page draws are imported (bars on a
 * grid with a legend and tooltip, on canvas), so the bundle stays small.
 */
import { BarChart } from "echarts/charts";
import { GridComponent, LegendComponent, TooltipComponent } from "echarts/components";
import { init, use, type EChartsType } from "echarts/core";
import { CanvasRenderer } from "echarts/renderers";
import type { ChartSpec, FiguresPageData } from "../figures.ts";

use([BarChart, GridComponent, LegendComponent, TooltipComponent, CanvasRenderer]);

const COLOURS = ["#0b57d0", "#137333", "#c26401", "#b3261e"];

function draw(spec: ChartSpec, locale: FiguresPageData["locale"]): EChartsType | undefined {
  const box = document.getElementById(spec.id);
  if (!box) return undefined;
  const percent = new Intl.NumberFormat(locale === "zh" ? "zh-CN" : "en-GB", { style: "percent", maximumFractionDigits: 0 });
  const count = new Intl.NumberFormat(locale === "zh" ? "zh-CN" : "en-GB", { maximumFractionDigits: 1 });
  const formatValue = (value: unknown) => (typeof value === "number" ? (spec.percent ? percent.format(value) : count.format(value)) : "—");
  // Sideways bars need room for each label's group of bars (a CSSOM style, which the page's policy allows); upright ones keep the sheet's height.
  if (spec.horizontal) box.style.height = `${Math.max(160, spec.labels.length * (12 + 10 * spec.series.length) + 56)}px`;
  const chart = init(box, undefined, { renderer: "canvas" });
  const categoryAxis = {
    type: "category" as const,
    data: spec.horizontal ? [...spec.labels].reverse() : spec.labels,
    axisLabel: { width: 120, overflow: "truncate" as const },
  };
  const valueAxis = {
    type: "value" as const,
    minInterval: spec.percent ? 0 : 1,
    max: spec.percent ? 1 : undefined,
    axisLabel: { formatter: formatValue },
  };
  chart.setOption({
    color: COLOURS,
    animation: false,
    tooltip: { trigger: "axis", valueFormatter: formatValue },
    legend: { show: spec.series.length > 1, top: 0 },
    grid: { left: 8, right: 16, top: spec.series.length > 1 ? 32 : 8, bottom: 8, containLabel: true },
    xAxis: spec.horizontal ? valueAxis : categoryAxis,
    yAxis: spec.horizontal ? categoryAxis : valueAxis,
    series: spec.series.map((series) => ({
      type: "bar" as const,
      name: series.name,
      data: spec.horizontal ? [...series.values].reverse() : series.values,
    })),
  });
  return chart;
}

function start(): void {
  const block = document.getElementById("page-data");
  if (!block?.textContent) return;
  const data = JSON.parse(block.textContent) as FiguresPageData;
  const charts = data.charts.flatMap((spec) => draw(spec, data.locale) ?? []);
  window.addEventListener("resize", () => charts.forEach((chart) => chart.resize()));
}

start();
