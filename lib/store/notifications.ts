import { GetCommand, PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Notification, NotificationKind, Severity } from '../model';
import { dayOf, daysBetween } from '../model/days';
import { expiresAt, notificationDayKey, notificationDayKeys, notificationSortKey } from './keys';
import { applied } from './conditional';

export interface StoredNotification extends Notification {
  /** When it was published to the alerts topic; undefined if it never was. */
  readonly publishedAt: number | undefined;
}

type Item = Record<string, unknown>;

function itemToNotification(item: Item): StoredNotification {
  return {
    id: item.id as string,
    hostname: item.hostname as string,
    kind: item.kind as NotificationKind,
    severity: item.severity as Severity,
    at: Number(item.at),
    message: item.message as string,
    details: (item.details as Record<string, string> | undefined) ?? {},
    ...(item.labels ? { labels: item.labels as Record<string, string> } : {}),
    ...(item.suppressed ? { suppressed: item.suppressed as string } : {}),
    publishedAt: item.publishedAt === undefined ? undefined : Number(item.publishedAt),
  };
}

export class NotificationStore {
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
        id: n.id,
        kind: n.kind,
        severity: n.severity,
        at: n.at,
        message: n.message,
        details: n.details,
        ...(n.labels && Object.keys(n.labels).length ? { labels: n.labels } : {}),
        ...(n.suppressed !== undefined ? { suppressed: n.suppressed } : {}),
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
      const shards = await Promise.all(notificationDayKeys(day).map((key) => this.query({ day: key }, 'day', 'byDay', since, until, limit - out.length)));
      const merged = shards.flat().sort((a, b) => b.at - a.at || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
      out.push(...merged.slice(0, limit - out.length));
      if (out.length >= limit) break;
    }
    return out;
  }

  private async query(
    key: Record<string, string>,
    attribute: string,
    index: string | undefined,
    since: number,
    until: number,
    limit: number,
  ): Promise<StoredNotification[]> {
    const out: StoredNotification[] = [];
    let start: Item | undefined;
    do {
      const page = await this.ddb.send(new QueryCommand({
        TableName: this.table,
        ...(index ? { IndexName: index } : {}),
        KeyConditionExpression: `#k = :k AND sk BETWEEN :from AND :to`,
        ExpressionAttributeNames: { '#k': attribute },
        ExpressionAttributeValues: {
          ':k': Object.values(key)[0],
          ':from': new Date(since).toISOString(),
          ':to': new Date(until - 1).toISOString() + '~',
        },
        ScanIndexForward: false,
        Limit: limit - out.length,
        ExclusiveStartKey: start,
      }));
      out.push(...(page.Items ?? []).map(itemToNotification));
      start = page.LastEvaluatedKey;
    } while (start && out.length < limit);
    return out;
  }
}
