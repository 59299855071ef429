/**
 * Small dependency-free SVG charts for reports: a parity plot (predicted vs measured, with the y = x line) and
 * line charts (learning curves). Coordinates are data units; the axes get ticks at round numbers.
 */
export interface Series {
  label: string;
  xs: number[];
  ys: number[];
}

const W = 420;
const H = 360;
const M = { left: 56, right: 16, top: 30, bottom: 46 };
const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b'];

/** Ticks at round numbers; `integer` keeps them on whole numbers (epochs). */
function niceTicks(lo: number, hi: number, count = 5, integer = false): number[] {
  const span = hi - lo || 1;
  const raw = integer ? Math.max(span / count, 1) : span / count;
  const mag = integer ? Math.max(10 ** Math.floor(Math.log10(raw)), 1) : 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + 1e-9 * span; t += step) out.push(Number(t.toFixed(10)));
  return out;
}

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

interface FrameOptions {
  /** Ticks of the x axis on whole numbers only. */
  integerX?: boolean;
  /** Extra width right of the plot (a legend that must not cover the data). */
  aside?: number;
}

function frame(
  title: string,
  xLabel: string,
  yLabel: string,
  x: [number, number],
  y: [number, number],
  body: (sx: (v: number) => number, sy: (v: number) => number) => string,
  opts: FrameOptions = {},
): string {
  const plotRight = W - M.right;
  const width = W + (opts.aside ?? 0);
  const sx = (v: number): number => M.left + ((v - x[0]) / (x[1] - x[0] || 1)) * (plotRight - M.left);
  const sy = (v: number): number => H - M.bottom - ((v - y[0]) / (y[1] - y[0] || 1)) * (H - M.top - M.bottom);
  const xt = niceTicks(x[0], x[1], 5, opts.integerX)
    .map(
      (t) =>
        `<line x1="${sx(t)}" y1="${H - M.bottom}" x2="${sx(t)}" y2="${H - M.bottom + 4}" stroke="#333"/><text x="${sx(t)}" y="${H - M.bottom + 16}" font-size="11" text-anchor="middle">${t}</text>`,
    )
    .join('');
  const yt = niceTicks(y[0], y[1])
    .map(
      (t) =>
        `<line x1="${M.left - 4}" y1="${sy(t)}" x2="${M.left}" y2="${sy(t)}" stroke="#333"/><text x="${M.left - 7}" y="${sy(t) + 4}" font-size="11" text-anchor="end">${t}</text>`,
    )
    .join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${H}" viewBox="0 0 ${width} ${H}" font-family="sans-serif">
<rect width="${width}" height="${H}" fill="white"/>
<text x="${width / 2}" y="18" font-size="13" text-anchor="middle">${esc(title)}</text>
<rect x="${M.left}" y="${M.top}" width="${plotRight - M.left}" height="${H - M.top - M.bottom}" fill="none" stroke="#333"/>
${xt}${yt}
<text x="${(M.left + plotRight) / 2}" y="${H - 10}" font-size="12" text-anchor="middle">${esc(xLabel)}</text>
<text x="14" y="${(M.top + H - M.bottom) / 2}" font-size="12" text-anchor="middle" transform="rotate(-90 14 ${(M.top + H - M.bottom) / 2})">${esc(yLabel)}</text>
${body(sx, sy)}
</svg>
`;
}

function range(values: number[], pad = 0.05): [number, number] {
  const finite = values.filter(Number.isFinite);
  const lo = Math.min(...finite);
  const hi = Math.max(...finite);
  const p = (hi - lo || 1) * pad;
  return [lo - p, hi + p];
}

/** Predicted vs measured with the identity line; `note` (e.g. "MAE 2.51") goes in the corner. */
export function parityPlot(
  title: string,
  measured: number[],
  predicted: number[],
  note = '',
  unit = 'log10 σ (S/cm)',
): string {
  const r = range([...measured, ...predicted]);
  return frame(
    title,
    `measured ${unit}`,
    `predicted ${unit}`,
    r,
    r,
    (sx, sy) =>
      `<line x1="${sx(r[0])}" y1="${sy(r[0])}" x2="${sx(r[1])}" y2="${sy(r[1])}" stroke="#999" stroke-dasharray="4 3"/>` +
      measured
        .map(
          (m, i) =>
            `<circle cx="${sx(m).toFixed(1)}" cy="${sy(predicted[i]).toFixed(1)}" r="3" fill="${COLORS[0]}" fill-opacity="0.7"/>`,
        )
        .join('') +
      (note ? `<text x="${M.left + 8}" y="${M.top + 16}" font-size="12">${esc(note)}</text>` : ''),
  );
}

/**
 * Several lines sharing axes (e.g. training and validation loss per epoch), each point marked, with a legend to the
 * right of the plot so that it never covers a line. `integerX`: whole-number x ticks (epochs).
 */
export function lineChart(
  title: string,
  series: Series[],
  xLabel: string,
  yLabel: string,
  opts: { integerX?: boolean } = {},
): string {
  const x = range(
    series.flatMap((s) => s.xs),
    0,
  );
  const y = range(series.flatMap((s) => s.ys));
  const aside = 16 + 7 * Math.max(0, ...series.map((s) => s.label.length)) + 24;
  return frame(
    title,
    xLabel,
    yLabel,
    x,
    y,
    (sx, sy) =>
      series
        .map((s, k) => {
          const color = COLORS[k % COLORS.length];
          const finite = s.xs.map((v, i) => [v, s.ys[i]]).filter(([, v]) => Number.isFinite(v));
          const pts = finite.map(([a, b]) => `${sx(a).toFixed(1)},${sy(b).toFixed(1)}`).join(' ');
          const marks =
            finite.length <= 60
              ? finite
                  .map(
                    ([a, b]) => `<circle cx="${sx(a).toFixed(1)}" cy="${sy(b).toFixed(1)}" r="2.2" fill="${color}"/>`,
                  )
                  .join('')
              : '';
          const ly = M.top + 10 + 18 * k;
          return (
            `<polyline points="${pts}" fill="none" stroke="${color}" stroke-width="1.6"/>${marks}` +
            `<line x1="${W - M.right + 12}" y1="${ly}" x2="${W - M.right + 30}" y2="${ly}" stroke="${color}" stroke-width="2"/>` +
            `<text x="${W - M.right + 34}" y="${ly + 4}" font-size="11" fill="${color}">${esc(s.label)}</text>`
          );
        })
        .join(''),
    { integerX: opts.integerX, aside },
  );
}
