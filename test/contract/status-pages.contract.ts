import { describe, expect, it } from 'vitest';
import { computePage, definePage, type PageDef } from '../../lib/domain/status/page';
import type { StatusPagesPort } from '../../lib/ports';
import { T0 } from './fixtures';

const page = (slug: string): PageDef => definePage({
  slug, title: `Status of ${slug}`, showHosts: false, createdAt: T0,
  groups: [{ name: 'Web', selector: { kind: 'host', labels: { role: 'web' } } }],
}) as PageDef;

/** What every adapter of StatusPagesPort does, as the status table does it. */
export function statusPagesContract(make: () => Promise<StatusPagesPort>): void {
  describe('StatusPagesPort', () => {
    it('creates a page once by slug, lists pages by slug, and removes one', async () => {
      const s = await make();
      expect(await s.create(page('public'))).toBe(true);
      expect(await s.create(page('customers'))).toBe(true);
      expect(await s.create({ ...page('public'), title: 'again' })).toBe(false);
      expect(await s.get('public')).toEqual({ def: page('public'), state: undefined, version: 0 });
      expect((await s.list()).map((p) => p.def.slug)).toEqual(['customers', 'public']);
      expect(await s.remove('customers')).toBe(true);
      expect(await s.remove('customers')).toBe(false);
      expect(await s.get('customers')).toBeUndefined();
      expect((await s.list()).map((p) => p.def.slug)).toEqual(['public']);
    });

    it('saves a state only over the version it was computed from', async () => {
      const s = await make();
      await s.create(page('public'));
      const { state } = computePage(page('public'), undefined, [{ kind: 'host', name: 'web-1', labels: { role: 'web' }, up: true }], [], T0);
      expect(await s.save('public', 0, state)).toBe(true);
      expect(await s.save('public', 0, { ...state, computedAt: T0 + 1 })).toBe(false);
      expect(await s.get('public')).toEqual({ def: page('public'), state, version: 1 });
      expect(await s.save('public', 1, { ...state, computedAt: T0 + 2 })).toBe(true);
      expect((await s.get('public'))?.state?.computedAt).toBe(T0 + 2);
      expect(await s.save('nope', 0, state)).toBe(false);
      expect(await s.get('nope')).toBeUndefined();
    });

    it('keeps one item per group per day, replaced when written again, read by day range', async () => {
      const s = await make();
      const days = Array.from({ length: 30 }, (_, i) => ({ group: i % 2 ? 'web' : 'db', day: `2026-10-${String(1 + Math.floor(i / 2)).padStart(2, '0')}`, upMs: 1000 * i, totalMs: 86_400_000 }));
      await s.putDays('public', days);
      await s.putDays('public', [{ group: 'web', day: '2026-10-03', upMs: 7, totalMs: 8 }]);
      await s.putDays('other', [{ group: 'web', day: '2026-10-03', upMs: 1, totalMs: 1 }]);
      const got = (await s.days('public', '2026-10-02', '2026-10-03')).sort((a, b) => (a.day + a.group < b.day + b.group ? -1 : 1));
      expect(got).toEqual([
        { group: 'db', day: '2026-10-02', upMs: 2000, totalMs: 86_400_000 },
        { group: 'web', day: '2026-10-02', upMs: 3000, totalMs: 86_400_000 },
        { group: 'db', day: '2026-10-03', upMs: 4000, totalMs: 86_400_000 },
        { group: 'web', day: '2026-10-03', upMs: 7, totalMs: 8 },
      ]);
      expect(await s.days('public', '2026-09-01', '2026-09-30')).toEqual([]);
      expect(await s.days('public', '2026-10-01', '2026-10-31')).toHaveLength(30);
    });
  });
}
