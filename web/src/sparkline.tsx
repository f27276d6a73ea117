/**
 * A sparkline of the hour ring (up to 24 hourly peaks): one SVG path (web/src/spark-path.ts), 0–100 %
 * on a fixed scale so that hosts compare at a glance, broken where an hour is unknown. A few hundred bytes instead of a charting
 * library: the page draws up to 600 of them (200 rows × 3), and an SVG path is one DOM node.
 */
import { sparkPath } from './spark-path';

const HOUR = 3_600_000;

export function Sparkline({ values, from, label, width = 48, height = 14 }: {
  values: readonly (number | null)[]; from: number; label: string; width?: number; height?: number;
}) {
  const { d, points, hours, first } = sparkPath(values, width, height);
  let peak: { v: number; i: number } | undefined;
  values.forEach((v, i) => {
    if (v !== null && (!peak || v >= peak.v)) peak = { v, i };
  });
  const title = peak
    ? `${label}, last ${hours} h: peak ${peak.v}% at ${new Date(from + peak.i * HOUR).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })}`
    : `${label}: no history yet`;
  return (
    <svg class={`spark ${label}`} width={width} height={height} viewBox={`0 0 ${width} ${height}`} data-points={points} data-from={from + first * HOUR} role="img" aria-label={title}>
      <title>{title}</title>
      <rect width={width} height={height} rx="2" />
      {d && <path d={d} />}
    </svg>
  );
}
