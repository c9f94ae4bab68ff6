import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { h } from "./dom.js";

export interface Series {
  label: string;
  /** One value per point of `times`. */
  values: number[];
  color: string;
}

export interface TimeChart {
  /** What the chart shows, for people who cannot see it (the canvas's accessible name). */
  title: string;
  /** Start of each point, Unix seconds. */
  times: number[];
  series: Series[];
  timeZone: string;
  /** Column heading and formatter of the data table's first column. */
  timeLabel: string;
  formatTime: (unixSeconds: number) => string;
}

/**
 * A line chart (uPlot: small, canvas, no inline styles that a strict CSP would block) and, under
 * it, the same numbers as a table behind a disclosure: screen readers and tests read that one.
 */
export function timeChart(spec: TimeChart): HTMLElement {
  const plot = h("div", { class: "chart", role: "img", "aria-label": spec.title });
  const legend = h(
    "ul",
    { class: "legend", "aria-hidden": "true" },
    spec.series.map((s) => h("li", {}, h("span", { class: `swatch swatch-${s.color}` }), s.label)),
  );
  const table = h(
    "table",
    { class: "data" },
    h("caption", {}, spec.title),
    h("thead", {}, h("tr", {}, h("th", { scope: "col" }, spec.timeLabel), spec.series.map((s) => h("th", { scope: "col" }, s.label)))),
    h(
      "tbody",
      {},
      spec.times.map((t, i) =>
        h("tr", {}, h("th", { scope: "row" }, spec.formatTime(t)), spec.series.map((s) => h("td", { class: "num" }, s.values[i]!.toLocaleString()))),
      ),
    ),
  );
  const figure = h("figure", { class: "chart-box" }, legend, plot, h("details", {}, h("summary", {}, "Show the numbers"), h("div", { class: "table-scroll" }, table)));
  mountWhenSized(plot, spec);
  return figure;
}

const COLORS: Record<string, string> = { blue: "#1d4ed8", green: "#047857", orange: "#c2410c" };

/** uPlot needs a width: draw once the element is laid out, redraw when it is resized. */
function mountWhenSized(el: HTMLElement, spec: TimeChart): void {
  let chart: uPlot | undefined;
  const size = () => ({ width: Math.max(240, el.clientWidth), height: el.clientWidth < 500 ? 200 : 260 });
  const observer = new ResizeObserver(() => {
    if (!el.isConnected) {
      observer.disconnect();
      chart?.destroy();
      return;
    }
    if (el.clientWidth === 0) return;
    if (chart) chart.setSize(size());
    else {
      chart = new uPlot(
        {
          ...size(),
          tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), spec.timeZone),
          legend: { show: false },
          cursor: { drag: { x: false, y: false } },
          scales: { x: { time: true } },
          axes: [{}, { values: (_u, ticks) => ticks.map((v) => v.toLocaleString()) }],
          series: [
            {},
            ...spec.series.map((s) => ({ label: s.label, stroke: COLORS[s.color], width: 2, points: { show: spec.times.length < 60 } })),
          ],
        },
        [spec.times, ...spec.series.map((s) => s.values)],
        el,
      );
    }
  });
  observer.observe(el);
}
