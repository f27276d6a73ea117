import { judgeInChunks } from './chunks';
import type { Notification, NotificationKind, Silence } from '../../domain/model';
import { silenceOverRule } from '../../domain/notification/silences';
import { judgeRule, logRemoved, minuteOf, windowStart, type RuleReading } from '../../domain/rule/judge';
import { RULE_LIMITS, type LogRule } from '../../domain/rule/rule';
import type { LogRulesPort } from '../../ports';
import type { Log } from '../log';
import { pendingNow, type Outbox } from '../outbox';

/** Rules judged at once. */
const CONCURRENCY = 16;

export interface RuleJudging {
  readonly rules: LogRulesPort;
  readonly log: Log;
  readonly sweepGraceMs?: number;
}

/**
 * The log rules' step of a pass: each rule's window (what ingest counted, read once for all rules
 * from the earliest window start) judged at `now`, and its transition (`log-alert`, `log-ok`)
 * committed on the rule's state with its notification in that write's outbox, conditional on the
 * state the pass read, so overlapping passes announce it once. A silence over the rule's app, the
 * rule or its host records the alert without publishing it. A rule removed while firing is closed
 * the same way, with a `log-ok` saying so, then forgotten.
 */
export async function judgeLogRules(
  d: RuleJudging, now: number, silences: readonly Silence[], outbox: Outbox,
): Promise<{ transitions: Partial<Record<NotificationKind, number>>; errors: number }> {
  const transitions: Partial<Record<NotificationKind, number>> = {};
  let errors = 0;
  let rules: LogRule[];
  let retired: LogRule[];
  try {
    [rules, retired] = await Promise.all([d.rules.list(), d.rules.retired()]);
  } catch (error) {
    d.log.error('could not read the log rules; they are judged next pass', { error: String(error) });
    return { transitions, errors: 1 };
  }
  // Every rule's minutes in one read: a count or match rule's window, and a silent rule's last
  // hour at most (its state carries the last-seen time further back, moved on by each pass).
  const counts = new Map<string, { minute: number; count: number }[]>();
  const seen = new Map<string, number>();
  if (rules.length > 0) {
    try {
      for (const m of await d.rules.window(rules.map((r) => r.name), Math.min(...rules.map((r) => readFrom(r, now))))) {
        for (const [name, count] of Object.entries(m.counts)) counts.set(name, [...(counts.get(name) ?? []), { minute: m.minute, count }]);
        for (const [name, at] of Object.entries(m.seen)) seen.set(name, Math.max(seen.get(name) ?? 0, at));
      }
    } catch (error) {
      d.log.error('could not read the log rules\' counts; they are judged next pass', { error: String(error) });
      return { transitions, errors: 1 };
    }
  }
  const announced = (kind: NotificationKind) => { transitions[kind] = (transitions[kind] ?? 0) + 1; };
  const judge = async (rule: LogRule): Promise<void> => {
    let state = await d.rules.state(rule.name);
    outbox.sweep(state.pending, (id) => d.rules.settle(rule.name, id), now, d.sweepGraceMs);
    const newest = seen.get(rule.name);
    if (rule.condition.kind === 'silent' && newest !== undefined && newest > (state.lastSeen ?? 0)) {
      await d.rules.markSeen(rule.name, newest);
      state = { ...state, lastSeen: newest };
    }
    const from = windowStart(rule, now);
    const count = (counts.get(rule.name) ?? []).reduce((n, b) => (b.minute >= from ? n + b.count : n), 0);
    let reading: RuleReading = { state, count };
    let verdict = judgeRule(rule, reading, now);
    if (verdict.kind === 'alert' && rule.condition.kind !== 'silent') {
      reading = { ...reading, samples: await d.rules.samples(rule.name, from, RULE_LIMITS.samples) };
      verdict = judgeRule(rule, reading, now);
    }
    if (verdict.kind === 'none') return;
    const notifications = verdict.kind === 'note' ? [] : [silenced(verdict.notification, rule, silences)];
    const announce = notifications.length ? { notifications, queuedAt: now } : undefined;
    if (!(await d.rules.commit(rule.name, state.judgedAt, verdict.state, announce))) return;
    for (const p of pendingNow(notifications, now)) outbox.add(p, (id) => d.rules.settle(rule.name, id));
    if (verdict.kind !== 'note') announced(verdict.notification.kind);
  };
  const live = new Map(rules.map((r) => [r.name, r]));
  // A removed rule: its alert closed if it fires (unless the name is a rule again that fired since), then forgotten.
  const close = async (rule: LogRule): Promise<void> => {
    const state = await d.rules.state(rule.name);
    outbox.sweep(state.pending, (id) => d.rules.settle(rule.name, id), now, d.sweepGraceMs);
    const again = live.get(rule.name);
    if (state.firing && (!again || (state.since ?? 0) < again.createdAt)) {
      const notifications = [silenced(logRemoved(rule, state.since ?? now, now), rule, silences)];
      if (!(await d.rules.commit(rule.name, state.judgedAt, { ...state, firing: false, since: undefined, clearSince: undefined, judgedAt: now }, { notifications, queuedAt: now }))) return;
      for (const p of pendingNow(notifications, now)) outbox.add(p, (id) => d.rules.settle(rule.name, id));
      announced('log-ok');
      // Forgotten by a later pass, once the outbox has delivered it.
      return;
    }
    if (state.pending.length === 0) await d.rules.forget(rule.name);
  };
  const failed = (rule: LogRule, reason: unknown): void => {
    d.log.error('could not judge a log rule; it is judged again next pass', { rule: rule.name, error: String(reason) });
  };
  // The removed first, so that a name added again starts from a closed state.
  errors += await judgeInChunks(retired, CONCURRENCY, close, failed);
  errors += await judgeInChunks(rules, CONCURRENCY, judge, failed);
  return { transitions, errors };
}

/** A silent rule reads at most its last hour of minutes each pass; the state holds what came before. */
export const SEEN_READ_MS = 3_600_000;

function readFrom(rule: LogRule, now: number): number {
  const c = rule.condition;
  if (c.kind !== 'silent') return windowStart(rule, now);
  return Math.max(minuteOf(now - Math.min(c.forMs, SEEN_READ_MS)), minuteOf(rule.createdAt));
}

function silenced(n: Notification, rule: LogRule, silences: readonly Silence[]): Notification {
  const s = silenceOverRule({ name: rule.name, app: rule.scope.app, ...(rule.scope.host ? { host: rule.scope.host } : {}) }, silences, n.at);
  return s ? { ...n, suppressed: `silence:${s.id}` } : n;
}
