import { PutCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LogRecord } from '../../lib/domain/model';
import { notification } from '../../lib/domain/notification/notifications';
import { LOG_APP_SHARDS, logAppKey, logErrorKey, NOTIFICATION_DAY_SHARDS, notificationSortKey } from '../../lib/adapters/dynamodb/keys';
import { LogStore, recordToItem } from '../../lib/adapters/dynamodb/logs';
import { NotificationStore } from '../../lib/adapters/dynamodb/notifications';
import { startTestCloud, type TestCloud } from '../../tools/harness/cloud';

/**
 * Write sharding of the two hot partitions: one app's records of a day and level, and the
 * fleet's notifications of a day (the byDay index). Writes spread over every shard; reads query
 * them all in parallel and merge, newest first; items written before sharding are still read;
 * and no read becomes a Scan.
 */
let cloud: TestCloud;
const commands: string[] = [];

beforeAll(async () => {
  cloud = await startTestCloud();
  // The document client's stack holds this middleware twice over one request: count each request once.
  const seen = new WeakSet<object>();
  cloud.clients.ddb.middlewareStack.add((next, context) => (args) => {
    if (!seen.has(args.request as object)) commands.push(String(context.commandName));
    seen.add(args.request as object);
    return next(args);
  }, { step: 'finalizeRequest', name: 'countCommands' });
}, 60_000);
afterAll(async () => cloud?.stop());

const T0 = Date.UTC(2026, 10, 25, 9, 0, 0) / 1000;

async function countBy(ddb: DynamoDBDocumentClient, table: string, index: string | undefined, attribute: string, value: string): Promise<number> {
  let n = 0;
  let start: Record<string, unknown> | undefined;
  do {
    const page = await ddb.send(new QueryCommand({
      TableName: table, ...(index ? { IndexName: index } : {}), KeyConditionExpression: '#k = :v', ExpressionAttributeNames: { '#k': attribute },
      ExpressionAttributeValues: { ':v': value }, Select: 'COUNT', ExclusiveStartKey: start,
    }));
    n += page.Count ?? 0;
    start = page.LastEvaluatedKey;
  } while (start);
  return n;
}

describe('sharded log partitions', () => {
  const records: LogRecord[] = Array.from({ length: 1_600 }, (_, i) => ({
    app: 'burst', hostname: `h-${i % 40}`, timestamp: T0 + i / 1000, level: 40, text: `record ${i}`, fields: {}, id: `id-${i}`,
  }));

  it('spreads one app\'s day at one level over every shard, evenly, and a redelivery lands on the same keys', async () => {
    const logs = new LogStore(cloud.clients.ddb, cloud.names.logsTable);
    await logs.write(records.map((record) => ({ record, receivedAt: T0 * 1000, owner: 'm1' })), 14);
    await logs.write(records.slice(0, 100).map((record) => ({ record, receivedAt: T0 * 1000, owner: 'm2' })), 14);
    const perShard = await Promise.all(Array.from({ length: LOG_APP_SHARDS }, (_, s) => countBy(cloud.clients.ddb, cloud.names.logsTable, undefined, 'pk', logAppKey('burst', '2026-11-25', 40, s))));
    expect(perShard.reduce((t, n) => t + n, 0)).toBe(1_600);
    // 100 a shard on average; none far from it.
    for (const n of perShard) expect(n).toBeGreaterThan(60);
    expect(Math.max(...perShard)).toBeLessThan(150);
  });

  it('reads every shard and the key written before sharding, newest first, with no Scan', async () => {
    const logs = new LogStore(cloud.clients.ddb, cloud.names.logsTable);
    const old: LogRecord = { app: 'burst', hostname: 'h-old', timestamp: T0 + 10, level: 40, text: 'before sharding', fields: {}, id: 'old-1' };
    await cloud.clients.ddb.send(new PutCommand({ TableName: cloud.names.logsTable, Item: { ...recordToItem(old, T0 * 1000, 14), pk: logAppKey('burst', '2026-11-25', 40) } }));
    commands.length = 0;
    const newest = await logs.query({ app: 'burst', minLevel: 40, since: T0 * 1000, until: (T0 + 60) * 1000, limit: 5 });
    expect(newest.map((r) => r.id)).toEqual(['old-1', 'id-1599', 'id-1598', 'id-1597', 'id-1596']);
    // For the day and each level at or above the floor (error, critical): one Query per shard and one for the unsharded key.
    expect(commands).toEqual(Array(2 * (LOG_APP_SHARDS + 1)).fill('QueryCommand'));
    const all = await logs.query({ app: 'burst', minLevel: 10, since: T0 * 1000, until: (T0 + 60) * 1000, limit: 5_000 });
    expect(all).toHaveLength(1_601);
    expect(all.map((r) => r.cursor)).toEqual([...all.map((r) => r.cursor)].sort().reverse());
    expect(commands).not.toContain('ScanCommand');
  });

  it('the fleet\'s errors (the byError index) are sharded the same way and read whole', async () => {
    const logs = new LogStore(cloud.clients.ddb, cloud.names.logsTable);
    commands.length = 0;
    const fleet = await logs.query({ minLevel: 40, since: T0 * 1000, until: (T0 + 60) * 1000, limit: 5_000 });
    expect(fleet.filter((r) => r.app === 'burst')).toHaveLength(1_601);
    // For the day and each level (error, critical): one Query per shard.
    expect(commands).toEqual(Array(2 * LOG_APP_SHARDS).fill('QueryCommand'));
    const perShard = await Promise.all(Array.from({ length: LOG_APP_SHARDS }, (_, s) => countBy(cloud.clients.ddb, cloud.names.logsTable, 'byError', 'errorPk', logErrorKey('2026-11-25', 40, s))));
    for (const n of perShard) expect(n).toBeGreaterThan(60);
  });

  it('a host\'s records are read from the byHost index as before', async () => {
    const logs = new LogStore(cloud.clients.ddb, cloud.names.logsTable);
    const mine = await logs.query({ host: 'h-7', minLevel: 40, since: T0 * 1000, until: (T0 + 60) * 1000, limit: 100 });
    expect(mine).toHaveLength(40);
  });
});

describe('sharded notifications by day', () => {
  const AT = T0 * 1000;
  const storm = Array.from({ length: 480 }, (_, i) => notification(`s-${i}`, 'host-down', 'critical', AT + i * 10, `s-${i} is down`));

  it('a storm\'s notifications spread over every shard of the byDay index', { timeout: 120_000 }, async () => {
    const store = new NotificationStore(cloud.clients.ddb, cloud.names.notificationsTable, 90);
    for (let i = 0; i < storm.length; i += 50) await Promise.all(storm.slice(i, i + 50).map((n) => store.record(n)));
    const perShard = await Promise.all(Array.from({ length: NOTIFICATION_DAY_SHARDS }, (_, s) => countBy(cloud.clients.ddb, cloud.names.notificationsTable, 'byDay', 'day', `2026-11-25#${s}`)));
    expect(perShard.reduce((t, n) => t + n, 0)).toBe(480);
    // 30 a shard on average.
    for (const n of perShard) expect(n).toBeGreaterThan(12);
    expect(Math.max(...perShard)).toBeLessThan(55);
  });

  it('byTime merges the shards and the unsharded day, newest first, and stops at the limit', async () => {
    const store = new NotificationStore(cloud.clients.ddb, cloud.names.notificationsTable, 90);
    const old = notification('legacy', 'host-down', 'critical', AT + 5, 'written before sharding');
    await cloud.clients.ddb.send(new PutCommand({
      TableName: cloud.names.notificationsTable,
      Item: { hostname: old.hostname, sk: notificationSortKey(old.at, old.id), day: '2026-11-25', id: old.id, kind: old.kind, severity: old.severity, at: old.at, message: old.message, details: {} },
    }));
    commands.length = 0;
    const newest = await store.byTime(AT, AT + 3_600_000, 3);
    expect(newest.map((n) => n.hostname)).toEqual(['s-479', 's-478', 's-477']);
    expect(commands).toEqual(Array(NOTIFICATION_DAY_SHARDS + 1).fill('QueryCommand'));
    const all = await store.byTime(AT, AT + 3_600_000, 10_000);
    expect(all).toHaveLength(481);
    expect(all.map((n) => n.at)).toEqual([...all.map((n) => n.at)].sort((a, b) => b - a));
    expect(all.some((n) => n.hostname === 'legacy')).toBe(true);
  });
});
