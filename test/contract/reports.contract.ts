import { describe, expect, it } from 'vitest';
import type { ReportsPort } from '../../lib/ports';
import { buildReport } from '../../lib/domain/report/report';
import { T0 } from './fixtures';

const DAY = 86_400_000;

function report(until: number) {
  const built = buildReport({ since: until - DAY, until, generatedAt: until, hosts: [], notifications: [], appCounts: [] });
  return { report: built.report, detail: built.detail, markdown: `# report ${until}`, html: `<h1>${until}</h1>` };
}

/** What every adapter of ReportsPort does, as the reports table does it. */
export function reportsContract(make: () => Promise<ReportsPort>): void {
  describe('ReportsPort', () => {
    it('stores reports and reads the newest first', async () => {
      const reports = await make();
      const a = report(T0);
      const b = report(T0 + DAY);
      expect(await reports.put(a)).toMatchObject({ publishedAt: undefined });
      await reports.put(b);
      const latest = await reports.latest(2);
      expect(latest.map((r) => r.report.id)).toEqual([b.report.id, a.report.id]);
      expect(latest[0]).toMatchObject({ report: JSON.parse(JSON.stringify(b.report)), markdown: b.markdown, html: b.html });
      expect(await reports.latest()).toHaveLength(1);
    });

    it('keeps a report\'s publication across a retried put', async () => {
      const reports = await make();
      const a = report(T0);
      await reports.put(a);
      await reports.markPublished(a.report.id, T0 + 5);
      expect((await reports.put(a)).publishedAt).toBe(T0 + 5);
      expect((await reports.put(a)).publishedAt).toBe(T0 + 5);
    });
  });
}
