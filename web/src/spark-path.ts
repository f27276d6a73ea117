/**
 * The path of a sparkline over the hour ring's hourly peaks. Each known hour is a step as wide as
 * the hour (a peak holds for its hour), on a fixed 0–100 % scale, broken where an hour is unknown.
 * The x-axis runs from the first known hour to the current one, so that a host a few minutes old
 * draws its first hour across the whole box instead of one dot at its edge.
 */
export interface SparkPath {
  readonly d: string;
  /** Hours drawn. */
  readonly points: number;
  /** Hours the x-axis covers, up to the current one. */
  readonly hours: number;
  /** Index in `values` of the first hour on the axis. */
  readonly first: number;
}

export function sparkPath(values: readonly (number | null)[], width: number, height: number): SparkPath {
  const first = values.findIndex((v) => v !== null);
  if (first < 0) return { d: '', points: 0, hours: 0, first: values.length };
  const hours = values.length - first;
  const step = width / hours;
  const y = (v: number): string => (1 + (height - 2) * (1 - Math.min(100, Math.max(0, v)) / 100)).toFixed(1);
  let d = '';
  let pen = false;
  let points = 0;
  for (let i = first; i < values.length; i++) {
    const v = values[i];
    if (v === null || v === undefined) {
      pen = false;
      continue;
    }
    const x0 = ((i - first) * step).toFixed(1);
    const x1 = ((i - first + 1) * step).toFixed(1);
    d += `${pen ? 'L' : 'M'}${x0} ${y(v)}H${x1}`;
    pen = true;
    points++;
  }
  return { d, points, hours, first };
}
