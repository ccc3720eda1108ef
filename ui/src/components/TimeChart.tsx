// One time-series chart (uPlot: canvas, fast with many points) of fixed height, as wide as its
// box; marks (autoscale events) drawn as labelled vertical lines.
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { metricValue } from '../lib/format';

export interface ChartSeries {
  label: string;
  values: (number | null)[];
}

export interface ChartMark {
  /** ms since the epoch. */
  at: number;
  label: string;
}

const COLORS = ['#1f6feb', '#d1242f', '#1a7f37', '#9a6700', '#8250df', '#bf3989', '#0969da', '#57606a'];
const HEIGHT = 180;

export function TimeChart(props: { title: string; unit: string; times: number[]; series: ChartSeries[]; marks: ChartMark[] }) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const marks = useRef(props.marks);
  marks.current = props.marks;

  useEffect(() => {
    const el = box.current!;
    const opts: uPlot.Options = {
      width: Math.max(200, el.clientWidth),
      height: HEIGHT,
      legend: { show: true, live: true },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true } },
      axes: [{}, { size: 86, values: (_u, ticks) => ticks.map((t) => metricValue(t, props.unit)) }],
      series: [{}, ...props.series.map((s, i) => ({ label: s.label, stroke: COLORS[i % COLORS.length], width: 1.5, spanGaps: false, value: (_u: uPlot, v: number | null) => metricValue(v, props.unit) }))],
      hooks: {
        draw: [
          (u: uPlot) => {
            const ctx = u.ctx;
            ctx.save();
            ctx.strokeStyle = '#9a6700';
            ctx.fillStyle = '#9a6700';
            ctx.setLineDash([4, 3]);
            ctx.font = `${11 * devicePixelRatio}px system-ui, sans-serif`;
            for (const m of marks.current) {
              const x = Math.round(u.valToPos(m.at / 1000, 'x', true));
              if (x < u.bbox.left || x > u.bbox.left + u.bbox.width) continue;
              ctx.beginPath();
              ctx.moveTo(x, u.bbox.top);
              ctx.lineTo(x, u.bbox.top + u.bbox.height);
              ctx.stroke();
              ctx.fillText(m.label, x + 4, u.bbox.top + 12 * devicePixelRatio);
            }
            ctx.restore();
          },
        ],
      },
    };
    plot.current = new uPlot(opts, [props.times.map((t) => t / 1000), ...props.series.map((s) => s.values)] as uPlot.AlignedData, el);
    const resize = new ResizeObserver(() => plot.current?.setSize({ width: Math.max(200, el.clientWidth), height: HEIGHT }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.current?.destroy();
      plot.current = null;
    };
    // A new set of series (services) needs a new chart; new values only new data.
  }, [props.series.map((s) => s.label).join('|'), props.unit]);

  useEffect(() => {
    plot.current?.setData([props.times.map((t) => t / 1000), ...props.series.map((s) => s.values)] as uPlot.AlignedData);
  }, [props.times, props.series, props.marks]);

  return (
    <figure class="chart">
      <figcaption>{props.title}</figcaption>
      <div ref={box} class="chart-box" role="img" aria-label={`${props.title} chart`} />
    </figure>
  );
}
