import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { silentLog } from '../../lib/app/log';
import { indexRules, RuleTally } from '../../lib/app/rules/count';
import { compilePattern } from '../../lib/app/rules/pattern';
import type { LogLevel, LogRecord } from '../../lib/domain/model';
import { minuteOf, sampleOf, type RuleSample } from '../../lib/domain/rule/judge';
import { inScope, RULE_LIMITS, type LogRule } from '../../lib/domain/rule/rule';
import type { RuleMinuteCounts } from '../../lib/ports';

/**
 * The tally groups an app's rules by scope and keeps samples as records until they are read: what
 * it hands the store must be what trying every rule on every record gives (the rule's own scope
 * test, level and pattern, in the order the records came).
 */
const T0 = Date.parse('2026-11-20T10:00:00Z');
const LEVELS: LogLevel[] = [10, 20, 30, 40, 50];
const PATTERNS = ['OutOfMemoryError', '(?i)connection refused', 'timeout after \\d+ms', '\\bERROR\\b.*database'];
const TEXTS = ['all good', 'java.lang.OutOfMemoryError', 'Connection REFUSED by peer', 'timeout after 250ms', 'ERROR: database gone', 'connection refuſed'];

interface Minute {
  minute: number;
  rules: { rule: string; count: number; samples: RuleSample[] }[];
  seen: { rule: string; at: number }[];
}

/** Every rule tried on every record, one by one: what the tally must add up to. */
function reference(rules: readonly LogRule[], records: readonly { record: LogRecord; receivedAt: number }[]): Minute[] {
  const matchers = new Map(rules.map((r) => [r.name, r.condition.kind === 'match' ? compilePattern(r.condition.pattern) : undefined]));
  const minutes = new Map<number, { counts: Map<string, { count: number; samples: RuleSample[] }>; seen: Map<string, number> }>();
  const at = (m: number) => {
    let t = minutes.get(m);
    if (!t) minutes.set(m, (t = { counts: new Map(), seen: new Map() }));
    return t;
  };
  for (const { record, receivedAt } of records) {
    for (const rule of rules) {
      if (!inScope(rule, record)) continue;
      const m = minuteOf(receivedAt);
      if (rule.condition.kind === 'silent') {
        const seen = at(m).seen;
        seen.set(rule.name, Math.max(seen.get(rule.name) ?? -Infinity, receivedAt));
        continue;
      }
      if (!(matchers.get(rule.name)?.(record.text) ?? true)) continue;
      const counts = at(m).counts;
      const c = counts.get(rule.name) ?? { count: 0, samples: [] };
      counts.set(rule.name, c);
      c.count++;
      if (c.samples.length < RULE_LIMITS.samples) c.samples.push(sampleOf(record));
    }
  }
  return [...minutes].map(([minute, t]) => ({
    minute,
    rules: [...t.counts].map(([rule, c]) => ({ rule, ...c })),
    seen: [...t.seen].map(([rule, s]) => ({ rule, at: Math.ceil(s / 1000) * 1000 })),
  }));
}

const byName = <T extends { rule: string }>(xs: readonly T[]) => [...xs].sort((a, b) => (a.rule < b.rule ? -1 : 1));
const normal = (minutes: readonly Minute[] | readonly RuleMinuteCounts[]) => [...minutes]
  .map((m) => ({ minute: m.minute, rules: byName(m.rules.map((r) => ({ rule: r.rule, count: r.count, samples: [...r.samples] }))), seen: byName(m.seen) }))
  .sort((a, b) => a.minute - b.minute);

async function tallied(rules: readonly LogRule[], records: readonly { record: LogRecord; receivedAt: number }[]): Promise<RuleMinuteCounts[]> {
  const tally = new RuleTally(indexRules(rules, silentLog));
  for (const { record, receivedAt } of records) tally.add(record, receivedAt);
  let sent: RuleMinuteCounts[] = [];
  await tally.flush({ addMinutes: async (minutes) => { sent = [...minutes]; } }, silentLog);
  return sent;
}

const ruleArb = (i: number) => fc.record({
  app: fc.constantFrom('web', 'api'),
  host: fc.option(fc.constantFrom('h1', 'h2'), { nil: undefined }),
  fields: fc.option(fc.dictionary(fc.constantFrom('env', 'path'), fc.constantFrom('prod', '/x')), { nil: undefined }),
  kind: fc.constantFrom('count', 'silent', 'match'),
  minLevel: fc.constantFrom(...LEVELS),
  pattern: fc.constantFrom(...PATTERNS),
}).map((g): LogRule => ({
  name: `r${i}`,
  scope: { app: g.app, ...(g.host ? { host: g.host } : {}), ...(g.fields ? { fields: g.fields } : {}) },
  condition: g.kind === 'silent' ? { kind: 'silent', forMs: 3_600_000 }
    : g.kind === 'count' ? { kind: 'count', count: 5, withinMs: 300_000, minLevel: g.minLevel }
      : { kind: 'match', pattern: g.pattern, count: 1, withinMs: 300_000, minLevel: g.minLevel },
  severity: 'warning',
  createdAt: T0,
}));

/** Records spread over apps, hosts and minutes; or `dense`: one app and host in one minute, so that counts pass the sample limit. */
const recordArb = (dense = false) => fc.record({
  app: dense ? fc.constant('web') : fc.constantFrom('web', 'api', 'db'),
  hostname: dense ? fc.constant('h1') : fc.constantFrom('h1', 'h2', 'h3'),
  // Validation makes every level one of LEVELS; levels between and beyond them check the tally's level buckets hold whatever the level.
  level: fc.constantFrom<number>(...LEVELS, 0, 35, 60),
  text: fc.constantFrom(...TEXTS),
  fields: fc.dictionary(fc.constantFrom('env', 'path', 'user'), fc.constantFrom('prod', '/x', 'dev')),
  id: fc.uuid(),
  // Within a few minutes, several messages' receive times in each.
  receivedAt: fc.integer({ min: 0, max: dense ? 59 : 3 * 60 }).map((s) => T0 + s * 1000 + 123),
}).map(({ receivedAt, ...r }) => ({ record: { ...r, timestamp: (receivedAt - 500) / 1000 } as LogRecord, receivedAt }));

describe('the ingest tally of log rules', () => {
  const rulesArb = fc.integer({ min: 1, max: 12 }).chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => ruleArb(i))));

  it('counts, samples and sees exactly what every rule tried on every record gives', async () => {
    await fc.assert(fc.asyncProperty(rulesArb, fc.array(recordArb(), { maxLength: 80 }), async (rules, records) => {
      expect(normal(await tallied(rules, records))).toEqual(normal(reference(rules, records)));
    }), { numRuns: 300 });
  });

  it('keeps each rule\'s first samples when a minute has more records than samples', async () => {
    await fc.assert(fc.asyncProperty(rulesArb, fc.array(recordArb(true), { minLength: 20, maxLength: 80 }), async (rules, records) => {
      expect(normal(await tallied(rules, records))).toEqual(normal(reference(rules, records)));
    }), { numRuns: 200 });
  });

  it('makes a sample of a record only when the store reads it', async () => {
    let read = 0;
    const record = { app: 'web', hostname: 'h1', level: 40, text: 'boom', fields: {}, id: 'x', get timestamp() { read++; return T0 / 1000; } } as unknown as LogRecord;
    const rules: LogRule[] = [{ name: 'errors', scope: { app: 'web' }, condition: { kind: 'count', count: 1, withinMs: 60_000, minLevel: 40 }, severity: 'warning', createdAt: T0 }];
    const tally = new RuleTally(indexRules(rules, silentLog));
    tally.add(record, T0);
    let sent: readonly RuleMinuteCounts[] = [];
    await tally.flush({ addMinutes: async (minutes) => { sent = minutes; } }, silentLog);
    expect(sent.map((m) => m.rules.map((r) => [r.rule, r.count]))).toEqual([[['errors', 1]]]);
    expect(read).toBe(0);
    expect(sent[0]?.rules[0]?.samples).toEqual([{ id: 'x', host: 'h1', time: new Date(T0).toISOString(), text: 'boom' }]);
    const reads = read;
    expect(reads).toBeGreaterThan(0);
    // Made once, however often read.
    expect(sent[0]?.rules[0]?.samples).toHaveLength(1);
    expect(read).toBe(reads);
  });
});
