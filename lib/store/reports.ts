import { PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { FleetReport } from '../rules/report';
import { expiresAt } from './keys';

export interface StoredReport {
  readonly report: FleetReport;
  readonly markdown: string;
  readonly html: string;
}

/**
 * Reports: `pk = REPORT`, `sk = <id>` (the period's end, to the minute), so the latest is one
 * Query, newest first, limit 1, and a retried run overwrites its own report. The renderings
 * are kept next to the figures; they are dropped (and rendered again on read) if they would
 * push the item past DynamoDB's 400 KB.
 */
const PARTITION = 'REPORT';
const MAX_RENDERED = 300 * 1024;

export class ReportStore {
  constructor(
    private readonly ddb: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly ttlDays: number,
  ) {}

  /**
   * Store a report, replacing an earlier run for the same period (a retry). Returns when that
   * earlier run had published it, so a retry does not publish it twice.
   */
  async put(r: StoredReport): Promise<{ publishedAt: number | undefined }> {
    const data = JSON.stringify(r.report);
    const rendered = Buffer.byteLength(r.markdown) + Buffer.byteLength(r.html) + Buffer.byteLength(data) <= MAX_RENDERED;
    const out = await this.ddb.send(new PutCommand({
      TableName: this.table,
      ReturnValues: 'ALL_OLD',
      Item: {
        pk: PARTITION,
        sk: r.report.id,
        since: r.report.since,
        until: r.report.until,
        generatedAt: r.report.generatedAt,
        data,
        ...(rendered ? { markdown: r.markdown, html: r.html } : {}),
        expiresAt: expiresAt(r.report.generatedAt, this.ttlDays),
      },
    }));
    const published = out.Attributes?.publishedAt;
    if (published !== undefined) await this.markPublished(r.report.id, Number(published));
    return { publishedAt: published === undefined ? undefined : Number(published) };
  }

  async markPublished(id: string, at: number): Promise<void> {
    await this.ddb.send(new UpdateCommand({
      TableName: this.table,
      Key: { pk: PARTITION, sk: id },
      UpdateExpression: 'SET publishedAt = :at',
      ExpressionAttributeValues: { ':at': at },
    }));
  }

  /** The newest reports, newest first. */
  async latest(limit = 1): Promise<{ report: FleetReport; markdown?: string; html?: string }[]> {
    const out = await this.ddb.send(new QueryCommand({
      TableName: this.table,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': PARTITION },
      ScanIndexForward: false,
      Limit: limit,
    }));
    return (out.Items ?? []).map((item) => ({
      report: JSON.parse(item.data as string) as FleetReport,
      ...(typeof item.markdown === 'string' ? { markdown: item.markdown } : {}),
      ...(typeof item.html === 'string' ? { html: item.html } : {}),
    }));
  }
}
