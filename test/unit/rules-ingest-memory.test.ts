import { describe, expect, it } from 'vitest';
import { judgeLogRules } from '../../lib/app/diagnose/rules';
import { ingestLogMessages, type LogIngest } from '../../lib/app/ingest/logs';
import { silentLog } from '../../lib/app/log';
import { Outbox } from '../../lib/app/outbox';
import { addRule, removeRule } from '../../lib/app/rules/manage';
import { RULE_LIMITS } from '../../lib/domain/rule/rule';
import { cachedRules } from '../../lib/app/rules/count';
import { encodeBody } from '../../lib/wire/codec';
import { MemoryAlerts, MemoryLogs, MemoryNotifications, MemoryStats } from '../../tools/memory';
import { MemoryLogRules } from '../../tools/memory/log-rules';
import { sqsRecord } from '../support/events';

/**
 * Log rules on the in-memory adapters: what ingest counts (one write per minute for all rules, none
 * per record or per rule), what the diagnose step decides, and what it delivers, in milliseconds.
 */
const T0 = Date.parse('2026-11-20T10:00:00Z');
const MIN = 60_000;

function world() {
  let clock = T0;
  const rules = new MemoryLogRules();
  const alerts = new MemoryAlerts();
  const notifications = new MemoryNotifications();
  const d: LogIngest = {
    logs: new MemoryLogs(), stats: new MemoryStats(), quarantine: undefined, limits: { maxFutureSeconds: 86_400, textMaxBytes: 32_768 },
    ttlDays: 14, mirror: undefined, log: silentLog, now: () => clock,
    rules: { index: cachedRules(() => rules.list(), () => clock, silentLog), store: rules },
  };
  const pass = async () => {
    const outbox = new Outbox();
    const judged = await judgeLogRules({ rules, log: silentLog }, clock, [], outbox);
    await outbox.flush({ notifications, alerts, now: () => clock }, silentLog);
    return judged;
  };
  return { rules, alerts, d, pass, admin: { rules, now: () => clock }, at: (ms: number) => { clock = ms; } };
}

let seq = 0;
interface R { app?: string; level?: number; text?: string; hostname?: string }
const batch = (records: R[], sentAt: number) => sqsRecord(
  encodeBody('dts.LogBatch', { records: records.map((r) => ({ app: 'web', hostname: 'web-1', timestamp: sentAt / 1000, level: 40, text: 'boom', id: `r${seq++}`, ...r })) }),
  { type: 'dts.LogBatch', sentAt },
);

describe('log rules, in memory', () => {
  it('counts a batch of thousands in one write per minute for every rule, whatever the number of records', async () => {
    const w = world();
    await addRule(w.admin, { name: 'errors', app: 'web', level: 'error', count: 5, within: '5m' });
    await addRule(w.admin, { name: 'oom', app: 'web', match: 'OutOfMemory' });
    await addRule(w.admin, { name: 'quiet', app: 'web', silent: '1h' });
    await addRule(w.admin, { name: 'other', app: 'api', count: 1, within: '1m' });
    const records = Array.from({ length: 3000 }, (_, i) => ({ text: i % 100 === 0 ? 'java.lang.OutOfMemoryError' : 'boom', level: i % 2 ? 40 : 20 }));
    const outcome = await ingestLogMessages(w.d, [batch(records.slice(0, 1500), T0 + 1000), batch(records.slice(1500), T0 + MIN + 1000)]);
    expect(outcome.stored).toBe(3000);
    // errors, oom and quiet's last-seen together in each of two minutes: two writes for 3,000 records.
    expect(outcome.ruleWrites).toBe(2);
    expect(w.rules.countWrites).toBe(2);
    expect(await w.rules.window(['errors', 'oom', 'other', 'quiet'], T0)).toEqual([
      { minute: T0, counts: { errors: 750, oom: 15 }, seen: { quiet: T0 + 1000 } },
      { minute: T0 + MIN, counts: { errors: 750, oom: 15 }, seen: { quiet: T0 + MIN + 1000 } },
    ]);
    // A pass carries the last-seen time into the rule's state.
    w.at(T0 + 2 * MIN);
    await w.pass();
    expect((await w.rules.state('quiet')).lastSeen).toBe(T0 + MIN + 1000);
  });

  it('does not count a redelivered record again', async () => {
    const w = world();
    await addRule(w.admin, { name: 'errors', app: 'web', count: 1, within: '1m' });
    const message = batch([{}, {}], T0);
    await ingestLogMessages(w.d, [message]);
    const again = await ingestLogMessages(w.d, [message]);
    expect(again.ruleWrites).toBe(0);
    expect(await w.rules.window(['errors'], T0)).toEqual([{ minute: T0, counts: { errors: 2 }, seen: {} }]);
  });

  it('counts a rule added after the cache was read within a minute, not before', async () => {
    const w = world();
    await ingestLogMessages(w.d, [batch([{}], T0)]);
    await addRule(w.admin, { name: 'late', app: 'web', count: 1, within: '1m' });
    w.at(T0 + 10_000);
    await ingestLogMessages(w.d, [batch([{}], T0 + 10_000)]);
    expect(await w.rules.window(['late'], T0)).toEqual([]);
    w.at(T0 + 31_000);
    await ingestLogMessages(w.d, [batch([{}], T0 + 31_000)]);
    expect(await w.rules.window(['late'], T0)).toEqual([{ minute: T0, counts: { late: 1 }, seen: {} }]);
  });

  it('alerts once per transition, then resolves on the same incident once clear for a window', async () => {
    const w = world();
    await addRule(w.admin, { name: 'web-errors', app: 'web', level: 'error', count: 5, within: '1m' });
    await ingestLogMessages(w.d, [batch(Array.from({ length: 6 }, (_, i) => ({ text: `payment failed ${i}` })), T0 + 1000)]);
    w.at(T0 + 20_000);
    expect((await w.pass()).transitions).toEqual({ 'log-alert': 1 });
    w.at(T0 + 40_000);
    expect((await w.pass()).transitions).toEqual({});
    const [alert] = w.alerts.published;
    expect(w.alerts.published).toHaveLength(1);
    expect(alert).toMatchObject({ kind: 'log-alert', hostname: '@logs', details: { rule: 'web-errors', count: '6', window: '1m' } });
    expect(JSON.parse(alert?.details.samples as string)).toHaveLength(5);
    // The minute of the records leaves the window at T0 + 2m; clear for a whole window from then.
    for (const at of [T0 + 2 * MIN + 1000, T0 + 3 * MIN]) {
      w.at(at);
      await w.pass();
    }
    expect(w.alerts.published).toHaveLength(1);
    w.at(T0 + 3 * MIN + 1000);
    expect((await w.pass()).transitions).toEqual({ 'log-ok': 1 });
    expect(w.alerts.published.map((n) => [n.kind, n.incident])).toEqual([['log-alert', alert?.incident], ['log-ok', alert?.incident]]);
    expect((await w.rules.state('web-errors')).pending).toEqual([]);
  });

  it('a match rule fires on an info record that matches, not on one that does not', async () => {
    const w = world();
    await addRule(w.admin, { name: 'oom', app: 'web', match: 'OutOfMemoryError' });
    await ingestLogMessages(w.d, [batch([{ level: 20, text: 'all good' }], T0)]);
    w.at(T0 + 10_000);
    expect((await w.pass()).transitions).toEqual({});
    await ingestLogMessages(w.d, [batch([{ level: 20, text: 'java.lang.OutOfMemoryError: Java heap space' }], T0 + 10_000)]);
    expect((await w.pass()).transitions).toEqual({ 'log-alert': 1 });
  });

  it('removing a firing rule closes its incident with exactly one log-ok, saying why; removing a quiet one sends nothing', async () => {
    const w = world();
    await addRule(w.admin, { name: 'web-errors', app: 'web', level: 'error', count: 5, within: '5m' });
    await addRule(w.admin, { name: 'calm', app: 'web', match: 'never here' });
    await ingestLogMessages(w.d, [batch(Array.from({ length: 6 }, () => ({})), T0 + 1000)]);
    w.at(T0 + 20_000);
    expect((await w.pass()).transitions).toEqual({ 'log-alert': 1 });
    const [alert] = w.alerts.published;

    expect(await removeRule(w.admin, 'web-errors')).toEqual({ firing: true });
    expect(await removeRule(w.admin, 'calm')).toEqual({ firing: false });
    expect(await removeRule(w.admin, 'web-errors')).toBeUndefined();
    // Still within the window: the rule would go on firing, but it is gone.
    w.at(T0 + 50_000);
    expect((await w.pass()).transitions).toEqual({ 'log-ok': 1 });
    for (const at of [T0 + 80_000, T0 + 10 * MIN]) {
      w.at(at);
      expect((await w.pass()).transitions).toEqual({});
    }
    expect(w.alerts.published.map((n) => [n.kind, n.incident])).toEqual([['log-alert', alert?.incident], ['log-ok', alert?.incident]]);
    expect(w.alerts.published[1]).toMatchObject({ severity: 'info', details: { rule: 'web-errors', reason: 'the rule was removed' } });
    expect(w.alerts.published[1]?.message).toBe('log rule web-errors is clear: the rule was removed');
    // Closed and delivered, then forgotten.
    expect(await w.rules.retired()).toEqual([]);
    expect(await w.rules.state('web-errors')).toEqual({ firing: false, pending: [] });
  });

  it('a name removed while firing and added again before a pass: the old alert is closed, the new rule starts clear', async () => {
    const w = world();
    await addRule(w.admin, { name: 'oom', app: 'web', match: 'OutOfMemory' });
    await ingestLogMessages(w.d, [batch([{ text: 'OutOfMemoryError' }], T0 + 1000)]);
    w.at(T0 + 20_000);
    await w.pass();
    await removeRule(w.admin, 'oom');
    w.at(T0 + MIN + 5000);
    expect((await addRule(w.admin, { name: 'oom', app: 'web', match: 'OutOfMemory' })).ok).toBe(true);
    // The records before the new rule's minute are not its own: nothing fires again.
    w.at(T0 + MIN + 10_000);
    expect((await w.pass()).transitions).toEqual({ 'log-ok': 1 });
    expect(w.alerts.published.map((n) => n.kind)).toEqual(['log-alert', 'log-ok']);
    expect(w.alerts.published[1]?.details.reason).toBe('the rule was removed');
    w.at(T0 + 2 * MIN);
    expect((await w.pass()).transitions).toEqual({});
    expect(await w.rules.retired()).toEqual([]);
    expect(await w.rules.state('oom')).toMatchObject({ firing: false, pending: [] });
    expect((await w.rules.list()).map((r) => r.name)).toEqual(['oom']);
  });

  it(`refuses a rule past ${RULE_LIMITS.rules}, since all of a minute's counts share one item`, async () => {
    const w = world();
    for (let i = 0; i < RULE_LIMITS.rules; i++) expect((await addRule(w.admin, { name: `r${i}`, app: 'web', count: 1, within: '1m' })).ok).toBe(true);
    const refused = await addRule(w.admin, { name: 'one-more', app: 'web', count: 1, within: '1m' });
    expect(refused).toEqual({ ok: false, error: `there are ${RULE_LIMITS.rules} rules already, the most dts counts; remove one first` });
    expect(await w.rules.get('one-more')).toBeUndefined();
  });

  it('a silent rule longer than the hour a pass reads keeps its last-seen time in its state', async () => {
    const w = world();
    await addRule(w.admin, { name: 'nightly', app: 'web', silent: '2h' });
    const at = T0 + 30 * MIN;
    w.at(at);
    await ingestLogMessages(w.d, [batch([{ level: 20 }], at + 1500)]);
    w.at(at + MIN);
    await w.pass();
    // Seconds are rounded up: a silent rule may fire a second late, never early.
    expect((await w.rules.state('nightly')).lastSeen).toBe(at + 2000);
    // Two hours after the rule was added, the record's minute is out of the hour a pass reads.
    w.at(T0 + 2 * 60 * MIN + 5 * MIN);
    expect((await w.pass()).transitions).toEqual({});
    w.at(at + 2000 + 2 * 60 * MIN - 1);
    expect((await w.pass()).transitions).toEqual({});
    w.at(at + 2000 + 2 * 60 * MIN);
    expect((await w.pass()).transitions).toEqual({ 'log-alert': 1 });
  });
});
