import { levelName, LOG_LEVELS, LOGS_HOST, type LogRecord, type Notification } from '../model';
import { notification } from '../notification/notifications';
import { describeCondition, describeScope, durationText, RULE_LIMITS, type LogRule } from './rule';

/** A record an alert quotes: enough for the page to say what happened. */
export interface RuleSample {
  readonly id: string;
  readonly host: string;
  /** The record's own time, ISO 8601. */
  readonly time: string;
  /** Cut to RULE_LIMITS.sampleChars characters. */
  readonly text: string;
}

/** A rule's judged state, kept between passes. */
export interface RuleState {
  readonly firing: boolean;
  /** When the open alert fired. */
  readonly since?: number;
  /** While firing: since when its condition has been clear. */
  readonly clearSince?: number;
  /** The newest receive time of a record in a `--silent` rule's scope. */
  readonly lastSeen?: number;
  /** When the state was last committed: what the next commit is conditional on. */
  readonly judgedAt?: number;
}

export const MINUTE_MS = 60_000;
export const minuteOf = (ms: number): number => Math.floor(ms / MINUTE_MS) * MINUTE_MS;

export function sampleOf(r: Pick<LogRecord, 'id' | 'hostname' | 'timestamp' | 'text'>): RuleSample {
  const time = Number.isFinite(r.timestamp) ? new Date(Math.round(r.timestamp * 1000)).toISOString() : String(r.timestamp);
  return { id: r.id, host: r.hostname, time, text: r.text.length > RULE_LIMITS.sampleChars ? r.text.slice(0, RULE_LIMITS.sampleChars) : r.text };
}

/**
 * The first minute a count or match rule's window reads at `now`: every minute that overlaps the
 * last `withinMs`, so a pass early in a minute still sees the minute before. The window is thus
 * between `withinMs` and `withinMs` + 1 minute long; never a minute before the rule existed.
 */
export function windowStart(rule: LogRule, now: number): number {
  const within = rule.condition.kind === 'silent' ? rule.condition.forMs : rule.condition.withinMs;
  return Math.max(minuteOf(now - within), minuteOf(rule.createdAt));
}

/** What one pass decides for one rule. */
export type RuleVerdict =
  | { readonly kind: 'none' }
  /** State to keep without a notification: the condition cleared (or held again) while firing. */
  | { readonly kind: 'note'; readonly state: RuleState }
  | { readonly kind: 'alert'; readonly state: RuleState; readonly notification: Notification }
  | { readonly kind: 'ok'; readonly state: RuleState; readonly notification: Notification };

/** What the pass read for a rule: its state, and its window's count (count and match rules). */
export interface RuleReading {
  readonly state: RuleState;
  readonly count: number;
  /** Read only when an alert fires: up to RULE_LIMITS.samples records, newest first. */
  readonly samples?: readonly RuleSample[];
}

/** Whether the rule's condition holds at `now`. */
export function conditionHolds(rule: LogRule, reading: Pick<RuleReading, 'state' | 'count'>, now: number): boolean {
  const c = rule.condition;
  // Never silent since before the rule was added: a state left by a removed rule of the name says nothing of this one.
  if (c.kind === 'silent') return now - Math.max(reading.state.lastSeen ?? 0, rule.createdAt) >= c.forMs;
  return reading.count >= c.count;
}

/** How long a firing rule's condition must stay clear before it resolves. */
export function clearAfterMs(rule: LogRule): number {
  // A silent rule resolves at the first record: the silence it reported is over.
  return rule.condition.kind === 'silent' ? 0 : rule.condition.withinMs;
}

/**
 * The transition of one rule at `now`: `log-alert` when its condition starts to hold, `log-ok`
 * once it has been clear for one window (a `--silent` rule: at its next record), both on one
 * incident key. A rule fires once per transition, however long the condition holds.
 */
export function judgeRule(rule: LogRule, reading: RuleReading, now: number): RuleVerdict {
  const { state } = reading;
  const holds = conditionHolds(rule, reading, now);
  if (!state.firing) {
    if (!holds) return { kind: 'none' };
    return { kind: 'alert', state: { ...state, firing: true, since: now, clearSince: undefined, judgedAt: now }, notification: logAlert(rule, reading, now) };
  }
  if (holds) return state.clearSince === undefined ? { kind: 'none' } : { kind: 'note', state: { ...state, clearSince: undefined, judgedAt: now } };
  const clearSince = state.clearSince ?? now;
  if (now - clearSince >= clearAfterMs(rule)) {
    return { kind: 'ok', state: { ...state, firing: false, since: undefined, clearSince: undefined, judgedAt: now }, notification: logOk(rule, reading, state.since ?? now, now) };
  }
  return state.clearSince === undefined ? { kind: 'note', state: { ...state, clearSince, judgedAt: now } } : { kind: 'none' };
}

const whichRecords = (c: Exclude<LogRule['condition'], { kind: 'silent' }>): string =>
  (c.kind === 'match' ? ` matching /${c.pattern.length > 40 ? `${c.pattern.slice(0, 40)}…` : c.pattern}/` : c.minLevel > LOG_LEVELS.DEBUG ? ` at ${levelName(c.minLevel).toLowerCase()} or above` : '');
const windowOf = (rule: LogRule): string => durationText(rule.condition.kind === 'silent' ? rule.condition.forMs : rule.condition.withinMs);

/** The notification a rule fires with: its name, the count, the window, and sample records. */
export function logAlert(rule: LogRule, reading: RuleReading, at: number): Notification {
  const c = rule.condition;
  const what = c.kind === 'silent'
    ? `no record from ${describeScope(rule.scope)} for ${durationText(at - Math.max(reading.state.lastSeen ?? 0, rule.createdAt))}`
    : `${reading.count} record${reading.count === 1 ? '' : 's'}${whichRecords(c)} from ${describeScope(rule.scope)} in the last ${windowOf(rule)} (threshold ${c.count})`;
  const samples = (reading.samples ?? []).slice(0, RULE_LIMITS.samples);
  return {
    ...notification(LOGS_HOST, 'log-alert', rule.severity, at, `log rule ${rule.name}: ${what}`, {
      rule: rule.name,
      app: rule.scope.app,
      condition: describeCondition(c),
      window: windowOf(rule),
      ...(c.kind === 'silent'
        ? { lastSeen: reading.state.lastSeen === undefined ? 'never' : new Date(reading.state.lastSeen).toISOString() }
        : { count: String(reading.count) }),
      ...(samples.length > 0 ? { samples: JSON.stringify(samples) } : {}),
    }, rule.name),
    labels: { app: rule.scope.app, rule: rule.name },
  };
}

/** The notification that resolves a rule's alert, on the alert's incident key. */
export function logOk(rule: LogRule, reading: RuleReading, since: number, at: number): Notification {
  const c = rule.condition;
  const what = c.kind === 'silent' ? `${describeScope(rule.scope)} logs again` : `${reading.count} record${reading.count === 1 ? '' : 's'} in the last ${windowOf(rule)}, under ${c.count}`;
  return {
    ...notification(LOGS_HOST, 'log-ok', 'info', at, `log rule ${rule.name} is clear: ${what}`, {
      rule: rule.name,
      app: rule.scope.app,
      condition: describeCondition(c),
      window: windowOf(rule),
      since: new Date(since).toISOString(),
      ...(c.kind === 'silent' ? {} : { count: String(reading.count) }),
    }, rule.name),
    labels: { app: rule.scope.app, rule: rule.name },
  };
}

/**
 * The notification that closes a firing rule's alert when the rule is removed: a `log-ok` on the
 * alert's incident key, saying why, so that whoever was paged sees the incident end.
 */
export function logRemoved(rule: LogRule, since: number, at: number): Notification {
  return {
    ...notification(LOGS_HOST, 'log-ok', 'info', at, `log rule ${rule.name} is clear: the rule was removed`, {
      rule: rule.name,
      app: rule.scope.app,
      condition: describeCondition(rule.condition),
      window: windowOf(rule),
      since: new Date(since).toISOString(),
      reason: 'the rule was removed',
    }, rule.name),
    labels: { app: rule.scope.app, rule: rule.name },
  };
}
