/**
 * The cost of the local cloud's queue journal (tools/local/queue-journal.ts): SendMessageBatch
 * throughput and latency through the edge, with the journal (every acknowledged send fsync'd,
 * group commit) and without it (in memory, what `--in-memory` does), side by side, for 1 and 8
 * concurrent producers. Each call carries 10 messages of ~200 bytes. Then a receive-and-delete
 * pass drains the queue, timing the consumer side too.
 *
 *   npm run bench:journal [-- --quick]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CreateQueueCommand, DeleteMessageBatchCommand, ReceiveMessageCommand, SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { startEdge } from '../tools/local/engines/edge';
import { DurableQueues } from '../tools/local/queue-snapshot';
import type { QueuePlan } from '../tools/local/template/plan';
import { header, isQuick, saveResult, table } from './support/report';
import { sig, summarize } from './support/stats';

const quick = isQuick();
const CALLS = quick ? 300 : 1_500;
const BODY = 'x'.repeat(200);
const REGION = 'us-east-1';

interface Run { mode: string; producers: number; messagesPerSecond: number; p50Ms: number; p99Ms: number; drainPerSecond: number; journalEntries: number }

async function run(mode: 'journal' | 'in-memory', producers: number): Promise<Run> {
  const dir = mkdtempSync(path.join(tmpdir(), 'dts-bench-journal-'));
  const queues = mode === 'journal' ? new DurableQueues(dir) : undefined;
  const edge = await startEdge({ port: 0, host: '127.0.0.1', region: REGION, dynamoDbPath: undefined, ...(queues ? { queueLog: queues } : {}) });
  const sqs = new SQSClient({ endpoint: edge.endpoint, region: REGION, credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1 });
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'bench' }));
  const plan: QueuePlan = { logicalId: 'Bench', name: 'bench', url: QueueUrl as string, arn: `arn:aws:sqs:${REGION}:000000000000:bench`, attributes: {}, visibilityTimeout: 30 };
  await queues?.recover(edge, [plan]);
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: producers }, async () => {
    while (next < CALLS) {
      const n = next++;
      const t0 = performance.now();
      await sqs.send(new SendMessageBatchCommand({ QueueUrl, Entries: Array.from({ length: 10 }, (_, i) => ({ Id: String(i), MessageBody: `${n}-${i}-${BODY}` })) }));
      latencies.push(performance.now() - t0);
    }
  }));
  const sendSeconds = (performance.now() - started) / 1000;
  const drainStart = performance.now();
  let drained = 0;
  for (;;) {
    const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10 }));
    if (Messages.length === 0) break;
    await sqs.send(new DeleteMessageBatchCommand({ QueueUrl, Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })) }));
    drained += Messages.length;
  }
  const drainSeconds = (performance.now() - drainStart) / 1000;
  await queues?.journal.flush();
  const journalEntries = queues?.journal.entries ?? 0;
  sqs.destroy();
  await edge.drain(0);
  await queues?.abandon();
  await edge.close();
  rmSync(dir, { recursive: true, force: true });
  const s = summarize(latencies);
  return { mode, producers, messagesPerSecond: (CALLS * 10) / sendSeconds, p50Ms: s.p50, p99Ms: s.p99, drainPerSecond: drained / drainSeconds, journalEntries };
}

header(`queue journal: ${CALLS} SendMessageBatch calls of 10 × ~200 B, journal vs in memory`);
const runs: Run[] = [];
for (const producers of [1, 8]) {
  // Alternate the modes so that the machine's other load falls on both.
  for (const mode of ['in-memory', 'journal', 'in-memory', 'journal'] as const) runs.push(await run(mode, producers));
}
const best = (mode: string, producers: number): Run => runs.filter((r) => r.mode === mode && r.producers === producers).sort((a, b) => b.messagesPerSecond - a.messagesPerSecond)[0] as Run;
const rows: Array<Array<string | number>> = [['producers', 'mode', 'sent msg/s', 'call p50 ms', 'call p99 ms', 'receive+delete msg/s']];
for (const producers of [1, 8]) {
  for (const mode of ['in-memory', 'journal']) {
    const r = best(mode, producers);
    rows.push([producers, mode, sig(r.messagesPerSecond, 3), sig(r.p50Ms, 2), sig(r.p99Ms, 2), sig(r.drainPerSecond, 3)]);
  }
}
console.log(table(rows));
console.log('\n(the better of two runs of each; every run is in bench/results/journal.json)');
saveResult('journal', 'npm run bench:journal', quick, { calls: CALLS, runs });
