import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestLogMessage, ingestLogMessages, type LogIngest } from '../../lib/app/ingest/logs';
import { silentLog } from '../../lib/app/log';
import { batchPutEach } from '../../lib/adapters/dynamodb/batch-write';
import { LogStore } from '../../lib/adapters/dynamodb/logs';
import { StatsStore } from '../../lib/adapters/dynamodb/stats';
import { dayOf } from '../../lib/domain/model/days';
import { decodeBody, encodeBody } from '../../lib/wire/codec';
import { startTestCloud, type TestCloud } from '../../tools/harness/cloud';
import { lambdaContext, sqsEvent, sqsRecord } from '../support/events';
import { allItems, drain } from '../support/then';

let cloud: TestCloud;
let handler: (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;
let logs: LogStore;
let stats: StatsStore;
const ctx = () => lambdaContext('ingestLogs');

beforeAll(async () => {
  cloud = await startTestCloud();
  Object.assign(process.env, cloud.env, { DTS_MIRROR_LOGS: 'false' });
  ({ handler } = await import('../../functions/ingest-logs'));
  logs = new LogStore(cloud.clients.ddb, cloud.names.logsTable);
  stats = new StatsStore(cloud.clients.ddb, cloud.names.statsTable);
});
afterAll(async () => cloud?.stop());

const NOW = Date.now();
/** The service itself, without a DLQ: for what the handler's response does not show. */
const deps = (): LogIngest => ({
  logs, stats, quarantine: undefined, limits: { maxFutureSeconds: 86_400, textMaxBytes: 32_768 },
  ttlDays: 14, mirror: undefined, log: silentLog, now: Date.now,
});
const T0 = Math.floor(NOW / 1000) - 600; // ten minutes ago, in seconds

interface R { app?: string; hostname?: string; timestamp?: number; level?: number; text?: string; id?: string; fields?: Record<string, string> }
const record = (r: R) => ({ app: 'api', hostname: 'web-1', timestamp: T0, level: 20, text: 'hello', ...r });
const batchBody = (records: R[]) => encodeBody('dts.LogBatch', { records: records.map(record) });
const asBatch = { type: 'dts.LogBatch' };
const query = (q: Partial<Parameters<LogStore['query']>[0]>) =>
  logs.query({ minLevel: 10, since: (T0 - 3600) * 1000, until: NOW + 1000, limit: 1000, ...q });

describe('ingest logs', () => {
  it('stores every record of a batch, readable newest first by app and by host', async () => {
    const records = Array.from({ length: 60 }, (_, i) => ({ app: 'shop', hostname: i % 2 ? 'a-1' : 'a-2', timestamp: T0 + i + 0.000123, text: `line ${i}`, id: `r${i}` }));

    const result = await handler(sqsEvent([sqsRecord(batchBody(records), asBatch)]), ctx());

    expect(result.batchItemFailures).toEqual([]);
    const byApp = await query({ app: 'shop' });
    expect(byApp.map((r) => r.text)).toEqual(records.map((r) => r.text).reverse());
    expect(byApp[0]).toMatchObject({ app: 'shop', hostname: 'a-1', timestamp: T0 + 59.000123, level: 20, id: 'r59' });
    const byHost = await query({ host: 'a-1' });
    expect(byHost).toHaveLength(30);
    expect(byHost.every((r) => r.hostname === 'a-1')).toBe(true);
  });

  it('filters by minimum level and time range, and honours the limit', async () => {
    const records = [10, 20, 30, 40, 50, 25, 99].map((level, i) => ({ app: 'levels', timestamp: T0 + i, level, text: `l${level}`, id: `lv${i}` }));
    await handler(sqsEvent([sqsRecord(batchBody(records), asBatch)]), ctx());

    expect((await query({ app: 'levels', minLevel: 30 })).map((r) => r.level)).toEqual([50, 30, 50, 40, 30]);
    expect((await query({ app: 'levels', minLevel: 30, limit: 2 })).map((r) => r.text)).toEqual(['l99', 'l25']);
    expect((await query({ app: 'levels', since: (T0 + 2) * 1000, until: (T0 + 4) * 1000 })).map((r) => r.text)).toEqual(['l40', 'l30']);
  });

  it('writes a redelivered message once, and counts it once', async () => {
    const message = sqsRecord(batchBody([{ app: 'twice', text: 'a', id: 'x1' }, { app: 'twice', text: 'b', level: 40, id: 'x2' }]), { ...asBatch, messageId: 'dup' });

    await handler(sqsEvent([message]), ctx());
    await handler(sqsEvent([message]), ctx());

    expect(await query({ app: 'twice' })).toHaveLength(2);
    expect(await stats.counts('twice', dayOf(T0 * 1000), dayOf(T0 * 1000))).toEqual([
      { app: 'twice', day: dayOf(T0 * 1000), counts: { 10: 0, 20: 1, 30: 0, 40: 1, 50: 0 } },
    ]);
  });

  it('gives records without an id a content id, so a resend of the same record is one row', async () => {
    const body = JSON.stringify(record({ app: 'noid', text: 'same' }));
    await handler(sqsEvent([sqsRecord(body), sqsRecord(body)]), ctx());

    expect(await query({ app: 'noid' })).toHaveLength(1);
  });

  it('counts per app, day and level across the messages of a batch', async () => {
    const a = batchBody([{ app: 'c1', level: 40, id: '1' }, { app: 'c1', level: 40, id: '2' }, { app: 'c2', level: 50, id: '3' }]);
    const b = batchBody([{ app: 'c1', level: 20, id: '4' }, { app: 'c1', level: 40, id: '5', timestamp: T0 - 86_400 }]);

    await handler(sqsEvent([sqsRecord(a, asBatch), sqsRecord(b, asBatch)]), ctx());

    const today = dayOf(T0 * 1000);
    const yesterday = dayOf((T0 - 86_400) * 1000);
    expect((await stats.counts('c1', yesterday, today)).map((c) => [c.day, c.counts[20], c.counts[40]])).toEqual([[yesterday, 0, 1], [today, 1, 2]]);
    expect((await stats.counts('c2', today, today))[0]?.counts[50]).toBe(1);
  });

  it('stores nine messages of ten and quarantines the poison one with its reason', async () => {
    const records = Array.from({ length: 10 }, (_, i) =>
      i === 7 ? sqsRecord('garbage: not base64!', { messageId: 'poison-log' }) : sqsRecord(JSON.stringify(record({ app: 'ten', id: `t${i}`, text: `m${i}` }))));

    const result = await handler(sqsEvent(records), ctx());

    expect(result.batchItemFailures).toEqual([]);
    expect(await query({ app: 'ten' })).toHaveLength(9);
    const dlq = await drain(cloud, cloud.names.logsDlqUrl);
    expect(dlq.find((m) => m.Body === 'garbage: not base64!')?.MessageAttributes?.['dts-error']?.StringValue).toMatch(/poison-log/);
  });

  it('keeps the good records of a batch and quarantines only the bad ones, as a batch', async () => {
    const body = batchBody([
      { app: 'mixed', id: 'ok1' },
      { app: 'mixed', id: 'nan', timestamp: Number.NaN },
      { app: 'mixed', id: 'future', timestamp: NOW / 1000 + 3 * 86_400 },
      { app: 'mixed', id: 'ok2', text: 'x'.repeat(40_000) },
      { app: '', id: 'noapp' },
    ]);

    const result = await handler(sqsEvent([sqsRecord(body, { ...asBatch, messageId: 'mixed-1' })]), ctx());

    expect(result.batchItemFailures).toEqual([]);
    const stored = await query({ app: 'mixed' });
    expect(stored.map((r) => r.id).sort()).toEqual(['ok1', 'ok2']);
    const long = stored.find((r) => r.id === 'ok2');
    expect(Buffer.byteLength(long?.text ?? '')).toBeLessThan(33_000);
    expect(long?.text).toMatch(/…\[truncated 7232 bytes\]$/);

    const dlq = await drain(cloud, cloud.names.logsDlqUrl);
    const rejected = dlq.find((m) => m.MessageAttributes?.['dts-error']?.StringValue?.includes('mixed-1'));
    expect(rejected?.MessageAttributes?.['dts-error']?.StringValue).toMatch(/3 of 5 records rejected: records\[1\]\.timestamp: not a finite number/);
    const decoded = decodeBody('dts.LogBatch', rejected?.Body ?? '');
    expect(decoded.ok && decoded.value.records.map((r) => r.id)).toEqual(['nan', 'future', 'noapp']);
  });

  it('stores the one-record messages of an invocation in shared BatchWriteItem calls', async () => {
    const messages = Array.from({ length: 60 }, (_, i) =>
      sqsRecord(JSON.stringify(record({ app: 'quiet', hostname: `q${i}`, id: `q${i}`, level: i % 2 ? 40 : 20 }))));

    const outcome = await ingestLogMessages(deps(), messages);

    expect(outcome).toMatchObject({ stored: 60, rejected: 0, batchWriteCalls: 3, counted: 60 });
    expect(outcome.failures.size).toBe(0);
    expect(await query({ app: 'quiet' })).toHaveLength(60);
    expect((await stats.counts('quiet', dayOf(T0 * 1000), dayOf(T0 * 1000)))[0]?.counts).toMatchObject({ 20: 30, 40: 30 });
  });

  it('counts none of a redelivered invocation again, and stores nothing twice', async () => {
    const messages = Array.from({ length: 5 }, (_, i) => sqsRecord(JSON.stringify(record({ app: 'again', id: `a${i}` }))));
    await ingestLogMessages(deps(), messages);

    const second = await ingestLogMessages(deps(), [...messages, sqsRecord(JSON.stringify(record({ app: 'again', id: 'a5' })))]);

    expect(second).toMatchObject({ stored: 6, counted: 1 });
    expect(await query({ app: 'again' })).toHaveLength(6);
    expect((await stats.counts('again', dayOf(T0 * 1000), dayOf(T0 * 1000)))[0]?.counts[20]).toBe(6);
  });

  it('writes large batches in BatchWriteItem calls of 25', async () => {
    const records = Array.from({ length: 1000 }, (_, i) => ({ app: 'bulk', hostname: `h${i % 7}`, timestamp: T0 + i / 1000, id: `b${i}`, text: `bulk ${i}` }));

    const outcome = await ingestLogMessage(deps(), sqsRecord(batchBody(records), asBatch));

    expect(outcome).toEqual({ stored: 1000, rejected: 0, batchWriteCalls: 40, batchGetCalls: 10, counted: 1000 });
    expect(await query({ app: 'bulk', limit: 5000 })).toHaveLength(1000);
    const items = (await allItems(cloud, cloud.names.logsTable)).filter((i) => i.app === 'bulk');
    expect(items).toHaveLength(1000);
    expect(items.every((i) => typeof i.expiresAt === 'number' && (i.expiresAt as number) > NOW / 1000 + 13 * 86_400)).toBe(true);
  });
});

describe('keys at their limits', () => {
  it('stores a record whose host and id are as long in bytes as validation allows', async () => {
    // The sort key holds both: DynamoDB refuses a sort key over 1,024 bytes, and one refusal
    // would fail every message in the same BatchWriteItem.
    const hostname = 'é'.repeat(127);
    const id = '€'.repeat(42);
    const result = await handler(sqsEvent([sqsRecord(JSON.stringify(record({ app: 'long-keys', hostname, id })))]), ctx());

    expect(result.batchItemFailures).toEqual([]);
    expect((await query({ host: hostname })).map((r) => r.id)).toEqual([id]);
  });
});

describe('shared BatchWriteItem calls', () => {
  it('a chunk the table refuses is split until the refused item stands alone: only it fails, as poison', async () => {
    const items = Array.from({ length: 60 }, (_, i) => ({ pk: 'A#chunks#x#20', sk: `k${String(i).padStart(3, '0')}`, text: 'ok' }));
    // Item 30 is over DynamoDB's 400 KB item limit: its whole call (items 25–49) is refused.
    items[30] = { ...items[30], text: 'x'.repeat(410 * 1024) } as (typeof items)[number];

    const { calls, failed } = await batchPutEach(cloud.clients.ddb, cloud.names.logsTable, items, { attempts: 2, baseDelayMs: 1, maxDelayMs: 1 });

    // 3 chunks, then halving 25 → 13 → 7 → 4 → 2 → 1: two calls per step.
    expect(calls).toBe(13);
    expect(failed.map((f) => [f.indexes, f.poison, (f.error as Error).name])).toEqual([[[30], true, 'ValidationException']]);
    const stored = (await allItems(cloud, cloud.names.logsTable)).filter((i) => i.pk === 'A#chunks#x#20').map((i) => i.sk).sort();
    expect(stored).toEqual(items.filter((_, i) => i !== 30).map((i) => i.sk));
  });
});
