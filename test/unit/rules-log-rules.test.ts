import { describe, expect, it } from 'vitest';
import { addRule } from '../../lib/app/rules/manage';
import { checkPattern, compilePattern } from '../../lib/app/rules/pattern';
import { incidentAction } from '../../lib/domain/notification/incidents';
import { silenceOverRule } from '../../lib/domain/notification/silences';
import { judgeRule, sampleOf, windowStart, type RuleReading } from '../../lib/domain/rule/judge';
import { inScope, parseDuration, parseRule, RULE_LIMITS, type LogRule, type RuleInput } from '../../lib/domain/rule/rule';
import { MemoryLogRules } from '../../tools/memory/log-rules';

const T0 = Date.UTC(2026, 11, 1, 9, 30, 0);
const MIN = 60_000;
const parse = (input: RuleInput) => parseRule(input, T0, checkPattern);
const refused = (input: RuleInput): string => {
  const r = parse(input);
  if (r.ok) throw new Error(`accepted ${JSON.stringify(input)}`);
  return r.error;
};
const must = (input: RuleInput): LogRule => {
  const r = parse(input);
  if (!r.ok) throw new Error(r.error);
  return r.value;
};

describe('a log rule, as typed', () => {
  it('takes each condition with its defaults', () => {
    expect(must({ name: 'web-errors', app: 'web', level: 'error', count: '5', within: '1m' })).toEqual({
      name: 'web-errors', scope: { app: 'web' }, condition: { kind: 'count', count: 5, withinMs: MIN, minLevel: 40 }, severity: 'warning', createdAt: T0,
    });
    expect(must({ name: 'backup', app: 'backup', silent: '26h', severity: 'critical' }).condition).toEqual({ kind: 'silent', forMs: 26 * 3_600_000 });
    expect(must({ name: 'oom', app: 'web', match: 'OutOfMemoryError' }).condition).toEqual({ kind: 'match', pattern: 'OutOfMemoryError', count: 1, withinMs: 5 * MIN, minLevel: 10 });
    expect(must({ name: 'db', app: 'web', host: 'db-1', fields: ['job=nightly'], count: 1, within: '1h30m' }).scope).toEqual({ app: 'web', host: 'db-1', fields: { job: 'nightly' } });
  });

  it('refuses bad input with a clear message', () => {
    expect(refused({ name: 'x', app: 'web', match: '(a+)+$' })).toMatch(/nested repetition "\(a\+\)\+" could backtrack catastrophically/);
    expect(refused({ name: 'x', app: 'web', match: '(a)\\1' })).toMatch(/RE2 cannot run it/);
    expect(refused({ name: 'x', app: 'web', match: '(?<=a)b' })).toMatch(/RE2 cannot run it/);
    expect(refused({ name: 'x', app: 'web', match: 'a'.repeat(100_000) })).toMatch(/at most 512 characters; this one has 100000/);
    expect(refused({ name: 'x', app: 'web', count: 5, within: 'NaN' })).toMatch(/--within is a duration/);
    expect(refused({ name: 'x', app: 'web', count: 5, within: Number.NaN })).toMatch(/--within is a duration/);
    expect(refused({ name: 'x', app: 'web', count: 5, within: Infinity })).toMatch(/--within is a duration/);
    expect(refused({ name: 'x', app: 'web', count: 5, within: '30s' })).toMatch(/from 1m to 7d, got 30s/);
    expect(refused({ name: 'x', app: 'web', count: 5, within: '8d' })).toMatch(/from 1m to 7d, got 8d/);
    expect(refused({ name: 'x', app: 'web', count: 5, within: '90s' })).toMatch(/whole number of minutes/);
    expect(refused({ name: 'x', app: 'web', silent: '5s' })).toMatch(/--silent is from 10s to 30d, got 5s/);
    expect(refused({ name: 'x', app: 'web', silent: '-1m' })).toMatch(/--silent is a duration/);
    expect(refused({ name: 'x', app: 'web', count: 0, within: '5m' })).toMatch(/a count is a whole number of at least 1, got 0/);
    expect(refused({ name: 'x', app: 'web', count: '2.5', within: '5m' })).toMatch(/whole number/);
    expect(refused({ name: 'x', app: 'web', count: 5, within: '5m', level: 'loud' })).toMatch(/unknown level "loud"/);
    expect(refused({ name: 'x', app: 'web' })).toMatch(/needs a condition/);
    expect(refused({ name: 'x', app: 'web', silent: '1h', match: 'x' })).toMatch(/one condition/);
    expect(refused({ name: 'x', app: 'web', silent: '1h', count: 3 })).toMatch(/--silent takes no --count/);
    expect(refused({ name: '../x', app: 'web', count: 1, within: '1m' })).toMatch(/a rule's name is letters/);
    expect(refused({ name: 'x', count: 1, within: '1m' })).toMatch(/needs an app/);
    expect(refused({ name: 'x', app: 'web', count: 1, within: '1m', severity: 'loud' })).toMatch(/a severity is info, warning or critical/);
    expect(refused({ name: 'x', app: 'web', count: 1, within: '1m', fields: ['novalue'] })).toMatch(/key=value/);
  });

  it('refuses a duplicate name and stores nothing for a refused rule', async () => {
    const rules = new MemoryLogRules();
    const admin = { rules, now: () => T0 };
    expect((await addRule(admin, { name: 'a', app: 'web', count: 1, within: '1m' })).ok).toBe(true);
    const again = await addRule(admin, { name: 'a', app: 'api', silent: '1h' });
    expect(again).toMatchObject({ ok: false, duplicate: true });
    expect(again.ok ? '' : again.error).toMatch(/a rule named a exists already/);
    expect((await addRule(admin, { name: 'b', app: 'web', match: '(x*)*' })).ok).toBe(false);
    expect((await rules.list()).map((r) => [r.name, r.scope.app])).toEqual([['a', 'web']]);
  });

  it('reads durations strictly', () => {
    expect(parseDuration('1h30m')).toBe(90 * MIN);
    expect(parseDuration('7d')).toBe(7 * 86_400_000);
    expect(parseDuration('20')).toBe(20_000);
    for (const bad of ['', '5x', 'm5', '1e3', ' ', '0', 0, -5, null, {}, '9'.repeat(40)]) expect(parseDuration(bad), String(bad)).toBeUndefined();
  });
});

describe('matching', () => {
  it('matches at most the first 8 KB of a record, in time linear in it', () => {
    const m = compilePattern('OutOfMemoryError');
    expect(m('java.lang.OutOfMemoryError: heap')).toBe(true);
    expect(m('x'.repeat(RULE_LIMITS.matchChars) + 'OutOfMemoryError')).toBe(false);
    // What backtracks for minutes in RegExp runs at once here: a line of 32 KB of "a" and a "!".
    const started = performance.now();
    expect(compilePattern('(a|aa)+b')('a'.repeat(32_768) + '!')).toBe(false);
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('takes a record in scope by app, host, fields and level', () => {
    const rule = must({ name: 'r', app: 'web', host: 'w1', fields: { env: 'prod' }, level: 'warning', count: 1, within: '1m' });
    const r = { app: 'web', hostname: 'w1', level: 30 as const, fields: { env: 'prod', x: 'y' } };
    expect(inScope(rule, r)).toBe(true);
    expect(inScope(rule, { ...r, app: 'api' })).toBe(false);
    expect(inScope(rule, { ...r, hostname: 'w2' })).toBe(false);
    expect(inScope(rule, { ...r, level: 20 })).toBe(false);
    expect(inScope(rule, { ...r, fields: { env: 'dev' } })).toBe(false);
  });
});

describe('judging a rule', () => {
  const rule = must({ name: 'web-errors', app: 'web', level: 'error', count: 5, within: '1m' });
  const reading = (count: number, state: RuleReading['state'] = { firing: false }): RuleReading => ({ state, count });

  it('fires once when the count reaches the threshold, with samples cut to 200 characters', () => {
    expect(judgeRule(rule, reading(4), T0)).toEqual({ kind: 'none' });
    const sample = sampleOf({ id: 'r1', hostname: 'web-1', timestamp: T0 / 1000, text: 'e'.repeat(500) });
    const v = judgeRule(rule, { ...reading(6), samples: [sample, sample, sample, sample, sample, sample] }, T0);
    if (v.kind !== 'alert') throw new Error(v.kind);
    expect(v.notification).toMatchObject({ kind: 'log-alert', hostname: '@logs', severity: 'warning', labels: { app: 'web', rule: 'web-errors' } });
    expect(v.notification.message).toBe('log rule web-errors: 6 records at error or above from web in the last 1m (threshold 5)');
    expect(v.notification.details).toMatchObject({ rule: 'web-errors', count: '6', window: '1m' });
    const samples = JSON.parse(v.notification.details.samples as string) as { text: string }[];
    expect(samples).toHaveLength(5);
    expect(samples[0]).toEqual({ id: 'r1', host: 'web-1', time: new Date(T0).toISOString(), text: 'e'.repeat(200) });
    expect(incidentAction(v.notification)).toBe('open');
    // Still holding: no second alert.
    expect(judgeRule(rule, reading(9, v.state), T0 + MIN)).toEqual({ kind: 'none' });
  });

  it('resolves with log-ok on the same incident once clear for one window', () => {
    const alert = judgeRule(rule, reading(6), T0);
    if (alert.kind !== 'alert') throw new Error(alert.kind);
    const cleared = judgeRule(rule, reading(2, alert.state), T0 + MIN);
    expect(cleared).toEqual({ kind: 'note', state: { firing: true, since: T0, clearSince: T0 + MIN, judgedAt: T0 + MIN } });
    if (cleared.kind !== 'note') throw new Error(cleared.kind);
    // Back over the threshold before a whole window passed: still the same alert, and clear again from later.
    const again = judgeRule(rule, reading(7, cleared.state), T0 + MIN + 30_000);
    expect(again).toMatchObject({ kind: 'note', state: { firing: true, since: T0 } });
    if (again.kind !== 'note') throw new Error(again.kind);
    expect(again.state.clearSince).toBeUndefined();
    const clear2 = judgeRule(rule, reading(0, again.state), T0 + 2 * MIN);
    if (clear2.kind !== 'note') throw new Error(clear2.kind);
    expect(judgeRule(rule, reading(0, clear2.state), T0 + 2 * MIN + 59_000)).toEqual({ kind: 'none' });
    const ok = judgeRule(rule, reading(0, clear2.state), T0 + 3 * MIN);
    if (ok.kind !== 'ok') throw new Error(ok.kind);
    expect(ok.notification).toMatchObject({ kind: 'log-ok', severity: 'info', incident: alert.notification.incident, details: { since: new Date(T0).toISOString() } });
    expect(incidentAction(ok.notification)).toBe('close');
    expect(ok.state).toEqual({ firing: false, judgedAt: T0 + 3 * MIN });
  });

  it('fires a silent rule when its scope has logged nothing for the period, and resolves at its next record', () => {
    const silent = must({ name: 'quiet', app: 'backup', silent: '20s' });
    expect(judgeRule(silent, reading(0, { firing: false, lastSeen: T0 }), T0 + 19_000)).toEqual({ kind: 'none' });
    const fired = judgeRule(silent, reading(0, { firing: false, lastSeen: T0 }), T0 + 25_000);
    if (fired.kind !== 'alert') throw new Error(fired.kind);
    expect(fired.notification.message).toBe('log rule quiet: no record from backup for 25s');
    expect(fired.notification.details.lastSeen).toBe(new Date(T0).toISOString());
    // An app that never logged: counted from the rule's creation.
    expect(judgeRule(silent, reading(0), T0 + 20_000).kind).toBe('alert');
    const ok = judgeRule(silent, reading(0, { ...fired.state, lastSeen: T0 + 30_000 }), T0 + 40_000);
    expect(ok).toMatchObject({ kind: 'ok', notification: { kind: 'log-ok', incident: fired.notification.incident } });
  });

  it('reads every minute that overlaps the window, none before the rule existed', () => {
    expect(windowStart(rule, T0 + 5 * MIN + 500)).toBe(T0 + 4 * MIN);
    expect(windowStart(rule, T0 + 10)).toBe(T0);
    expect(windowStart({ ...rule, condition: { kind: 'count', count: 1, withinMs: 10 * MIN, minLevel: 10 } }, T0 + 5 * MIN)).toBe(T0);
  });

  it('is silenced by its app, its name or its host', () => {
    const s = (target: object) => ({ id: 's', target, startsAt: T0, endsAt: T0 + MIN, reason: '' }) as Parameters<typeof silenceOverRule>[1][number];
    const r = { name: 'web-errors', app: 'web', host: 'w1' };
    expect(silenceOverRule(r, [s({ app: 'web' })], T0)?.id).toBe('s');
    expect(silenceOverRule(r, [s({ rule: 'web-errors' })], T0)?.id).toBe('s');
    expect(silenceOverRule(r, [s({ hostname: 'w1' })], T0)?.id).toBe('s');
    expect(silenceOverRule(r, [s({ app: 'api' }), s({ rule: 'other' }), s({ label: 'app', value: 'web' })], T0)).toBeUndefined();
    expect(silenceOverRule(r, [s({ app: 'web' })], T0 + MIN)).toBeUndefined();
  });
});

describe('silence targets for log rules', () => {
  it('reads app:NAME and rule:NAME, and says them back', async () => {
    const { parseSilenceTarget, describeTarget, silenceCovers } = await import('../../lib/domain/notification/silences');
    expect(parseSilenceTarget('app:payments')).toEqual({ app: 'payments' });
    expect(parseSilenceTarget(' rule: web-errors ')).toEqual({ rule: 'web-errors' });
    expect(parseSilenceTarget('app:')).toMatch(/app:NAME needs a name/);
    expect(describeTarget({ rule: 'web-errors' })).toBe('rule:web-errors');
    // Never a host's silence: a host named like the app is not covered.
    expect(silenceCovers({ id: 's', target: { app: 'web-1' }, startsAt: 0, endsAt: 1, reason: '' }, { hostname: 'web-1', labels: {} })).toBe(false);
  });
});
