import { QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ReportPagesPort, ReportSummary } from '../../ports';

/**
 * Stored reports listed newest first, a page at a time, without their bodies (see ReportStore
 * for the layout: `pk = REPORT`, `sk = <id>`). The cursor is the last id of the page.
 */
export class ReportPages implements ReportPagesPort {
  constructor(
    private readonly ddb: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async page(limit: number, before?: string): Promise<{ reports: ReportSummary[]; next: string | undefined }> {
    const out = await this.ddb.send(new QueryCommand({
      TableName: this.table,
      KeyConditionExpression: before !== undefined ? 'pk = :pk AND sk < :before' : 'pk = :pk',
      ExpressionAttributeValues: { ':pk': 'REPORT', ...(before !== undefined ? { ':before': before } : {}) },
      ProjectionExpression: 'sk, since, #until, generatedAt',
      ExpressionAttributeNames: { '#until': 'until' },
      ScanIndexForward: false,
      Limit: limit,
    }));
    const reports = (out.Items ?? []).map((i) => ({ id: i.sk as string, since: Number(i.since), until: Number(i.until), generatedAt: Number(i.generatedAt) }));
    return { reports, next: out.LastEvaluatedKey ? reports[reports.length - 1]?.id : undefined };
  }
}
