import { LOG_LEVELS, levelName, type LogLevel, type LogRecord, type Severity } from '../model';

/**
 * A log rule: a name, a scope (an app, optionally one host and fields) and one condition, with the
 * severity of its alert. docs/RULES.md says what each condition means and what it costs.
 */
export interface LogRule {
  readonly name: string;
  readonly scope: RuleScope;
  readonly condition: RuleCondition;
  readonly severity: Severity;
  /** When it was added: buckets counted before (by a removed rule of the same name) are not its own. */
  readonly createdAt: number;
}

export interface RuleScope {
  readonly app: string;
  readonly host?: string;
  /** A record is in scope only if its fields carry each of these values. */
  readonly fields?: Readonly<Record<string, string>>;
}

export type RuleCondition =
  /** At least `count` records at or above `minLevel` in the last `withinMs`. */
  | { readonly kind: 'count'; readonly count: number; readonly withinMs: number; readonly minLevel: LogLevel }
  /** No record from the scope for `forMs`. */
  | { readonly kind: 'silent'; readonly forMs: number }
  /** At least `count` records whose text matches `pattern` (RE2 syntax) in the last `withinMs`. */
  | { readonly kind: 'match'; readonly pattern: string; readonly count: number; readonly withinMs: number; readonly minLevel: LogLevel };

/** Bounds the issue sets, and why (docs/RULES.md, "Limits"). */
export const RULE_LIMITS = {
  nameLength: 64,
  appLength: 128,
  hostLength: 255,
  fields: 8,
  /** Longer patterns are refused: compiling is bounded, and a rule is for a phrase, not a grammar. */
  patternLength: 512,
  minWindowMs: 60_000,
  maxWindowMs: 7 * 86_400_000,
  minSilentMs: 10_000,
  maxSilentMs: 30 * 86_400_000,
  maxCount: 1_000_000,
  /** A `--match` rule reads at most this many characters of a record's text. */
  matchChars: 8192,
  /**
   * Rules at most. All rules' counts for a minute share one item (docs/DATA-MODEL.md, "Log
   * rules"): 64 rules with 5 samples each of at most ~1.05 KB (id 128 B, host 255 B, time,
   * 200 characters of text, at most 600 B) stay under 350 KB, within DynamoDB's 400 KB an item,
   * and the update's expression under its 4 KB.
   */
  rules: 64,
  /** Sample records an alert carries, and how much of each one's text. */
  samples: 5,
  sampleChars: 200,
} as const;

/** What `dts rules add` and `POST /api/v1/rules` take, before it is checked. */
export interface RuleInput {
  readonly name?: unknown;
  readonly app?: unknown;
  readonly host?: unknown;
  /** `key=value` strings, or an object of them. */
  readonly fields?: unknown;
  readonly level?: unknown;
  readonly count?: unknown;
  readonly within?: unknown;
  readonly silent?: unknown;
  readonly match?: unknown;
  readonly severity?: unknown;
}

/** Why a pattern cannot be used, or undefined when it can: given by the caller, which holds the engine. */
export type PatternCheck = (pattern: string) => string | undefined;

export type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string };

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const SEVERITIES: readonly Severity[] = ['info', 'warning', 'critical'];
const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `90s`, `5m`, `26h`, `1h30m`, `7d`, or a number of seconds; undefined for anything else. */
export function parseDuration(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value > 0 ? value * 1000 : undefined;
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  if (text === '' || text.length > 32) return undefined;
  if (/^\d+$/.test(text)) return Number(text) > 0 ? Number(text) * 1000 : undefined;
  const parts = [...text.matchAll(/(\d+)([smhd])/g)];
  if (parts.map((p) => p[0]).join('') !== text) return undefined;
  const ms = parts.reduce((sum, p) => sum + Number(p[1]) * (UNIT_MS[p[2] as string] as number), 0);
  return Number.isFinite(ms) && ms > 0 ? ms : undefined;
}

/** 300000 → "5m", 93600000 → "26h", 20000 → "20s". */
export function durationText(ms: number): string {
  for (const [unit, size] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000]] as const) {
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${Math.round(ms / 1000)}s`;
}

/** `error`, `ERROR`, `40`: a log level; undefined for anything else. */
export function parseLogLevel(value: unknown): LogLevel | undefined {
  if (typeof value === 'number') return (Object.values(LOG_LEVELS) as number[]).includes(value) ? (value as LogLevel) : undefined;
  if (typeof value !== 'string') return undefined;
  const t = value.trim().toUpperCase();
  if (/^\d+$/.test(t)) return parseLogLevel(Number(t));
  const alias = t === 'WARN' ? 'WARNING' : t === 'FATAL' ? 'CRITICAL' : t;
  return (LOG_LEVELS as Record<string, LogLevel>)[alias];
}

function text(value: unknown, what: string, max: number, required: boolean): Parsed<string | undefined> {
  if (value === undefined || value === null || value === '') {
    return required ? { ok: false, error: `a rule needs ${what}` } : { ok: true, value: undefined };
  }
  if (typeof value !== 'string') return { ok: false, error: `${what} is text, not ${typeof value}` };
  const t = value.trim();
  if (t === '') return { ok: false, error: `a rule needs ${what}` };
  if (t.length > max) return { ok: false, error: `${what} has at most ${max} characters; this one has ${t.length}` };
  if (CONTROL.test(t)) return { ok: false, error: `${what} has no control characters` };
  return { ok: true, value: t };
}

function fieldsOf(value: unknown): Parsed<Record<string, string> | undefined> {
  if (value === undefined || value === null) return { ok: true, value: undefined };
  const pairs: [string, unknown][] = Array.isArray(value)
    ? value.map((v): [string, unknown] => {
      const s = String(v);
      const eq = s.indexOf('=');
      return eq < 0 ? [s, undefined] : [s.slice(0, eq).trim(), s.slice(eq + 1).trim()];
    })
    : typeof value === 'object' ? Object.entries(value as Record<string, unknown>) : [];
  if (!Array.isArray(value) && typeof value !== 'object') return { ok: false, error: 'fields are key=value pairs' };
  if (pairs.length > RULE_LIMITS.fields) return { ok: false, error: `a rule selects on at most ${RULE_LIMITS.fields} fields` };
  const out: Record<string, string> = {};
  for (const [k, v] of pairs) {
    if (k === '' || typeof v !== 'string' || v === '') return { ok: false, error: `a field selector is key=value, got ${JSON.stringify(k)}` };
    if (k.length > 128 || v.length > 1024 || CONTROL.test(k) || CONTROL.test(v)) return { ok: false, error: `a field selector has a key of at most 128 characters, a value of at most 1024, and no control characters` };
    out[k] = v;
  }
  return { ok: true, value: pairs.length > 0 ? out : undefined };
}

function countOf(value: unknown, dflt: number | undefined): Parsed<number> {
  if (value === undefined || value === null || value === '') {
    return dflt === undefined ? { ok: false, error: 'a --count rule needs a count (--count N)' } : { ok: true, value: dflt };
  }
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : NaN;
  if (!Number.isInteger(n) || n < 1) return { ok: false, error: `a count is a whole number of at least 1, got ${JSON.stringify(value)}` };
  if (n > RULE_LIMITS.maxCount) return { ok: false, error: `a count is at most ${RULE_LIMITS.maxCount}` };
  return { ok: true, value: n };
}

function windowOf(value: unknown, dflt: number | undefined): Parsed<number> {
  if (value === undefined || value === null || value === '') {
    return dflt === undefined ? { ok: false, error: 'a --count rule needs a window (--within 5m)' } : { ok: true, value: dflt };
  }
  const ms = parseDuration(value);
  if (ms === undefined) return { ok: false, error: `--within is a duration such as 5m, 1h or 1d, got ${JSON.stringify(value)}` };
  if (ms < RULE_LIMITS.minWindowMs || ms > RULE_LIMITS.maxWindowMs) return { ok: false, error: `--within is from 1m to 7d, got ${durationText(ms)}` };
  // Counts are kept per minute: a window is a whole number of them.
  if (ms % 60_000 !== 0) return { ok: false, error: `--within is a whole number of minutes (counts are kept per minute), got ${durationText(ms)}` };
  return { ok: true, value: ms };
}

/**
 * A rule from what an operator typed or posted, or the reason it is refused. `checkPattern` says
 * whether a `--match` pattern is safe to run (lib/app/rules/pattern.ts holds the engine).
 */
export function parseRule(input: RuleInput, now: number, checkPattern: PatternCheck): Parsed<LogRule> {
  const name = text(input.name, 'a name', RULE_LIMITS.nameLength, true);
  if (!name.ok) return name;
  if (!NAME.test(name.value as string)) return { ok: false, error: `a rule's name is letters, digits, '.', '_' and '-', starting with a letter or digit: ${JSON.stringify(input.name)}` };
  const app = text(input.app, 'an app (--app)', RULE_LIMITS.appLength, true);
  if (!app.ok) return app;
  const host = text(input.host, 'a host', RULE_LIMITS.hostLength, false);
  if (!host.ok) return host;
  const fields = fieldsOf(input.fields);
  if (!fields.ok) return fields;
  const severity = input.severity === undefined || input.severity === null || input.severity === '' ? 'warning' : input.severity;
  if (!SEVERITIES.includes(severity as Severity)) return { ok: false, error: `a severity is info, warning or critical, got ${JSON.stringify(input.severity)}` };
  let minLevel: LogLevel = LOG_LEVELS.DEBUG;
  if (input.level !== undefined && input.level !== null && input.level !== '') {
    const level = parseLogLevel(input.level);
    if (level === undefined) return { ok: false, error: `unknown level ${JSON.stringify(input.level)}: use debug, info, warning, error or critical` };
    minLevel = level;
  }

  const given = [input.silent, input.match].filter((v) => v !== undefined && v !== null && v !== '').length;
  if (given > 1) return { ok: false, error: 'a rule has one condition: --silent, or --match, or --count' };
  let condition: RuleCondition;
  if (input.silent !== undefined && input.silent !== null && input.silent !== '') {
    if (input.count !== undefined || input.within !== undefined || input.level !== undefined) return { ok: false, error: '--silent takes no --count, --within or --level: it watches every record of the scope' };
    const forMs = parseDuration(input.silent);
    if (forMs === undefined) return { ok: false, error: `--silent is a duration such as 20s, 30m or 26h, got ${JSON.stringify(input.silent)}` };
    if (forMs < RULE_LIMITS.minSilentMs || forMs > RULE_LIMITS.maxSilentMs) return { ok: false, error: `--silent is from 10s to 30d, got ${durationText(forMs)}` };
    condition = { kind: 'silent', forMs };
  } else if (input.match !== undefined && input.match !== null && input.match !== '') {
    if (typeof input.match !== 'string') return { ok: false, error: 'a --match pattern is text' };
    if (input.match.length > RULE_LIMITS.patternLength) return { ok: false, error: `a --match pattern has at most ${RULE_LIMITS.patternLength} characters; this one has ${input.match.length}` };
    const unsafe = checkPattern(input.match);
    if (unsafe !== undefined) return { ok: false, error: `--match ${JSON.stringify(input.match.length > 60 ? `${input.match.slice(0, 60)}…` : input.match)} is refused: ${unsafe}` };
    const count = countOf(input.count, 1);
    if (!count.ok) return count;
    const within = windowOf(input.within, 5 * 60_000);
    if (!within.ok) return within;
    condition = { kind: 'match', pattern: input.match, count: count.value, withinMs: within.value, minLevel };
  } else {
    if (input.count === undefined && input.within === undefined) return { ok: false, error: 'a rule needs a condition: --count N --within W, --silent P, or --match REGEX' };
    const count = countOf(input.count, undefined);
    if (!count.ok) return count;
    const within = windowOf(input.within, undefined);
    if (!within.ok) return within;
    condition = { kind: 'count', count: count.value, withinMs: within.value, minLevel };
  }
  return {
    ok: true,
    value: {
      name: name.value as string,
      scope: { app: app.value as string, ...(host.value ? { host: host.value } : {}), ...(fields.value ? { fields: fields.value } : {}) },
      condition,
      severity: severity as Severity,
      createdAt: now,
    },
  };
}

/** Whether a record is in a rule's scope and at or above its level (the pattern aside). */
export function inScope(rule: LogRule, r: Pick<LogRecord, 'app' | 'hostname' | 'level' | 'fields'>): boolean {
  const { scope, condition } = rule;
  if (r.app !== scope.app) return false;
  if (scope.host !== undefined && r.hostname !== scope.host) return false;
  if (condition.kind !== 'silent' && r.level < condition.minLevel) return false;
  if (scope.fields) for (const [k, v] of Object.entries(scope.fields)) if (r.fields[k] !== v) return false;
  return true;
}

/** The one-line description of a rule's condition, as `dts rules list` and the alert say it. */
export function describeCondition(c: RuleCondition): string {
  const level = (l: LogLevel) => (l === LOG_LEVELS.DEBUG ? '' : ` at ${levelName(l).toLowerCase()} or above`);
  switch (c.kind) {
    case 'count': return `${c.count} or more records${level(c.minLevel)} within ${durationText(c.withinMs)}`;
    case 'silent': return `no record for ${durationText(c.forMs)}`;
    case 'match': return `${c.count} or more records${level(c.minLevel)} matching /${c.pattern}/ within ${durationText(c.withinMs)}`;
  }
}

export function describeScope(s: RuleScope): string {
  return [s.app, ...(s.host ? [`host ${s.host}`] : []), ...Object.entries(s.fields ?? {}).map(([k, v]) => `${k}=${v}`)].join(', ');
}
