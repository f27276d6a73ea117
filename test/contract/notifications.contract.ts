import { describe, expect, it } from 'vitest';
import type { NotificationsPort } from '../../lib/ports';
import { notice, T0 } from './fixtures';

const DAY = 86_400_000;

/** What every adapter of NotificationsPort does, as the notifications table does it. */
export function notificationsContract(make: () => Promise<NotificationsPort>): void {
  describe('NotificationsPort', () => {
    it('records a notification once by id, and marks it published', async () => {
      const ns = await make();
      const n = notice('a', T0, 'a:1', { labels: { rack: 'r1' }, incident: 'a:down' });
      expect(await ns.record(n)).toBe(true);
      expect(await ns.record({ ...n, message: 'again' })).toBe(false);
      expect(await ns.publishedAt(n)).toBeUndefined();
      await ns.markPublished(n, T0 + 5);
      expect(await ns.publishedAt(n)).toBe(T0 + 5);
      expect(await ns.get('a', T0, 'a:1')).toEqual({ ...n, publishedAt: T0 + 5 });
      expect(await ns.get('a', T0, 'nope')).toBeUndefined();
    });

    it('marking an unrecorded one published leaves a mark that a later record meets', async () => {
      const ns = await make();
      const n = notice('a', T0);
      await ns.markPublished(n, T0 + 1);
      expect(await ns.publishedAt(n)).toBe(T0 + 1);
      expect(await ns.record(n)).toBe(false);
      expect(await ns.byTime(T0 - DAY, T0 + DAY)).toEqual([]);
    });

    it('reads a host\'s in [since, until), newest first, up to a limit', async () => {
      const ns = await make();
      for (const i of [0, 1, 2, 3]) await ns.record(notice('a', T0 + i * 1000, `a:${i}`));
      await ns.record(notice('b', T0 + 500, 'b:0'));
      expect((await ns.byHost('a', T0 + 1000, T0 + 3000)).map((n) => n.id)).toEqual(['a:2', 'a:1']);
      expect((await ns.byHost('a', T0, T0 + 10_000, 3)).map((n) => n.id)).toEqual(['a:3', 'a:2', 'a:1']);
    });

    it('reads the fleet\'s newest first, day by day', async () => {
      const ns = await make();
      await ns.record(notice('a', T0, 'a:0'));
      await ns.record(notice('b', T0 + 1000, 'b:0'));
      await ns.record(notice('c', T0 + DAY, 'c:0'));
      expect((await ns.byTime(T0 - 1, T0 + 2 * DAY)).map((n) => n.id)).toEqual(['c:0', 'b:0', 'a:0']);
      expect((await ns.byTime(T0, T0 + 1000)).map((n) => n.id)).toEqual(['a:0']);
      expect((await ns.byTime(T0 - 1, T0 + 2 * DAY, 2)).map((n) => n.id)).toEqual(['c:0', 'b:0']);
    });

    it('pages a host\'s and the fleet\'s with cursors and filters', async () => {
      const ns = await make();
      for (const i of [0, 1, 2, 3, 4]) await ns.record(notice('a', T0 + i * 1000, `a:${i}`, i % 2 ? { kind: 'host-recovered', severity: 'info' } : { suppressed: i === 4 ? 'silence' : undefined }));
      const first = await ns.page({ hostname: 'a', since: T0, until: T0 + DAY, limit: 2 });
      expect(first.items.map((n) => n.id)).toEqual(['a:4', 'a:3']);
      expect(first.next).toBe(first.items[1]?.cursor);
      const second = await ns.page({ hostname: 'a', since: T0, until: T0 + DAY, limit: 2, before: first.next });
      expect(second.items.map((n) => n.id)).toEqual(['a:2', 'a:1']);
      const last = await ns.page({ hostname: 'a', since: T0, until: T0 + DAY, limit: 2, before: second.next });
      expect(last).toMatchObject({ next: undefined });
      expect(last.items.map((n) => n.id)).toEqual(['a:0']);
      const fleet = await ns.page({ since: T0, until: T0 + DAY, limit: 10, filter: { kind: 'host-down', suppressed: false } });
      expect(fleet.items.map((n) => n.id)).toEqual(['a:2', 'a:0']);
      const held = await ns.page({ since: T0, until: T0 + DAY, limit: 10, filter: { suppressed: true } });
      expect(held.items.map((n) => n.id)).toEqual(['a:4']);
      expect((await ns.page({ since: T0, until: T0 + DAY, limit: 10, filter: { severity: 'info' } })).items.map((n) => n.id)).toEqual(['a:3', 'a:1']);
    });
  });
}
