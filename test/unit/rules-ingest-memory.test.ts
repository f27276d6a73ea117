import { describe, expect, it } from 'vitest';
import { judgeLogRules } from '../../lib/app/diagnose/rules';
import { ingestLogMessages, type LogIngest } from '../../lib/app/ingest/logs';
import { silentLog } from '../../lib/app/log';
import { Outbox } from '../../lib/app/outbox';
import { addRule } from '../../lib/app/rules/manage';
import { cachedRules } from '../../lib/app/rules/count';
import { encodeBody } from '../../lib/wire/codec';
import { MemoryAlerts, MemoryLogs, MemoryNotifications, MemoryStats } from '../../tools/memory';
import { MemoryLogRules } from '../../tools/memory/log-rules';
import { sqsRecord } from '../support/events';

/**
 * Log rules on the in-memory adapters: what ingest counts (one write per rule and minute, none per
 * record), what the diagnose step decides, and what it delivers, in milliseconds.
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
  it('counts a batch of thousands in one write per rule and minute, whatever the number of records', async () => {
    const w = world();
    await addRule(w.admin, { name: 'errors', app: 'web', level: 'error', count: 5, within: '5m' });
    await addRule(w.admin, { name: 'oom', app: 'web', match: 'OutOfMemory' });
    await addRule(w.admin, { name: 'quiet', app: 'web', silent: '1h' });
    await addRule(w.admin, { name: 'other', app: 'api', count: 1, within: '1m' });
    const records = Array.from({ length: 3000 }, (_, i) => ({ text: i % 100 === 0 ? 'java.lang.OutOfMemoryError' : 'boom', level: i % 2 ? 40 : 20 }));
    const outcome = await ingestLogMessages(w.d, [batch(records.slice(0, 1500), T0 + 1000), batch(records.slice(1500), T0 + MIN + 1000)]);
    expect(outcome.stored).toBe(3000);
    // errors and oom in two minutes each, and quiet's last-seen once: five writes for 3,000 records.
    expect(outcome.ruleWrites).toBe(5);
    expect(w.rules.countWrites).toBe(4);
    expect(await w.rules.window('errors', T0)).toEqual([{ minute: T0, count: 750 }, { minute: T0 + MIN, count: 750 }]);
    expect(await w.rules.window('oom', T0)).toEqual([{ minute: T0, count: 15 }, { minute: T0 + MIN, count: 15 }]);
    expect(await w.rules.window('other', T0)).toEqual([]);
    expect((await w.rules.state('quiet')).lastSeen).toBe(T0 + MIN + 1000);
  });

  it('does not count a redelivered record again', async () => {
    const w = world();
    await addRule(w.admin, { name: 'errors', app: 'web', count: 1, within: '1m' });
    const message = batch([{}, {}], T0);
    await ingestLogMessages(w.d, [message]);
    const again = await ingestLogMessages(w.d, [message]);
    expect(again.ruleWrites).toBe(0);
    expect(await w.rules.window('errors', T0)).toEqual([{ minute: T0, count: 2 }]);
  });

  it('counts a rule added after the cache was read within a minute, not before', async () => {
    const w = world();
    await ingestLogMessages(w.d, [batch([{}], T0)]);
    await addRule(w.admin, { name: 'late', app: 'web', count: 1, within: '1m' });
    w.at(T0 + 10_000);
    await ingestLogMessages(w.d, [batch([{}], T0 + 10_000)]);
    expect(await w.rules.window('late', T0)).toEqual([]);
    w.at(T0 + 31_000);
    await ingestLogMessages(w.d, [batch([{}], T0 + 31_000)]);
    expect(await w.rules.window('late', T0)).toEqual([{ minute: T0, count: 1 }]);
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
});
