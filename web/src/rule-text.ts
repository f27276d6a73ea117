/** A log rule, with whether it is firing (docs/RULES.md). */
export interface LogRule {
  name: string;
  scope: { app: string; host?: string; fields?: Record<string, string> };
  condition:
    | { kind: 'count'; count: number; withinMs: number; minLevel: number }
    | { kind: 'silent'; forMs: number }
    | { kind: 'match'; pattern: string; count: number; withinMs: number; minLevel: number };
  severity: 'info' | 'warning' | 'critical';
  createdAt: number;
  firing: boolean;
  since?: number;
}

const LEVELS: Record<number, string> = { 10: 'debug', 20: 'info', 30: 'warning', 40: 'error', 50: 'critical' };

function duration(ms: number): string {
  for (const [unit, size] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000]] as const) if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  return `${Math.round(ms / 1000)}s`;
}

/** What a rule watches for, as `dts rules` says it. */
export function describeRule(r: LogRule): string {
  const c = r.condition;
  const level = c.kind !== 'silent' && c.minLevel > 10 ? ` at ${LEVELS[c.minLevel] ?? c.minLevel}+` : '';
  if (c.kind === 'silent') return `no record for ${duration(c.forMs)}`;
  if (c.kind === 'match') return `${c.count}+ matching /${c.pattern}/${level} in ${duration(c.withinMs)}`;
  return `${c.count}+ records${level} in ${duration(c.withinMs)}`;
}
