/**
 * #10 repro 8 at full size: sixteen LogBatch messages of 10,000 records each, sent together to
 * the logs queue of the local cloud (the template's own timeout, batch size, visibility timeout
 * and redrive). It measures how many invocations they took, how long each ran, whether any timed
 * out, how many records were stored and counted, and what reached the DLQ; and from the
 * invocations' durations, the cost of one record, which docs/SEMANTICS.md ("The batch
 * arithmetic") compares with the time budget.
 *
 *   npm run bench:bigbatch [-- --messages 16 --records 10000 --param ingestTimeout=30 ...]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { GetQueueAttributesCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { startLocalCloud } from '../tools/local/cloud';
import type { BatchOutcome } from '../tools/local/event-source-mapping';
import { clientsFor } from '../tools/local/provision';
import { dayOf } from '../lib/domain/model/days';
import { StatsStore } from '../lib/adapters/dynamodb/stats';
import { encodeBody } from '../lib/wire/codec';
import { TYPE_ATTRIBUTE } from '../lib/wire/attributes';
import { BENCH_DIR, header, isQuick, saveResult, table } from './support/report';
import { sig } from './support/stats';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const quick = isQuick();
const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const params: Record<string, string> = {};
process.argv.forEach((a, i) => {
  if (a !== '--param') return;
  const [k, ...v] = (process.argv[i + 1] ?? '').split('=');
  if (k) params[k] = v.join('=');
});
const faultsAt = process.argv.indexOf('--faults');
const FAULTS = faultsAt >= 0 ? process.argv[faultsAt + 1] : undefined;
const MESSAGES = arg('--messages', 16);
const RECORDS = arg('--records', quick ? 1_000 : 10_000);
const LIMIT_SECONDS = arg('--limit', 900);
const REGION = 'us-east-1';
const APP = 'bigbatch';

header(`#10 repro 8: ${MESSAGES} LogBatches of ${RECORDS.toLocaleString('en')} records at once, through the local cloud`);
const dataDir = await mkdtemp(path.join(tmpdir(), 'dts-bench-bigbatch-'));
const printed: string[] = [];
const cloud = await startLocalCloud({
  serviceDir: path.resolve(BENCH_DIR, '..'), stage: 'bench', region: REGION, port: 0, host: '127.0.0.1', dataDir, inMemory: true,
  cacheDir: process.env.DTS_LOCAL_CACHE_DIR ?? path.resolve(BENCH_DIR, '..', '.dts', 'cache'),
  // The mirror re-logs every record (as it does in Lambda); keep only what says how a batch went.
  params: { mirrorLogs: 'false', ...params },
  ...(FAULTS ? { faults: FAULTS } : {}),
  print: (line) => { if (/timed out|OutOfTime|failed/.test(line)) printed.push(line); },
});
try {
  const out = cloud.plan.outputs;
  const logsQueue = out.LogsQueueUrl as string;
  const logsDlq = out.LogsDLQUrl as string;
  const fn = cloud.plan.functions.find((f) => f.name.endsWith('-ingestLogs'));
  const mapping = cloud.mappings.find((m) => m.mapping.functionName === fn?.name);
  if (!fn || !mapping) throw new Error('no ingestLogs function or mapping in the template');
  const batches: Array<BatchOutcome & { at: number }> = [];
  const t0 = performance.now();
  mapping.onBatch = (o) => batches.push({ ...o, at: (performance.now() - t0) / 1000 });
  const clients = clientsFor(cloud.endpoint, REGION);
  const ddb = DynamoDBDocumentClient.from(clients.dynamodb);

  const now = Date.now() / 1000;
  const bodies = Array.from({ length: MESSAGES }, (_, b) => encodeBody('dts.LogBatch', {
    records: Array.from({ length: RECORDS }, (_, i) => ({ app: APP, hostname: `bb-${b}`, timestamp: now - i / 1000, level: 20, text: `r${i}`, id: `${b}-${i}` })),
  }));
  // One SendMessage each, all at once: a SendMessageBatch holds at most 1 MiB in all.
  await Promise.all(bodies.map((body) => clients.sqs.send(new SendMessageCommand({
    QueueUrl: logsQueue, MessageBody: body, MessageAttributes: { [TYPE_ATTRIBUTE]: { DataType: 'String', StringValue: 'dts.LogBatch' } },
  }))));
  const sent = (performance.now() - t0) / 1000;

  const stats = new StatsStore(ddb, out.StatsTableName as string);
  const days = [...new Set([dayOf(now * 1000), dayOf((now - RECORDS / 1000) * 1000)])].sort();
  const counted = async () => (await stats.counts(APP, days[0] as string, days.at(-1) as string)).reduce((n, d) => n + (d.counts[20] ?? 0), 0);
  const depth = async (url: string) => {
    const { Attributes } = await clients.sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }));
    return Number(Attributes?.ApproximateNumberOfMessages ?? 0) + Number(Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0);
  };
  // Done when the queue is empty (every message deleted or moved to the DLQ).
  while ((await depth(logsQueue)) > 0 && performance.now() - t0 < LIMIT_SECONDS * 1000) await new Promise((r) => setTimeout(r, 500));
  const seconds = (performance.now() - t0) / 1000;

  let stored = 0;
  let start: Record<string, unknown> | undefined;
  do {
    const page = await ddb.send(new ScanCommand({ TableName: out.LogsTableName as string, Select: 'COUNT', ExclusiveStartKey: start }));
    stored += page.Count ?? 0;
    start = page.LastEvaluatedKey;
  } while (start);
  const counts = await counted();
  const dead = await depth(logsDlq);
  const finished = batches.filter((b) => !b.error);
  const timedOut = batches.filter((b) => b.error?.includes('timed out')).length;
  const total = MESSAGES * RECORDS;
  // The cost of a record: the time of the invocations that answered, over the records they
  // stored. Every record is written once (a redelivered one is found stored and skipped).
  const busyMs = finished.reduce((t, b) => t + b.durationMs, 0);
  const perRecordUs = stored > 0 ? (busyMs * 1000) / stored : Number.NaN;

  console.log(table([
    ['invocation', 'at (s)', 'messages', 'deleted', 'sent back', 'duration (s)', 'error'],
    ...batches.map((b, i) => [i + 1, sig(b.at), b.received, b.deleted, b.failed, sig(b.durationMs / 1000), b.error ?? '']),
  ]));
  console.log(`\nfunction timeout ${fn.timeoutSeconds} s; sent in ${sig(sent)} s; queue empty after ${sig(seconds)} s`);
  console.log(`records: ${stored.toLocaleString('en')} of ${total.toLocaleString('en')} stored, ${counts.toLocaleString('en')} counted; ${dead} messages in the DLQ; ${timedOut} invocations timed out`);
  console.log(`per record: ${sig(perRecordUs)} µs of invocation time (decode, validate, BatchGetItem, BatchWriteItem, counters)`);
  if (printed.length) console.log(`\nthe function said (first 5 of ${printed.length}):\n${printed.slice(0, Number(process.env.DTS_BENCH_SAID ?? 5)).map((l) => l.slice(0, 300)).join('\n')}`);
  saveResult('bigbatch', `npm run bench:bigbatch${process.argv.slice(2).length ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`, quick, {
    messages: MESSAGES, recordsPerMessage: RECORDS, records: total, params, timeoutSeconds: fn.timeoutSeconds,
    batchSize: mapping.mapping.batchSize, visibilityTimeoutSeconds: mapping.queue.visibilityTimeout,
    seconds, stored, counted: counts, dlq: dead, timedOut, perRecordUs,
    invocations: batches.map((b) => ({ at: b.at, messages: b.received, deleted: b.deleted, sentBack: b.failed, durationMs: b.durationMs, ...(b.error ? { error: b.error } : {}) })),
  });
  if (stored !== total || counts !== total || dead > 0 || timedOut > 0) process.exitCode = 1;
} finally {
  await cloud.stop();
  await rm(dataDir, { recursive: true, force: true });
}
