/**
 * #10 on a real engine (dynalite, and DynamoDB Local with DTS_TEST_ENGINE=dynamodb-local): a
 * refusal by the table is a verdict on one record, never on its neighbours; keys cannot
 * collide; the time budget sends unfinished messages back; a reason always fits in the DLQ.
 */
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestLogMessages, type LogIngest } from '../../lib/app/ingest/logs';
import { silentLog } from '../../lib/app/log';
import { LogStore } from '../../lib/adapters/dynamodb/logs';
import { ERROR_ATTRIBUTE, MAX_MESSAGE_BYTES, Quarantine } from '../../lib/adapters/sqs/quarantine';
import { StatsStore } from '../../lib/adapters/dynamodb/stats';
import { dayOf } from '../../lib/domain/model/days';
import { decodeBody, encodeBody } from '../../lib/wire/codec';
import { startTestCloud, type TestCloud } from '../../tools/harness/cloud';
import { lambdaContext, sqsEvent, sqsRecord } from '../support/events';
import { drain, hostItem } from '../support/then';
import { OutOfTimeError } from '../../lib/ports';

let cloud: TestCloud;
let handler: (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;
let beats: (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;
let logs: LogStore;
let stats: StatsStore;

beforeAll(async () => {
  cloud = await startTestCloud();
  Object.assign(process.env, cloud.env, { DTS_MIRROR_LOGS: 'false' });
  ({ handler } = await import('../../functions/ingest-logs'));
  ({ handler: beats } = await import('../../functions/ingest-heartbeats'));
  logs = new LogStore(cloud.clients.ddb, cloud.names.logsTable);
  stats = new StatsStore(cloud.clients.ddb, cloud.names.statsTable);
});
afterAll(async () => cloud?.stop());

const NOW = Date.now();
const T0 = Math.floor(NOW / 1000) - 600;
const deps = (over: Partial<LogIngest> = {}): LogIngest => ({
  logs, stats, quarantine: new Quarantine(cloud.clients.sqs, cloud.names.logsDlqUrl),
  limits: { maxFutureSeconds: 86_400, textMaxBytes: 32_768 }, ttlDays: 14, mirror: undefined, log: silentLog, now: Date.now, ...over,
});
interface R { app?: string; hostname?: string; timestamp?: number; level?: number; text?: string; id?: string }
const record = (r: R) => ({ app: 'api', hostname: 'web-1', timestamp: T0, level: 20, text: 'hello', ...r });
const batch = (records: R[]) => encodeBody('dts.LogBatch', { records: records.map(record) });
const asBatch = { type: 'dts.LogBatch' };
const query = (app: string) => logs.query({ app, minLevel: 10, since: (T0 - 3600) * 1000, until: NOW + 1000, limit: 5000 });
const reasonOf = (m: { MessageAttributes?: Record<string, { StringValue?: string }> }) => m.MessageAttributes?.[ERROR_ATTRIBUTE]?.StringValue;

describe('a record the table refuses', () => {
  it('is quarantined alone with the table’s reason; its chunk, its message and the other messages are stored', async () => {
    // Validation lets 500 KB of text through here; DynamoDB refuses an item over 400 KB.
    const big = 'x'.repeat(410 * 1024);
    const mixed = batch(Array.from({ length: 30 }, (_, i) => ({ app: 'refused', id: `r${i}`, text: i === 7 ? big : `t${i}` })));
    const other = JSON.stringify(record({ app: 'refused', id: 'other' }));

    const outcome = await ingestLogMessages(deps({ limits: { maxFutureSeconds: 86_400, textMaxBytes: 500_000 } }), [
      sqsRecord(mixed, { ...asBatch, messageId: 'with-poison' }), sqsRecord(other, { messageId: 'neighbour' }),
    ]);

    expect(outcome.failures.size).toBe(0);
    expect(outcome).toMatchObject({ stored: 30, refused: 1 });
    expect((await query('refused')).map((r) => r.id).sort()).toEqual([...Array.from({ length: 30 }, (_, i) => `r${i}`).filter((id) => id !== 'r7'), 'other'].sort());
    const dlq = (await drain(cloud, cloud.names.logsDlqUrl)).filter((m) => reasonOf(m)?.includes('with-poison'));
    expect(dlq).toHaveLength(1);
    expect(reasonOf(dlq[0] as never)).toMatch(/^records\[id=r7\]: 1 record refused by the table: ValidationException: /);
    const body = decodeBody('dts.LogBatch', dlq[0]?.Body ?? '');
    expect(body.ok && body.value.records.map((r) => [r.id, r.text?.length])).toEqual([['r7', big.length]]);
    const today = dayOf(T0 * 1000);
    expect((await stats.counts('refused', today, today))[0]?.counts[20]).toBe(30);
  });
});

describe('repro 6: log sort keys', () => {
  it('stores host "hx#a" with id "b" and host "hx" with id "a#b" as two records', async () => {
    const body = batch([{ app: 'collide', hostname: 'hx#a', id: 'b', text: 'first' }, { app: 'collide', hostname: 'hx', id: 'a#b', text: 'second' }]);
    const result = await handler(sqsEvent([sqsRecord(body, asBatch)]), lambdaContext('ingestLogs'));
    expect(result.batchItemFailures).toEqual([]);
    expect((await query('collide')).map((r) => [r.hostname, r.id, r.text]).sort()).toEqual([['hx#a', 'b', 'first'], ['hx', 'a#b', 'second']]);
  });

  it('keeps the key of a host without # or % as it was, so stored records keep their keys', async () => {
    await handler(sqsEvent([sqsRecord(batch([{ app: 'oldkey', hostname: 'web-9', id: 'k1' }, { app: 'oldkey', hostname: 'a%23b', id: 'k2' }]), asBatch)]), lambdaContext('ingestLogs'));
    const stored = await query('oldkey');
    expect(stored.find((r) => r.id === 'k1')?.cursor).toMatch(/^\d{17}#web-9#k1$/);
    expect(stored.find((r) => r.id === 'k2')?.cursor).toMatch(/^\d{17}#a%2523b#k2$/);
  });
});

describe('repro 8: the time budget', () => {
  // The records go in units of 100 (one BatchGetItem, then their writes); the budget is asked
  // before the invocation starts a group, before each message is decoded, and before each unit.
  it('reports the messages it could not finish before the budget ran out; the rest are stored and counted', async () => {
    const messages = Array.from({ length: 4 }, (_, m) =>
      sqsRecord(batch(Array.from({ length: 100 }, (_, i) => ({ app: 'budget', id: `m${m}-${i}`, hostname: `h${m}` }))), { ...asBatch, messageId: `budget-${m}` }));
    // A fake clock: plenty of time for the reserve, the group, the four messages and the first
    // two units (one message each), then none.
    let asked = 0;
    const context = { ...lambdaContext('ingestLogs'), getRemainingTimeInMillis: () => (++asked <= 8 ? 60_000 : 1_000) };

    const result = await handler(sqsEvent(messages), context);

    expect(result.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual(['budget-2', 'budget-3']);
    const stored = await query('budget');
    expect(stored.map((r) => r.hostname).sort()).toEqual([...Array(100).fill('h0'), ...Array(100).fill('h1')]);
    const today = dayOf(T0 * 1000);
    // What was stored is counted, and only that.
    expect((await stats.counts('budget', today, today))[0]?.counts[20]).toBe(200);
    expect((await drain(cloud, cloud.names.logsDlqUrl)).filter((m) => reasonOf(m)?.includes('budget-'))).toEqual([]);

    // All four come back (a timed-out invocation would send them all) with time to spare:
    // everything is stored, and nothing is counted twice.
    const again = await handler(sqsEvent(messages.map((m) => ({ ...m, attributes: { ...m.attributes, ApproximateReceiveCount: '2' } }))), lambdaContext('ingestLogs'));
    expect(again.batchItemFailures).toEqual([]);
    expect(await query('budget')).toHaveLength(400);
    expect((await stats.counts('budget', today, today))[0]?.counts[20]).toBe(400);
  });

  it('writes the messages deferred before first, so none is deferred until SQS gives up on it', async () => {
    const fresh = sqsRecord(batch(Array.from({ length: 100 }, (_, i) => ({ app: 'order', id: `f${i}` }))), { ...asBatch, messageId: 'fresh' });
    const deferred = sqsRecord(batch(Array.from({ length: 100 }, (_, i) => ({ app: 'order', id: `d${i}` }))), { ...asBatch, messageId: 'deferred', receiveCount: 4 });
    let asked = 0;
    // Time for the reserve, the group, both messages and one unit.
    const outcome = await ingestLogMessages(deps(), [fresh, deferred], { remainingMs: () => (++asked <= 5 ? 60_000 : 0), reserveMs: 5_000 });
    expect([...outcome.failures.keys()]).toEqual(['fresh']);
    expect((await query('order')).map((r) => r.id).sort()).toEqual(Array.from({ length: 100 }, (_, i) => `d${i}`).sort());
  });

  it('decodes no message once the budget has run out: a batch too big to read in time is sent back, not timed out', async () => {
    const messages = Array.from({ length: 3 }, (_, m) => sqsRecord(batch(Array.from({ length: 600 }, (_, i) => ({ app: 'unread', id: `u${m}-${i}` }))), { ...asBatch, messageId: `unread-${m}` }));
    let asked = 0;
    // Time for the reserve, the group and the first message; none when the second would be read.
    const outcome = await ingestLogMessages(deps(), messages, { remainingMs: () => (++asked <= 3 ? 60_000 : 0), reserveMs: 5_000 });
    // The first was read but not written: no unit could start.
    expect([...outcome.failures.keys()].sort()).toEqual(['unread-0', 'unread-1', 'unread-2']);
    expect(outcome.failures.get('unread-2')).toBeInstanceOf(OutOfTimeError);
    expect(outcome.batchGetCalls + outcome.batchWriteCalls).toBe(0);
  });

  it('quarantines a message still out of time on its last receive, with the reason, where SQS would redrive it with none', async () => {
    const last = sqsRecord(batch(Array.from({ length: 300 }, (_, i) => ({ app: 'lastchance', id: `c${i}` }))), { ...asBatch, messageId: 'last-chance', receiveCount: 5 });
    const earlier = sqsRecord(batch([{ app: 'lastchance', id: 'e1' }]), { ...asBatch, messageId: 'earlier', receiveCount: 4 });
    let asked = 0;
    // Time for the reserve, the group and the first message (the most received); none after.
    const outcome = await ingestLogMessages(deps({ maxReceiveCount: 5 }), [earlier, last], { remainingMs: () => (++asked <= 3 ? 60_000 : 0), reserveMs: 5_000 });
    // Below its limit, `earlier` comes back as before; `last-chance` is in the DLQ now, saying why.
    expect([...outcome.failures.keys()]).toEqual(['earlier']);
    expect(outcome.failures.get('earlier')).toBeInstanceOf(OutOfTimeError);
    const dlq = (await drain(cloud, cloud.names.logsDlqUrl)).filter((m) => reasonOf(m)?.includes('last-chance'));
    expect(dlq.map(reasonOf)).toEqual([expect.stringMatching(/^message: not finished in 5 receives: the time budget ran out each time/)]);
    const body = decodeBody('dts.LogBatch', dlq[0]?.Body ?? '');
    expect(body.ok && body.value.records.length).toBe(300);
  });

  it('names the lack of time as the failure, a transient one', async () => {
    let asked = 0;
    const outcome = await ingestLogMessages(deps(), [sqsRecord(batch([{ app: 'late', id: 'l1' }]), { ...asBatch, messageId: 'late' })], {
      remainingMs: () => (++asked <= 1 ? 30_000 : 4_000), reserveMs: 5_000,
    });
    expect(outcome.failures.get('late')).toBeInstanceOf(OutOfTimeError);
  });
});

describe('repro 10: counters count what is stored', () => {
  it('counts a record once when it arrives in two different bodies, and a redelivery not at all', async () => {
    const shared = { app: 'counted', id: 'same-record', level: 40 };
    const first = sqsRecord(batch([shared, { app: 'counted', id: 'only-in-first', level: 40 }]), { ...asBatch, messageId: 'first' });
    const second = sqsRecord(batch([{ app: 'counted', id: 'only-in-second', level: 40 }, shared]), { ...asBatch, messageId: 'second' });

    await handler(sqsEvent([first]), lambdaContext('ingestLogs'));
    await handler(sqsEvent([second, first]), lambdaContext('ingestLogs'));
    // And both in one invocation, sharing their writes.
    const third = sqsRecord(batch([{ app: 'counted', id: 'in-third', level: 40 }, shared]), { ...asBatch, messageId: 'third' });
    const fourth = sqsRecord(batch([shared, { app: 'counted', id: 'in-third', level: 40 }]), { ...asBatch, messageId: 'fourth' });
    await handler(sqsEvent([third, fourth]), lambdaContext('ingestLogs'));

    expect((await query('counted')).map((r) => r.id).sort()).toEqual(['in-third', 'only-in-first', 'only-in-second', 'same-record']);
    const today = dayOf(T0 * 1000);
    expect((await stats.counts('counted', today, today))[0]?.counts[40]).toBe(4);
  });
});

describe('repro 9: a poison body at the size limit', () => {
  it('reaches the DLQ with its reason cut to fit, from 150 B under 1 MiB down to the last byte', async () => {
    for (const spare of [150, 40, 0]) {
      // The original message: its body, and its dts-type attribute, exactly at SQS's limit less `spare`.
      const typeAttr = 'dts-type'.length + 'String'.length + 'dts.LogBatch'.length;
      const body = `garbage ${spare} `.padEnd(MAX_MESSAGE_BYTES - typeAttr - spare, '!');
      await cloud.clients.sqs.send(new SendMessageCommand({
        QueueUrl: cloud.names.logsQueueUrl, MessageBody: body, MessageAttributes: { 'dts-type': { DataType: 'String', StringValue: 'dts.LogBatch' } },
      }));
      const result = await handler(sqsEvent([sqsRecord(body, { ...asBatch, messageId: `huge-${spare}` })]), lambdaContext('ingestLogs'));
      expect(result.batchItemFailures).toEqual([]);
      const dlq = (await drain(cloud, cloud.names.logsDlqUrl)).filter((m) => m.Body === body);
      expect(dlq, `the ${spare} B-spare body is in the DLQ`).toHaveLength(1);
      const reason = reasonOf(dlq[0] as never);
      if (spare >= 40) expect(reason).toMatch(/^body: neither base64/);
      // With no byte to spare, the reason is only in the function's log.
      expect(Buffer.byteLength(reason ?? '')).toBeLessThanOrEqual(spare);
    }
    await drain(cloud, cloud.names.logsQueueUrl);
  });
});

describe('a relay\'s HeartbeatBatch', () => {
  // cpu 90 extends the cpu streak: an ADD, which a stored streak of the wrong type refuses.
  const beat = (hostname: string) => ({ hostname, timestamp: NOW / 1000, interval: 60, cpu: { percent: 90 } });

  it('sends an empty batch to the DLQ with a reason, never acknowledges it silently', async () => {
    const result = await beats(sqsEvent([sqsRecord(encodeBody('dts.HeartbeatBatch', { beats: [], relay: 'r-empty' }), { type: 'dts.HeartbeatBatch', messageId: 'empty-relay' })]), lambdaContext('ingestHeartbeats'));
    expect(result.batchItemFailures).toEqual([]);
    const dlq = (await drain(cloud, cloud.names.heartbeatsDlqUrl)).filter((m) => reasonOf(m)?.includes('empty-relay'));
    expect(dlq.map(reasonOf)).toEqual([expect.stringMatching(/^beats: a HeartbeatBatch with no beats/)]);
  });

  it('quarantines the one beat the table refuses, with the refusal, and stores its neighbours', async () => {
    await cloud.clients.ddb.send(new PutCommand({ TableName: cloud.names.hostsTable, Item: { hostname: 'relay-broken', cpuStreak: 'not-a-number', lastBeat: 1 } }));
    const body = encodeBody('dts.HeartbeatBatch', { relay: 'r1', beats: ['relay-ok-1', 'relay-broken', 'relay-ok-2'].map((h) => ({ beat: beat(h) })) });

    const result = await beats(sqsEvent([sqsRecord(body, { type: 'dts.HeartbeatBatch', messageId: 'relay-1', sentAt: NOW })]), lambdaContext('ingestHeartbeats'));

    expect(result.batchItemFailures).toEqual([]);
    expect(await hostItem(cloud, 'relay-ok-1')).toMatchObject({ lastBeat: NOW });
    expect(await hostItem(cloud, 'relay-ok-2')).toMatchObject({ lastBeat: NOW });
    const dlq = (await drain(cloud, cloud.names.heartbeatsDlqUrl)).filter((m) => reasonOf(m)?.includes('relay-1#1'));
    expect(dlq.map(reasonOf)).toEqual([expect.stringMatching(/^beats\[1\]\.store: refused: ValidationException: /)]);
  });
});
