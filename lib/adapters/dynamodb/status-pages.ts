import { BatchWriteCommand, DeleteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { GroupDay, PageDef, PageState } from '../../domain/status/page';
import type { StatusPagesPort, StoredStatusPage } from '../../ports';
import { applied } from './conditional';
import { expiresAt } from './keys';

/**
 * The status table (docs/DATA-MODEL.md, "Status pages"). Pages share one partition
 * (`pk = PAGE`, `sk = slug`): there are few, and diagnose reads them all with one Query a pass.
 * A page's definition and computed state are one item, so a view is one GetItem. The state is
 * stored as one JSON string: it is read and written whole, never by attribute.
 *
 * A group's day is its own small item under the page (`pk = DAY#slug`, `sk = day#group`), so
 * the bars can be rebuilt with one Query, and it expires a little after the bars stop showing it.
 */
const PAGES = 'PAGE';
const dayPk = (slug: string) => `DAY#${slug}`;
const KEEP_DAYS = 100;

type Item = Record<string, unknown>;

function toPage(item: Item): StoredStatusPage {
  return {
    def: JSON.parse(item.def as string) as PageDef,
    state: typeof item.state === 'string' ? JSON.parse(item.state) as PageState : undefined,
    version: Number(item.version ?? 0),
  };
}

export class StatusPageStore implements StatusPagesPort {
  constructor(
    private readonly ddb: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async create(def: PageDef): Promise<boolean> {
    return applied(this.ddb.send(new PutCommand({
      TableName: this.table,
      Item: { pk: PAGES, sk: def.slug, def: JSON.stringify(def), version: 0 },
      ConditionExpression: 'attribute_not_exists(sk)',
    })));
  }

  async remove(slug: string): Promise<boolean> {
    return applied(this.ddb.send(new DeleteCommand({
      TableName: this.table, Key: { pk: PAGES, sk: slug }, ConditionExpression: 'attribute_exists(sk)',
    })));
  }

  /** Eventually consistent: half the read's cost, and a view a second old is as good. */
  async get(slug: string, consistent = false): Promise<StoredStatusPage | undefined> {
    const r = await this.ddb.send(new GetCommand({ TableName: this.table, Key: { pk: PAGES, sk: slug }, ConsistentRead: consistent }));
    return r.Item ? toPage(r.Item) : undefined;
  }

  async list(): Promise<StoredStatusPage[]> {
    const out: StoredStatusPage[] = [];
    let start: Item | undefined;
    do {
      const page = await this.ddb.send(new QueryCommand({
        TableName: this.table,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': PAGES },
        ConsistentRead: true,
        ExclusiveStartKey: start,
      }));
      out.push(...(page.Items ?? []).map(toPage));
      start = page.LastEvaluatedKey;
    } while (start);
    return out;
  }

  async save(slug: string, version: number, state: PageState): Promise<boolean> {
    return applied(this.ddb.send(new UpdateCommand({
      TableName: this.table,
      Key: { pk: PAGES, sk: slug },
      UpdateExpression: 'SET #s = :s, version = :next',
      ConditionExpression: 'attribute_exists(sk) AND version = :v',
      ExpressionAttributeNames: { '#s': 'state' },
      ExpressionAttributeValues: { ':s': JSON.stringify(state), ':v': version, ':next': version + 1 },
    })));
  }

  async putDays(slug: string, days: readonly GroupDay[]): Promise<void> {
    for (let i = 0; i < days.length; i += 25) {
      let requests = days.slice(i, i + 25).map((d) => ({
        PutRequest: {
          Item: {
            pk: dayPk(slug), sk: `${d.day}#${d.group}`, group: d.group, day: d.day, upMs: Math.round(d.upMs), totalMs: Math.round(d.totalMs),
            expiresAt: expiresAt(Date.parse(`${d.day}T00:00:00Z`), KEEP_DAYS),
          },
        },
      }));
      for (let attempt = 0; requests.length > 0; attempt++) {
        if (attempt > 8) throw new Error(`status days of ${slug}: ${requests.length} not written after ${attempt} attempts`);
        if (attempt > 0) await new Promise((r) => setTimeout(r, 50 * 2 ** attempt));
        const r = await this.ddb.send(new BatchWriteCommand({ RequestItems: { [this.table]: requests } }));
        requests = (r.UnprocessedItems?.[this.table] ?? []) as typeof requests;
      }
    }
  }

  async days(slug: string, fromDay: string, toDay: string): Promise<GroupDay[]> {
    const out: GroupDay[] = [];
    let start: Item | undefined;
    do {
      const page = await this.ddb.send(new QueryCommand({
        TableName: this.table,
        KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
        ExpressionAttributeValues: { ':pk': dayPk(slug), ':from': fromDay, ':to': `${toDay}#\uffff` },
        ExclusiveStartKey: start,
      }));
      out.push(...(page.Items ?? []).map((i) => ({ group: i.group as string, day: i.day as string, upMs: Number(i.upMs), totalMs: Number(i.totalMs) })));
      start = page.LastEvaluatedKey;
    } while (start);
    return out;
  }
}
