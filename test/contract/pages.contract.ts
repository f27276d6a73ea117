import { describe, expect, it } from 'vitest';
import type { HostsPort, HostPagesPort, ReportPagesPort, ReportsPort, HostFilter } from '../../lib/ports';
import { buildReport } from '../../lib/domain/report/report';
import { beat, T0 } from './fixtures';

/** Every page of a walk from the start, until there is no next (bounded, so a bad cursor fails rather than loops). */
async function walk<T>(page: (cursor: string | undefined) => Promise<{ items: T[]; next: string | undefined }>, limit: number): Promise<T[][]> {
  const pages: T[][] = [];
  let cursor: string | undefined;
  for (let i = 0; i < 100; i++) {
    const p = await page(cursor);
    expect(p.items.length).toBeLessThanOrEqual(limit);
    pages.push(p.items);
    if (p.next === undefined) return pages;
    cursor = p.next;
  }
  throw new Error('the pages never end');
}

/** What every adapter of HostPagesPort does, as a Scan of the hosts table does it. */
export function hostPagesContract(make: () => Promise<HostsPort & HostPagesPort>): void {
  describe('HostPagesPort', () => {
    it('walks every host matching the filter once, a bounded page at a time', async () => {
      const hosts = await make();
      const names = Array.from({ length: 23 }, (_, i) => `web-${String(i).padStart(2, '0')}`);
      for (const [i, h] of names.entries()) await hosts.recordBeat(beat(h, T0, { labels: { rack: i % 3 === 0 ? 'r1' : 'r2' } }), false);
      await hosts.recordBeat(beat('db-1', T0, { labels: { rack: 'r1' } }), false);
      await hosts.changeState({ hostname: 'db-1', from: 'new', fromSince: T0, to: 'alive', at: T0 + 1, lastBeat: T0, requireSilence: false, outageStart: undefined });
      const names$ = async (filter: HostFilter, limit: number) => (await walk(async (c) => {
        const p = await hosts.page(filter, limit, c);
        return { items: p.hosts.map((h) => h.hostname), next: p.next };
      }, limit)).flat();
      const everyone = await names$({}, 5);
      expect(everyone.slice().sort()).toEqual(['db-1', ...names]);
      expect((await names$({ label: { key: 'rack', value: 'r1' } }, 4)).sort()).toEqual(['db-1', ...names.filter((_, i) => i % 3 === 0)]);
      expect(await names$({ state: 'alive' }, 7)).toEqual(['db-1']);
      expect((await names$({ prefix: 'web-1' }, 3)).sort()).toEqual(names.filter((n) => n.startsWith('web-1')));
    });
  });
}

/** What every adapter of ReportPagesPort does, as a Query of the reports partition does it. */
export function reportPagesContract(make: () => Promise<ReportsPort & ReportPagesPort>): void {
  describe('ReportPagesPort', () => {
    it('lists the reports newest first, a page at a time, without their bodies', async () => {
      const reports = await make();
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) {
        const until = T0 + i * 86_400_000;
        const built = buildReport({ since: until - 86_400_000, until, generatedAt: until + 5, hosts: [], notifications: [], appCounts: [] });
        await reports.put({ report: built.report, markdown: '', html: '' });
        ids.push(built.report.id);
      }
      const pages = await walk(async (c) => {
        const p = await reports.page(2, c);
        return { items: p.reports, next: p.next };
      }, 2);
      expect(pages.flat().map((r) => r.id)).toEqual(ids.slice().reverse());
      expect(pages.flat()[0]).toEqual({ id: ids[4], since: T0 + 3 * 86_400_000, until: T0 + 4 * 86_400_000, generatedAt: T0 + 4 * 86_400_000 + 5 });
    });
  });
}
