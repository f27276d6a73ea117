import type { ReportPagesPort, ReportsPort, ReportSummary, StoredReport } from '../../lib/ports';
import type { FleetReport } from '../../lib/domain/report/report';
import { detailPartition, PART_BYTES, splitDetail, type DetailPart, type DetailSection } from '../../lib/adapters/dynamodb/reports';

const MAX_RENDERED = 300 * 1024;

interface Head {
  readonly data: string;
  readonly parts: number;
  readonly markdown?: string;
  readonly html?: string;
  readonly publishedAt?: number;
}

/**
 * The reports table in memory: heads by id, newest first, and the detail in parts split as
 * DynamoDB's adapter splits it. A retried `put` replaces the head and keeps its `publishedAt`.
 */
export class MemoryReports implements ReportsPort, ReportPagesPort {
  private readonly heads = new Map<string, Head>();
  private readonly partsById = new Map<string, { section: DetailSection; json: string }[]>();

  detailLocation(id: string): string {
    return `memory, partition ${detailPartition(id)}`;
  }

  async put(r: StoredReport): Promise<{ publishedAt: number | undefined; parts: number }> {
    const parts = r.detail ? splitDetail(r.detail, PART_BYTES) : [];
    // A retry that writes fewer parts leaves the older ones behind, as in the table.
    const before = this.partsById.get(r.report.id) ?? [];
    this.partsById.set(r.report.id, parts.concat(before.slice(parts.length)));
    const data = JSON.stringify(r.report);
    const rendered = Buffer.byteLength(r.markdown) + Buffer.byteLength(r.html) + Buffer.byteLength(data) <= MAX_RENDERED;
    const publishedAt = this.heads.get(r.report.id)?.publishedAt;
    this.heads.set(r.report.id, {
      data, parts: parts.length,
      ...(rendered ? { markdown: r.markdown, html: r.html } : {}),
      ...(publishedAt !== undefined ? { publishedAt } : {}),
    });
    return { publishedAt, parts: parts.length };
  }

  async markPublished(id: string, at: number): Promise<void> {
    const head = this.heads.get(id);
    // An UpdateItem without a condition creates a bare head; `latest` would then fail to parse it
    // as DynamoDB's would, so it is kept the same way.
    this.heads.set(id, { ...(head ?? { data: 'null', parts: 0 }), publishedAt: at });
  }

  async latest(limit = 1): Promise<{ report: FleetReport; parts: number; markdown?: string; html?: string }[]> {
    return [...this.heads.entries()]
      .sort(([a], [b]) => (a < b ? 1 : a > b ? -1 : 0))
      .slice(0, limit)
      .map(([, h]) => ({
        report: JSON.parse(h.data) as FleetReport,
        parts: h.parts,
        ...(h.markdown !== undefined ? { markdown: h.markdown } : {}),
        ...(h.html !== undefined ? { html: h.html } : {}),
      }));
  }

  async page(limit: number, before?: string): Promise<{ reports: ReportSummary[]; next: string | undefined }> {
    const older = [...this.heads.entries()]
      .filter(([id]) => before === undefined || id < before)
      .sort(([a], [b]) => (a < b ? 1 : a > b ? -1 : 0));
    const reports = older.slice(0, limit).map(([id, h]) => {
      const r = JSON.parse(h.data) as FleetReport;
      return { id, since: r.since, until: r.until, generatedAt: r.generatedAt };
    });
    return { reports, next: older.length > limit ? reports[reports.length - 1]?.id : undefined };
  }

  async *detail(id: string, parts: number): AsyncGenerator<DetailPart> {
    for (const p of (this.partsById.get(id) ?? []).slice(0, Math.max(0, parts))) {
      yield { section: p.section, rows: JSON.parse(p.json) };
    }
  }
}
