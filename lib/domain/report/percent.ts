/**
 * Percent with two decimals, truncated: never rounded up to 100 while anything was lost
 * (docs/SEMANTICS.md). One rule for the hosts', the checks' and the fleet's availability.
 */
export function percent(part: number, whole: number): number {
  return Math.max(0, Math.floor((part / whole) * 10_000) / 100);
}
