import { PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { FleetReport, Incident, ReportDetail } from '../../domain/report/report';
import { expiresAt } from './keys';
import type { ReportsPort, StoredReport } from '../../ports';
export type DetailSection = keyof ReportDetail;
export interface DetailPart {
  readonly section: DetailSection;
  readonly rows: NonNullable<ReportDetail[DetailSection]>;
}

/**
 * Reports: the head item is `pk = REPORT`, `sk = <id>` (the period's end, to the minute), so the
 * latest is one Query, newest first, limit 1, and a retried run overwrites its own report. It
 * holds the summary (bounded by the report's `top`) and its renderings. Every row of the detail
 * is in parts `pk = REPORT#<id>`, `sk = part#00000`…, each under PART_BYTES of JSON: a fleet of
 * any size fits, and reading the detail is one paginated Query. The head records how many parts
 * it has, and is written after them, so it never points at a part that is not there.
 */
const PARTITION = 'REPORT';
const MAX_RENDERED = 300 * 1024;
/** JSON per part: well under DynamoDB's 400 KB item, leaving room for the key and attributes. */
export const PART_BYTES = 350 * 1024;
const WRITE_CONCURRENCY = 4;

export const detailPartition = (id: string) => `${PARTITION}#${id}`;
const partKey = (n: number) => `part#${String(n).padStart(5, '0')}`;

export class ReportStore implements ReportsPort {
  constructor(
    private readonly ddb: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly ttlDays: number,
  ) {}

  /** Where a report's detail is, for a reader. */
  detailLocation(id: string): string {
    return `the ${this.table} table, partition ${detailPartition(id)}`;
  }

  /**
   * Store a report, replacing an earlier run for the same period (a retry). Returns when that
   * earlier run had published it, so a retry does not publish it twice.
   */
  async put(r: StoredReport): Promise<{ publishedAt: number | undefined; parts: number }> {
    const expires = expiresAt(r.report.generatedAt, this.ttlDays);
    const parts = r.detail ? splitDetail(r.detail, PART_BYTES) : [];
    for (let i = 0; i < parts.length; i += WRITE_CONCURRENCY) {
      await Promise.all(parts.slice(i, i + WRITE_CONCURRENCY).map((p, j) => this.ddb.send(new PutCommand({
        TableName: this.table,
        Item: { pk: detailPartition(r.report.id), sk: partKey(i + j), section: p.section, rows: p.json, expiresAt: expires },
      }))));
    }
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
        parts: parts.length,
        ...(rendered ? { markdown: r.markdown, html: r.html } : {}),
        expiresAt: expires,
      },
    }));
    const published = out.Attributes?.publishedAt;
    if (published !== undefined) await this.markPublished(r.report.id, Number(published));
    return { publishedAt: published === undefined ? undefined : Number(published), parts: parts.length };
  }

  async markPublished(id: string, at: number): Promise<void> {
    await this.ddb.send(new UpdateCommand({
      TableName: this.table,
      Key: { pk: PARTITION, sk: id },
      UpdateExpression: 'SET publishedAt = :at',
      ExpressionAttributeValues: { ':at': at },
    }));
  }

  /** The newest reports, newest first, with how many detail parts each has. */
  async latest(limit = 1): Promise<{ report: FleetReport; parts: number; markdown?: string; html?: string }[]> {
    const out = await this.ddb.send(new QueryCommand({
      TableName: this.table,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': PARTITION },
      ScanIndexForward: false,
      Limit: limit,
    }));
    return (out.Items ?? []).map((item) => ({
      report: JSON.parse(item.data as string) as FleetReport,
      parts: Number(item.parts ?? 0),
      ...(typeof item.markdown === 'string' ? { markdown: item.markdown } : {}),
      ...(typeof item.html === 'string' ? { html: item.html } : {}),
    }));
  }

  /**
   * A report's detail, part by part, in order. Only the `parts` its head names are read: a retry
   * that wrote fewer parts leaves older ones behind, which expire with the report.
   */
  async *detail(id: string, parts: number): AsyncGenerator<DetailPart> {
    if (parts <= 0) return;
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.ddb.send(new QueryCommand({
        TableName: this.table,
        KeyConditionExpression: 'pk = :pk AND sk BETWEEN :first AND :last',
        ExpressionAttributeValues: { ':pk': detailPartition(id), ':first': partKey(0), ':last': partKey(parts - 1) },
        ...(start ? { ExclusiveStartKey: start } : {}),
      }));
      for (const item of out.Items ?? []) yield { section: item.section as DetailSection, rows: JSON.parse(item.rows as string) };
      start = out.LastEvaluatedKey;
    } while (start);
  }
}

/**
 * The detail as parts of at most `maxBytes` of JSON each, section by section. A row too big for
 * one part (a storm of tens of thousands of hosts) is split into rows of the same incident,
 * each with a share of its host names.
 */
export function splitDetail(detail: ReportDetail, maxBytes: number): { section: DetailSection; json: string }[] {
  const parts: { section: DetailSection; json: string }[] = [];
  for (const section of ['hosts', 'incidents', 'apps', 'checks'] as const) {
    let rows: string[] = [];
    let bytes = 2;
    const flush = () => {
      if (rows.length) parts.push({ section, json: `[${rows.join(',')}]` });
      rows = [];
      bytes = 2;
    };
    const add = (json: string) => {
      const size = Buffer.byteLength(json) + 1;
      if (bytes + size > maxBytes) flush();
      rows.push(json);
      bytes += size;
    };
    for (const row of (detail[section] ?? []) as unknown[]) {
      const json = JSON.stringify(row);
      if (Buffer.byteLength(json) + 3 <= maxBytes) add(json);
      else if (section === 'incidents') for (const piece of splitIncident(row as Incident, maxBytes)) add(JSON.stringify(piece));
      else throw new Error(`a ${section} row of ${Buffer.byteLength(json)} bytes does not fit in a report part`);
    }
    flush();
  }
  return parts;
}

function splitIncident(i: Incident, maxBytes: number): Incident[] {
  const pieces: Incident[] = [];
  const budget = maxBytes - Buffer.byteLength(JSON.stringify({ ...i, hostnames: [] })) - 16;
  let names: string[] = [];
  let bytes = 0;
  for (const h of i.hostnames) {
    const size = Buffer.byteLength(JSON.stringify(h)) + 1;
    if (bytes + size > budget && names.length) {
      pieces.push({ ...i, hostnames: names });
      names = [];
      bytes = 0;
    }
    names.push(h);
    bytes += size;
  }
  if (names.length) pieces.push({ ...i, hostnames: names });
  return pieces;
}
