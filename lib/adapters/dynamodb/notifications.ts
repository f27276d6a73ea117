import { GetCommand, PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Notification} from '../../domain/model';
import { dayOf, daysBetween } from '../../domain/model/days';
import { expiresAt, notificationDayKey, notificationDayKeys, notificationSortKey } from './keys';
import { applied } from './conditional';
import { notificationAttributes, notificationFromItem } from './notification-item';
import type { NotificationFilter, NotificationPageQuery, NotificationsPort, StoredNotification } from '../../ports';
type Item = Record<string, unknown>;

function itemToNotification(item: Item): StoredNotification {
  return { ...notificationFromItem(item), publishedAt: item.publishedAt === undefined ? undefined : Number(item.publishedAt) };
}

export class NotificationStore implements NotificationsPort {
  constructor(
    private readonly ddb: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly ttlDays: number,
  ) {}

  /** Write a notification once. False when one with its id exists: it was recorded already. */
  async record(n: Notification): Promise<boolean> {
    return applied(this.ddb.send(new PutCommand({
      TableName: this.table,
      Item: {
        hostname: n.hostname,
        sk: notificationSortKey(n.at, n.id),
        day: notificationDayKey(dayOf(n.at), n.id),
        ...notificationAttributes(n),
        expiresAt: expiresAt(n.at, this.ttlDays),
      },
      ConditionExpression: 'attribute_not_exists(sk)',
    })));
  }

  /** When a recorded notification was published; undefined if it never was (or is not recorded). */
  async publishedAt(n: Notification): Promise<number | undefined> {
    const out = await this.ddb.send(new GetCommand({
      TableName: this.table,
      Key: { hostname: n.hostname, sk: notificationSortKey(n.at, n.id) },
      ProjectionExpression: 'publishedAt',
      ConsistentRead: true,
    }));
    return out.Item?.publishedAt === undefined ? undefined : Number(out.Item.publishedAt);
  }

  async markPublished(n: Notification, at: number): Promise<void> {
    await this.ddb.send(new UpdateCommand({
      TableName: this.table,
      Key: { hostname: n.hostname, sk: notificationSortKey(n.at, n.id) },
      UpdateExpression: 'SET publishedAt = :at',
      ExpressionAttributeValues: { ':at': at },
    }));
  }

  /** One notification by its key: the host, its time and its id (what the notifier reads). */
  async get(hostname: string, at: number, id: string): Promise<StoredNotification | undefined> {
    const out = await this.ddb.send(new GetCommand({
      TableName: this.table,
      Key: { hostname, sk: notificationSortKey(at, id) },
      ConsistentRead: true,
    }));
    return out.Item ? itemToNotification(out.Item) : undefined;
  }

  /** A host's notifications in [since, until), newest first. */
  async byHost(hostname: string, since: number, until: number, limit = 100): Promise<StoredNotification[]> {
    return this.query({ hostname }, 'hostname', undefined, since, until, limit);
  }

  /**
   * The whole fleet's notifications in [since, until), newest first: per UTC day, one Query per
   * shard of the `byDay` index, in parallel, merged by time.
   */
  async byTime(since: number, until: number, limit = 1000): Promise<StoredNotification[]> {
    const out: StoredNotification[] = [];
    for (const day of daysBetween(since, Math.max(since, until - 1))) {
      out.push(...await this.fleetDay(day, since, until, limit - out.length));
      if (out.length >= limit) break;
    }
    return out;
  }

  /**
   * One page, newest first, of a host's or the fleet's notifications, and the cursor of the next
   * when there is more. Each item carries its own cursor (`sk`).
   */
  async page(q: NotificationPageQuery): Promise<{ items: (StoredNotification & { cursor: string })[]; next: string | undefined }> {
    const more = { before: q.before, filter: q.filter };
    const found: StoredNotification[] = [];
    if (q.hostname !== undefined) found.push(...await this.query({ hostname: q.hostname }, 'hostname', undefined, q.since, q.until, q.limit + 1, more));
    else {
      // Per UTC day, every shard of the byDay index in parallel, merged newest first by sort key.
      for (const day of daysBetween(q.since, Math.max(q.since, q.until - 1))) {
        found.push(...await this.fleetDay(day, q.since, q.until, q.limit + 1 - found.length, more));
        if (found.length > q.limit) break;
      }
    }
    const items = found.slice(0, q.limit).map((n) => ({ ...n, cursor: notificationSortKey(n.at, n.id) }));
    return { items, next: found.length > q.limit ? items[items.length - 1]?.cursor : undefined };
  }

  /**
   * The fleet's notifications of one UTC day, newest first: one Query per shard of the `byDay`
   * index and one for the unsharded day (items written before sharding), in parallel, merged by
   * sort key.
   */
  private async fleetDay(
    day: string, since: number, until: number, limit: number,
    more: { before?: string | undefined; filter?: NotificationFilter | undefined } = {},
  ): Promise<StoredNotification[]> {
    const shards = await Promise.all(notificationDayKeys(day).map((key) => this.query({ day: key }, 'day', 'byDay', since, until, limit, more)));
    const sk = (n: StoredNotification) => notificationSortKey(n.at, n.id);
    return shards.flat().sort((a, b) => (sk(a) < sk(b) ? 1 : sk(a) > sk(b) ? -1 : 0)).slice(0, limit);
  }

  private async query(
    key: Record<string, string>,
    attribute: string,
    index: string | undefined,
    since: number,
    until: number,
    limit: number,
    more: { before?: string | undefined; filter?: NotificationFilter | undefined } = {},
  ): Promise<StoredNotification[]> {
    const out: StoredNotification[] = [];
    const to = new Date(until - 1).toISOString() + '~';
    const from = new Date(since).toISOString();
    // BETWEEN is inclusive: the cursor's own item comes back and is dropped below.
    const upper = more.before !== undefined && more.before < to ? more.before : to;
    if (upper < from) return out;
    const filter = filterOf(more.filter ?? {});
    let start: Item | undefined;
    do {
      const page = await this.ddb.send(new QueryCommand({
        TableName: this.table,
        ...(index ? { IndexName: index } : {}),
        KeyConditionExpression: `#k = :k AND sk BETWEEN :from AND :to`,
        ...(filter.expression ? { FilterExpression: filter.expression } : {}),
        ExpressionAttributeNames: { '#k': attribute, ...filter.names },
        ExpressionAttributeValues: { ':k': Object.values(key)[0], ':from': from, ':to': upper, ...filter.values },
        ScanIndexForward: false,
        Limit: limit - out.length + (more.before !== undefined ? 1 : 0),
        ExclusiveStartKey: start,
      }));
      out.push(...(page.Items ?? []).filter((i) => more.before === undefined || (i.sk as string) < more.before).map(itemToNotification));
      start = page.LastEvaluatedKey;
    } while (start && out.length < limit);
    return out.slice(0, limit);
  }
}

function filterOf(f: NotificationFilter): { expression: string; names: Record<string, string>; values: Record<string, unknown> } {
  const parts: string[] = [];
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  if (f.kind !== undefined) {
    parts.push('#kind = :kind');
    names['#kind'] = 'kind';
    values[':kind'] = f.kind;
  }
  if (f.severity !== undefined) {
    parts.push('#severity = :severity');
    names['#severity'] = 'severity';
    values[':severity'] = f.severity;
  }
  if (f.suppressed !== undefined) {
    parts.push(f.suppressed ? 'attribute_exists(#suppressed)' : 'attribute_not_exists(#suppressed)');
    names['#suppressed'] = 'suppressed';
  }
  return { expression: parts.join(' AND '), names, values };
}
