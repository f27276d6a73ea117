import { describe, expect, it } from 'vitest';
import { notification } from '../../lib/domain/notification/notifications';
import { RULE_LIMITS, type LogRule } from '../../lib/domain/rule/rule';
import type { LogRulesPort } from '../../lib/ports';
import { T0 } from './fixtures';

const MIN = 60_000;
const rule = (name: string, more: Partial<LogRule> = {}): LogRule => ({
  name, scope: { app: 'web' }, condition: { kind: 'count', count: 5, withinMs: 5 * MIN, minLevel: 40 }, severity: 'warning', createdAt: T0, ...more,
});
const sample = (id: string) => ({ id, host: 'web-1', time: new Date(T0).toISOString(), text: `line ${id}` });

/** What every adapter of LogRulesPort does, as the stats table's rule items do it. */
export function logRulesContract(make: () => Promise<LogRulesPort>): void {
  describe('LogRulesPort', () => {
    it('adds a rule once by name, lists them by name, and removes one', async () => {
      const s = await make();
      const silent = rule('b-silent', { scope: { app: 'backup', host: 'db-1', fields: { job: 'nightly' } }, condition: { kind: 'silent', forMs: 20_000 } });
      expect(await s.add(rule('c-count'))).toBe(true);
      expect(await s.add(silent)).toBe(true);
      expect(await s.add(rule('a-match', { condition: { kind: 'match', pattern: 'Out(Of)?Memory', count: 1, withinMs: MIN, minLevel: 10 } }))).toBe(true);
      expect(await s.add(rule('c-count', { severity: 'critical' }))).toBe(false);
      expect((await s.list()).map((r) => r.name)).toEqual(['a-match', 'b-silent', 'c-count']);
      expect(await s.get('b-silent')).toEqual(silent);
      expect(await s.get('c-count')).toEqual(rule('c-count'));
      expect(await s.remove('c-count')).toBe(true);
      expect(await s.remove('c-count')).toBe(false);
      expect(await s.get('c-count')).toBeUndefined();
      expect((await s.list()).map((r) => r.name)).toEqual(['a-match', 'b-silent']);
      // Kept as it was among the retired, for a pass to close and forget.
      expect(await s.retired()).toEqual([rule('c-count')]);
    });

    it('adds counts in one item a minute for every rule, keeps each rule\'s first writer\'s samples, and reads a window oldest first', async () => {
      const s = await make();
      await s.addMinutes([
        { minute: T0, rules: [{ rule: 'r', count: 3, samples: [sample('a'), sample('b')] }, { rule: 'other', count: 9, samples: [] }], seen: [] },
        { minute: T0 + MIN, rules: [{ rule: 'r', count: 2, samples: [sample('c')] }], seen: [] },
      ]);
      await s.addMinutes([{ minute: T0, rules: [{ rule: 'r', count: 4, samples: [sample('d')] }, { rule: 'q', count: 1, samples: [sample('e')] }], seen: [] }]);
      expect(await s.window(['r'], T0)).toEqual([{ minute: T0, counts: { r: 7 }, seen: {} }, { minute: T0 + MIN, counts: { r: 2 }, seen: {} }]);
      expect(await s.window(['r', 'other', 'q'], T0)).toEqual([{ minute: T0, counts: { r: 7, other: 9, q: 1 }, seen: {} }, { minute: T0 + MIN, counts: { r: 2 }, seen: {} }]);
      expect(await s.window(['r'], T0 + MIN)).toEqual([{ minute: T0 + MIN, counts: { r: 2 }, seen: {} }]);
      expect(await s.window(['other'], T0 + MIN)).toEqual([]);
      expect(await s.window(['nothing'], T0)).toEqual([]);
      expect(await s.window([], T0)).toEqual([]);
      expect(await s.samples('r', T0, 5)).toEqual([sample('c'), sample('a'), sample('b')]);
      expect(await s.samples('r', T0, 2)).toEqual([sample('c'), sample('a')]);
      expect(await s.samples('q', T0, 5)).toEqual([sample('e')]);
      expect(await s.samples('other', T0, 5)).toEqual([]);
    });

    it(`holds ${RULE_LIMITS.rules} rules' counts, seconds and largest samples for one minute`, async () => {
      const s = await make();
      // The largest a sample can be: a 128-byte id, a 255-character host, and 200 characters of 3-byte text.
      const big = (r: number, k: number) => ({ id: `${r}-${k}-`.padEnd(128, 'i'), host: 'h'.repeat(255), time: new Date(T0).toISOString(), text: '€'.repeat(RULE_LIMITS.sampleChars) });
      const names = Array.from({ length: RULE_LIMITS.rules }, (_, r) => `rule-${String(r).padStart(2, '0')}`.padEnd(RULE_LIMITS.nameLength, 'x'));
      const all = names.map((rule, r) => ({ rule, count: 1, samples: Array.from({ length: RULE_LIMITS.samples }, (_, k) => big(r, k)) }));
      // Two invocations, as halves, then all again: the first writer's samples stay, the counts add.
      await s.addMinutes([{ minute: T0, rules: all.slice(0, RULE_LIMITS.rules / 2), seen: [] }]);
      await s.addMinutes([{ minute: T0, rules: all.slice(RULE_LIMITS.rules / 2), seen: [] }]);
      await s.addMinutes([{ minute: T0, rules: all, seen: [] }]);
      // And every rule seen in each of the minute's 60 seconds, the most its set holds.
      for (let k = 0; k < 60; k++) await s.addMinutes([{ minute: T0, rules: [], seen: names.map((rule) => ({ rule, at: T0 + (59 - k) * 1000 })) }]);
      expect(await s.window(names, T0)).toEqual([{ minute: T0, counts: Object.fromEntries(names.map((n) => [n, 2])), seen: Object.fromEntries(names.map((n) => [n, T0 + 59_000])) }]);
      expect(await s.samples(names[RULE_LIMITS.rules - 1] as string, T0, 5)).toEqual(all[RULE_LIMITS.rules - 1]?.samples);
    });

    it('adds every one of many writes sent at once, to one minute and to several', async () => {
      const s = await make();
      // Ten invocations at once, two minutes each: the DynamoDB adapter sends them on one client whose middleware is resolved once.
      await Promise.all(Array.from({ length: 10 }, (_, i) => s.addMinutes([
        { minute: T0, rules: [{ rule: 'r', count: 1, samples: [] }], seen: [{ rule: 'quiet', at: T0 + i * 1000 }] },
        { minute: T0 + MIN, rules: [{ rule: 'r', count: 2, samples: [] }, { rule: 'q', count: i, samples: [] }], seen: [] },
      ])));
      expect(await s.window(['r', 'q', 'quiet'], T0)).toEqual([
        { minute: T0, counts: { r: 10 }, seen: { quiet: T0 + 9000 } },
        { minute: T0 + MIN, counts: { r: 20, q: 45 }, seen: {} },
      ]);
    });

    it('keeps the newest second a silent rule\'s scope logged in each minute, whichever invocation writes last', async () => {
      const s = await make();
      await s.addMinutes([{ minute: T0, rules: [], seen: [{ rule: 'quiet', at: T0 + 40_000 }, { rule: 'other', at: T0 + 5000 }] }]);
      await s.addMinutes([{ minute: T0, rules: [{ rule: 'r', count: 1, samples: [] }], seen: [{ rule: 'quiet', at: T0 + 12_000 }] }]);
      await s.addMinutes([{ minute: T0 + MIN, rules: [], seen: [{ rule: 'quiet', at: T0 + MIN + 1000 }] }]);
      expect(await s.window(['quiet', 'r'], T0)).toEqual([
        { minute: T0, counts: { r: 1 }, seen: { quiet: T0 + 40_000 } },
        { minute: T0 + MIN, counts: {}, seen: { quiet: T0 + MIN + 1000 } },
      ]);
      expect(await s.window(['other'], T0 + MIN)).toEqual([]);
    });

    it('moves a silent rule\'s last-seen time only forward', async () => {
      const s = await make();
      await s.markSeen('q', T0 + 5000);
      await s.markSeen('q', T0 + 1000);
      expect(await s.state('q')).toEqual({ firing: false, lastSeen: T0 + 5000, pending: [] });
    });

    it('commits a state only over the one it read, with its notification in the outbox, settled by id', async () => {
      const s = await make();
      expect(await s.state('r')).toEqual({ firing: false, pending: [] });
      const n = notification('@logs', 'log-alert', 'warning', T0, 'log rule r: 6 records', { rule: 'r' }, 'r');
      expect(await s.commit('r', undefined, { firing: true, since: T0, judgedAt: T0 }, { notifications: [n], queuedAt: T0 })).toBe(true);
      // Another pass that read the same (never judged) state loses.
      expect(await s.commit('r', undefined, { firing: true, since: T0 + 1, judgedAt: T0 + 1 })).toBe(false);
      const firing = await s.state('r');
      expect(firing).toMatchObject({ firing: true, since: T0, judgedAt: T0 });
      expect(firing.pending.map((p) => [p.notification.id, p.notification.incident, p.queuedAt])).toEqual([[n.id, n.incident, T0]]);
      expect(await s.commit('r', T0, { firing: true, since: T0, clearSince: T0 + MIN, judgedAt: T0 + MIN })).toBe(true);
      expect(await s.commit('r', T0 + MIN, { firing: false, judgedAt: T0 + 2 * MIN })).toBe(true);
      await s.settle('r', n.id);
      await s.settle('r', 'unknown');
      expect(await s.state('r')).toEqual({ firing: false, judgedAt: T0 + 2 * MIN, pending: [] });
    });

    it('forgets a retired rule and its state, unless the state still holds something or the name is a rule again', async () => {
      const s = await make();
      for (const name of ['quiet', 'firing', 'again']) await s.add(rule(name));
      await s.commit('firing', undefined, { firing: true, since: T0, judgedAt: T0 });
      await s.commit('again', undefined, { firing: false, judgedAt: T0 });
      for (const name of ['quiet', 'firing', 'again']) expect(await s.remove(name)).toBe(true);
      expect((await s.retired()).map((r) => r.name)).toEqual(['again', 'firing', 'quiet']);
      await s.add(rule('again', { createdAt: T0 + MIN }));
      for (const name of ['quiet', 'firing', 'again']) await s.forget(name);
      expect(await s.retired()).toEqual([]);
      expect(await s.state('quiet')).toEqual({ firing: false, pending: [] });
      expect(await s.state('firing')).toMatchObject({ firing: true, since: T0 });
      expect(await s.state('again')).toEqual({ firing: false, judgedAt: T0, pending: [] });
      expect(await s.get('again')).toEqual(rule('again', { createdAt: T0 + MIN }));
    });
  });
}
