/**
 * Write sharding of the hot partitions, under a burst at 10× what one partition key takes.
 * DynamoDB serves at most 1,000 write units a second per partition key, and the emulators do
 * not throttle at all, so what this measures is where a burst lands: how many items each
 * partition key receives from one second of writes, before sharding (all on one key) and after
 * (spread by a suffix computed from the record), counted in the table after the writes. It also
 * times the writes on the embedded engine and counts the Queries a read now makes.
 *
 *   npm run bench:burst [-- --records 10000 --notifications 10000]
 */
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { performance } from 'node:perf_hooks';
import type { LogRecord } from '../lib/domain/model';
import { notification } from '../lib/domain/notification/notifications';
import { LOG_APP_SHARDS, logAppKey, NOTIFICATION_DAY_SHARDS } from '../lib/adapters/dynamodb/keys';
import { LogStore } from '../lib/adapters/dynamodb/logs';
import { NotificationStore } from '../lib/adapters/dynamodb/notifications';
import { startTestCloud } from '../tools/harness/cloud';
import { hostnameOf, text } from './support/fixtures';
import { header, isQuick, saveResult, table } from './support/report';
import { sig } from './support/stats';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const quick = isQuick();
const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
/** One partition key takes 1,000 write units a second; a 1 KB item is one unit. */
const KEY_LIMIT = 1_000;
const RECORDS = arg('--records', 10_000);
const NOTIFICATIONS = arg('--notifications', 10_000);
const DAY = '2026-11-25';
const T0 = Date.UTC(2026, 10, 25, 9, 0, 0);

header('Write sharding under a burst (embedded dynalite, in process)');
const cloud = await startTestCloud();
const ddb = cloud.clients.ddb;
const count = async (index: string | undefined, attribute: string, value: string): Promise<number> => {
  let n = 0;
  let start: Record<string, unknown> | undefined;
  do {
    const page = await ddb.send(new QueryCommand({
      TableName: index ? cloud.names.notificationsTable : cloud.names.logsTable, ...(index ? { IndexName: index } : {}),
      KeyConditionExpression: '#k = :v', ExpressionAttributeNames: { '#k': attribute }, ExpressionAttributeValues: { ':v': value }, Select: 'COUNT', ExclusiveStartKey: start,
    }));
    n += page.Count ?? 0;
    start = page.LastEvaluatedKey;
  } while (start);
  return n;
};
const spread = (perKey: number[]) => ({ keys: perKey.filter((n) => n > 0).length, min: Math.min(...perKey), mean: perKey.reduce((t, n) => t + n, 0) / perKey.length, max: Math.max(...perKey) });

try {
  // One second of one app's ERROR records, from 1,000 hosts, 200 B of text each (one write unit).
  const records: LogRecord[] = Array.from({ length: RECORDS }, (_, i) => ({
    app: 'checkout', hostname: hostnameOf(i % 1000), timestamp: T0 / 1000 + i / RECORDS, level: 40, text: text(200, i), fields: {}, id: `burst-${i}`,
  }));
  const logs = new LogStore(ddb, cloud.names.logsTable);
  let t = performance.now();
  const written = await logs.write(records.map((record, i) => ({ record, receivedAt: T0 + 1000, owner: `m${Math.floor(i / 500)}` })), 14);
  const logSeconds = (performance.now() - t) / 1000;
  if (written.failed.size || written.refused.length) throw new Error('the burst was not stored whole');
  const logPerKey = await Promise.all(Array.from({ length: LOG_APP_SHARDS }, (_, s) => count(undefined, 'pk', logAppKey('checkout', DAY, 40, s))));
  const logSpread = spread(logPerKey);

  t = performance.now();
  const page = await logs.query({ app: 'checkout', minLevel: 40, since: T0, until: T0 + 2000, limit: 100 });
  const readMs = performance.now() - t;

  // A storm: one pass declares NOTIFICATIONS hosts down within a second.
  const store = new NotificationStore(ddb, cloud.names.notificationsTable, 90);
  const storm = Array.from({ length: NOTIFICATIONS }, (_, i) => notification(hostnameOf(i), 'host-down', 'critical', T0 + Math.floor((i * 1000) / NOTIFICATIONS), `${hostnameOf(i)} is down`));
  t = performance.now();
  for (let i = 0; i < storm.length; i += 100) await Promise.all(storm.slice(i, i + 100).map((n) => store.record(n)));
  const notificationSeconds = (performance.now() - t) / 1000;
  const dayPerKey = await Promise.all(Array.from({ length: NOTIFICATION_DAY_SHARDS }, (_, s) => count('byDay', 'day', `${DAY}#${s}`)));
  const daySpread = spread(dayPerKey);

  const rows = [
    ['partition', 'burst in 1 s', 'keys before', 'max items/key before', 'keys now', 'items per key now (min / mean / max)', 'max vs 1,000/s'],
    ['logs A#app#day#level', RECORDS, 1, RECORDS, logSpread.keys, `${logSpread.min} / ${sig(logSpread.mean)} / ${logSpread.max}`, `${sig(logSpread.max / KEY_LIMIT)}×`],
    ['notifications byDay', NOTIFICATIONS, 1, NOTIFICATIONS, daySpread.keys, `${daySpread.min} / ${sig(daySpread.mean)} / ${daySpread.max}`, `${sig(daySpread.max / KEY_LIMIT)}×`],
  ];
  console.log(table(rows));
  console.log(`\nwrites on dynalite: ${RECORDS} log records in ${sig(logSeconds)} s (${sig(RECORDS / logSeconds)}/s, ${written.calls} BatchWriteItem calls); ${NOTIFICATIONS} notifications in ${sig(notificationSeconds)} s`);
  console.log(`read: the newest 100 ERROR+ records of the app: ${2 * (LOG_APP_SHARDS + 1)} Queries in parallel, ${sig(readMs)} ms, ${page.length} records`);
  saveResult('burst', `npm run bench:burst${quick ? ' -- --quick' : ''}`, quick, {
    keyLimitPerSecond: KEY_LIMIT, logShards: LOG_APP_SHARDS, notificationShards: NOTIFICATION_DAY_SHARDS,
    logs: { records: RECORDS, perKey: logPerKey, ...logSpread, seconds: logSeconds, batchWriteCalls: written.calls },
    notifications: { count: NOTIFICATIONS, perKey: dayPerKey, ...daySpread, seconds: notificationSeconds },
    read: { queries: 2 * (LOG_APP_SHARDS + 1), ms: readMs, records: page.length },
  });
} finally {
  await cloud.stop();
}
