import type { Notification, NotificationKind, Silence } from '../../domain/model';
import { silenceOverRule } from '../../domain/notification/silences';
import { judgeRule, windowStart, type RuleReading } from '../../domain/rule/judge';
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
 * The log rules' step of a pass: each rule's window (what ingest counted) judged at `now`, and its
 * transition (`log-alert`, `log-ok`) committed on the rule's state with its notification in that
 * write's outbox, conditional on the state the pass read, so overlapping passes announce it once.
 * A silence over the rule's app, the rule or its host records the alert without publishing it.
 */
export async function judgeLogRules(
  d: RuleJudging, now: number, silences: readonly Silence[], outbox: Outbox,
): Promise<{ transitions: Partial<Record<NotificationKind, number>>; errors: number }> {
  const transitions: Partial<Record<NotificationKind, number>> = {};
  let errors = 0;
  let rules: LogRule[];
  try {
    rules = await d.rules.list();
  } catch (error) {
    d.log.error('could not read the log rules; they are judged next pass', { error: String(error) });
    return { transitions, errors: 1 };
  }
  const judge = async (rule: LogRule): Promise<void> => {
    const state = await d.rules.state(rule.name);
    outbox.sweep(state.pending, (id) => d.rules.settle(rule.name, id), now, d.sweepGraceMs);
    const from = windowStart(rule, now);
    const count = rule.condition.kind === 'silent' ? 0 : (await d.rules.window(rule.name, from)).reduce((n, b) => n + b.count, 0);
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
    if (verdict.kind !== 'note') transitions[verdict.notification.kind] = (transitions[verdict.notification.kind] ?? 0) + 1;
  };
  for (let i = 0; i < rules.length; i += CONCURRENCY) {
    const chunk = rules.slice(i, i + CONCURRENCY);
    const results = await Promise.allSettled(chunk.map(judge));
    for (const [j, r] of results.entries()) {
      if (r.status === 'rejected') {
        errors++;
        d.log.error('could not judge a log rule; it is judged again next pass', { rule: chunk[j]?.name, error: String(r.reason) });
      }
    }
  }
  return { transitions, errors };
}

function silenced(n: Notification, rule: LogRule, silences: readonly Silence[]): Notification {
  const s = silenceOverRule({ name: rule.name, app: rule.scope.app, ...(rule.scope.host ? { host: rule.scope.host } : {}) }, silences, n.at);
  return s ? { ...n, suppressed: `silence:${s.id}` } : n;
}
