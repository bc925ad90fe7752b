// Number and time formatting shared by the views. Intl formatters are built once: building
// one per call (what toLocaleString does) costs more than the rest of a table row's render.

const INTEGER = new Intl.NumberFormat('en-US');
const TIME = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });
const DATE_TIME = new Intl.DateTimeFormat(undefined, { dateStyle: 'short', timeStyle: 'medium', hourCycle: 'h23' });

export const formatMs = (ms: number | null | undefined): string =>
  ms === null || ms === undefined ? '—' : ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : ms >= 100 ? `${Math.round(ms)} ms` : `${ms.toFixed(1)} ms`;

export const formatUsd = (usd: number | null | undefined): string =>
  usd === null || usd === undefined ? '—' : usd === 0 ? '$0' : usd < 0.01 ? `$${usd.toFixed(5)}` : `$${usd.toFixed(2)}`;

export const formatInt = (n: number | null | undefined): string => (n === null || n === undefined ? '—' : INTEGER.format(n));

export const formatPct = (ratio: number | null | undefined): string =>
  ratio === null || ratio === undefined ? '—' : `${(ratio * 100).toFixed(ratio < 0.1 ? 1 : 0)}%`;

export const formatTime = (ms: number): string => {
  const d = new Date(ms);
  return `${TIME.format(d)}.${String(d.getMilliseconds()).padStart(3, '0')}`;
};

export const formatDateTime = (value: number | string | null | undefined): string => {
  if (value === null || value === undefined || value === '') return '—';
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? String(value) : DATE_TIME.format(d);
};

export const formatDuration = (seconds: number | undefined): string => {
  if (seconds === undefined) return '—';
  const s = Math.floor(seconds);
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  return d > 0 ? `${d}d ${h}h` : h > 0 ? `${h}h ${m}m` : `${m}m ${s % 60}s`;
};
