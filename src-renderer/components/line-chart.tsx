// A time-series line chart on a canvas: cheap to redraw once a second with hundreds of
// points per series, crisp on HiDPI, themed from CSS variables. Gaps (null) break the line.

import { useEffect, useRef } from 'react';

export interface ChartSeries {
  label: string;
  /** CSS color or var(--name). */
  color: string;
  values: ReadonlyArray<number | null>;
}

export interface LineChartProps {
  series: readonly ChartSeries[];
  /** Epoch seconds of each index (shared by all series). */
  times: readonly number[];
  height?: number;
  unit?: string;
  ariaLabel: string;
}

function cssColor(el: Element, color: string): string {
  const m = /^var\((--[\w-]+)\)$/.exec(color);
  return m?.[1] ? getComputedStyle(el).getPropertyValue(m[1]).trim() || '#888' : color;
}

function niceMax(value: number): number {
  if (value <= 0) return 1;
  const exp = 10 ** Math.floor(Math.log10(value));
  const f = value / exp;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * exp;
}

export function LineChart({ series, times, height = 140, unit = '', ariaLabel }: LineChartProps): React.JSX.Element {
  const canvasRef = useRef<HTMLCanvasElement>(null);

  useEffect(() => {
    const canvas = canvasRef.current;
    if (!canvas) return;
    const draw = (): void => {
      const width = canvas.clientWidth;
      const dpr = window.devicePixelRatio || 1;
      canvas.width = Math.max(1, Math.round(width * dpr));
      canvas.height = Math.round(height * dpr);
      const ctx = canvas.getContext('2d');
      if (!ctx) return;
      ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
      ctx.clearRect(0, 0, width, height);
      const pad = { l: 44, r: 8, t: 8, b: 18 };
      const w = width - pad.l - pad.r;
      const h = height - pad.t - pad.b;
      let max = 0;
      for (const s of series) for (const v of s.values) if (v !== null && v > max) max = v;
      const top = niceMax(max);
      const grid = cssColor(canvas, 'var(--chart-grid)');
      const text = cssColor(canvas, 'var(--text-dim)');
      ctx.font = '10px ui-monospace, SFMono-Regular, Menlo, monospace';
      ctx.fillStyle = text;
      ctx.strokeStyle = grid;
      ctx.lineWidth = 1;
      for (let i = 0; i <= 4; i++) {
        const y = pad.t + Math.round((h * i) / 4) + 0.5;
        ctx.beginPath();
        ctx.moveTo(pad.l, y);
        ctx.lineTo(pad.l + w, y);
        ctx.stroke();
        const label = top - (top * i) / 4;
        ctx.textAlign = 'right';
        ctx.fillText(`${formatAxis(label)}${unit}`, pad.l - 4, y + 3);
      }
      const n = times.length;
      if (n > 1) {
        ctx.textAlign = 'center';
        for (const i of [0, Math.floor(n / 2), n - 1]) {
          const t = times[i];
          if (t === undefined) continue;
          const x = pad.l + (w * i) / (n - 1);
          ctx.fillText(new Date(t * 1000).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false }), Math.min(Math.max(x, pad.l + 24), pad.l + w - 24), height - 4);
        }
      }
      for (const s of series) {
        ctx.strokeStyle = cssColor(canvas, s.color);
        ctx.lineWidth = 1.5;
        ctx.beginPath();
        let drawing = false;
        s.values.forEach((v, i) => {
          if (v === null) {
            drawing = false;
            return;
          }
          const x = pad.l + (n > 1 ? (w * i) / (n - 1) : 0);
          const y = pad.t + h - (h * v) / top;
          if (drawing) ctx.lineTo(x, y);
          else ctx.moveTo(x, y);
          drawing = true;
        });
        ctx.stroke();
      }
    };
    draw();
    const observer = new ResizeObserver(draw);
    observer.observe(canvas);
    return () => observer.disconnect();
  }, [series, times, height, unit]);

  return (
    <figure className="chart" aria-label={ariaLabel}>
      <canvas ref={canvasRef} style={{ height }} role="img" aria-label={ariaLabel} data-points={times.length} />
      <figcaption className="legend">
        {series.map((s) => (
          <span key={s.label}>
            <i style={{ background: s.color }} />
            {s.label}
          </span>
        ))}
      </figcaption>
    </figure>
  );
}

function formatAxis(v: number): string {
  if (v >= 1000) return `${(v / 1000).toFixed(v >= 10_000 ? 0 : 1)}k`;
  if (v >= 10 || v === 0) return v.toFixed(0);
  return v.toFixed(1);
}
