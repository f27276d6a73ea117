import { describe, expect, it } from 'vitest';
import { notification } from '../../lib/domain/notification/notifications';
import type { LogRule } from '../../lib/domain/rule/rule';
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
    });

    it('adds counts per rule and minute, keeps the first writer\'s samples, and reads a window oldest first', async () => {
      const s = await make();
      await s.add(rule('r'));
      await s.addCounts([
        { rule: 'r', minute: T0, count: 3, samples: [sample('a'), sample('b')], keepMs: 5 * MIN },
        { rule: 'r', minute: T0 + MIN, count: 2, samples: [sample('c')], keepMs: 5 * MIN },
        { rule: 'other', minute: T0, count: 9, samples: [], keepMs: 5 * MIN },
      ]);
      await s.addCounts([{ rule: 'r', minute: T0, count: 4, samples: [sample('d')], keepMs: 5 * MIN }]);
      expect(await s.window('r', T0)).toEqual([{ minute: T0, count: 7 }, { minute: T0 + MIN, count: 2 }]);
      expect(await s.window('r', T0 + MIN)).toEqual([{ minute: T0 + MIN, count: 2 }]);
      expect(await s.window('nothing', T0)).toEqual([]);
      expect(await s.samples('r', T0, 5)).toEqual([sample('c'), sample('a'), sample('b')]);
      expect(await s.samples('r', T0, 2)).toEqual([sample('c'), sample('a')]);
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

    it('forgets a removed rule\'s state', async () => {
      const s = await make();
      await s.add(rule('r'));
      await s.commit('r', undefined, { firing: true, since: T0, judgedAt: T0 });
      await s.remove('r');
      expect(await s.state('r')).toEqual({ firing: false, pending: [] });
    });
  });
}
