/**
 * A 24-hour sparkline: one SVG path over hourly peaks, 0–100 % on a fixed scale so that hosts
 * compare at a glance, broken where an hour is unknown. A few hundred bytes instead of a charting
 * library: the page draws up to 600 of them (200 rows × 3), and an SVG path is one DOM node.
 */
const HOUR = 3_600_000;

export function Sparkline({ values, from, label, width = 48, height = 14 }: {
  values: readonly (number | null)[]; from: number; label: string; width?: number; height?: number;
}) {
  const step = width / Math.max(1, values.length - 1);
  let d = '';
  let pen = false;
  let points = 0;
  let peak: { v: number; i: number } | undefined;
  values.forEach((v, i) => {
    if (v === null) {
      pen = false;
      return;
    }
    const x = (i * step).toFixed(1);
    const y = (1 + (height - 2) * (1 - Math.min(100, Math.max(0, v)) / 100)).toFixed(1);
    // A lone hour still shows, as a dot (a zero-length segment with round caps).
    d += pen ? `L${x} ${y}` : `M${x} ${y}h0`;
    pen = true;
    points++;
    if (!peak || v >= peak.v) peak = { v, i };
  });
  const title = peak
    ? `${label}, last 24 h: peak ${peak.v}% at ${new Date(from + peak.i * HOUR).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })}`
    : `${label}: no history yet`;
  return (
    <svg class={`spark ${label}`} width={width} height={height} viewBox={`0 0 ${width} ${height}`} data-points={points} role="img" aria-label={title}>
      <title>{title}</title>
      <rect width={width} height={height} rx="2" />
      {d && <path d={d} />}
    </svg>
  );
}
