/**
 * The local cloud's durable queues (tools/local/queue-snapshot.ts, queue-journal.ts), in process:
 * an edge with the journal, "crashed" (closed without the snapshot of a clean stop) and started
 * again on the same directory. The kill -9 of a real cloud is in test/e2e/durable-queues.test.ts.
 */
import { appendFile, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  CreateQueueCommand, DeleteMessageCommand, PurgeQueueCommand, ReceiveMessageCommand, SendMessageBatchCommand, SendMessageCommand, SQSClient, type Message,
} from '@aws-sdk/client-sqs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startEdge, type Edge } from '../../tools/local/engines/edge';
import { DurableQueues, RESTORED_ATTRIBUTE } from '../../tools/local/queue-snapshot';
import type { QueuePlan } from '../../tools/local/template/plan';

const REGION = 'us-east-1';
let dir: string;
const open: Array<{ edge: Edge; queues: DurableQueues; sqs: SQSClient }> = [];

function plans(endpoint: string): QueuePlan[] {
  const plan = (name: string, attributes: Record<string, string>): QueuePlan => ({
    logicalId: name, name, url: `${endpoint}/000000000000/${name}`, arn: `arn:aws:sqs:${REGION}:000000000000:${name}`, attributes, visibilityTimeout: 0,
  });
  return [
    plan('work-dlq', {}),
    plan('work', { VisibilityTimeout: '0', RedrivePolicy: JSON.stringify({ deadLetterTargetArn: `arn:aws:sqs:${REGION}:000000000000:work-dlq`, maxReceiveCount: 1 }), MaximumMessageSize: '262144' }),
  ];
}

/** Starts an edge with durable queues on `dir`, creates the queues, and restores them. */
async function boot() {
  const queues = new DurableQueues(dir);
  const edge = await startEdge({ port: 0, host: '127.0.0.1', region: REGION, dynamoDbPath: undefined, queueLog: queues });
  const sqs = new SQSClient({ endpoint: edge.endpoint, region: REGION, credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1 });
  const queuePlans = plans(edge.endpoint);
  for (const q of queuePlans) await sqs.send(new CreateQueueCommand({ QueueName: q.name, Attributes: q.attributes }));
  const report = await queues.recover(edge, queuePlans);
  open.push({ edge, queues, sqs });
  const url = (name: string): string => `${edge.endpoint}/000000000000/${name}`;
  return { edge, queues, sqs, report, url, queuePlans };
}

/** What a crash leaves: no snapshot; the journal as written. */
async function crash(): Promise<void> {
  for (const { edge, queues, sqs } of open.splice(0)) {
    sqs.destroy();
    await edge.drain(0);
    await queues.abandon();
    await edge.close();
  }
}

async function bodies(sqs: SQSClient, queueUrl: string): Promise<string[]> {
  const all: Message[] = [];
  for (let i = 0; i < 5; i++) {
    const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 30, MessageAttributeNames: ['All'] }));
    all.push(...Messages);
    if (Messages.length === 0) break;
  }
  return all.map((m) => m.Body as string).sort();
}

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'dts-queues-'));
});
afterEach(async () => {
  await crash();
  await rm(dir, { recursive: true, force: true });
});

describe('durable queues', () => {
  it('restores after a crash what was acknowledged and not deleted, and keeps the original identity', async () => {
    const a = await boot();
    const sent = await a.sqs.send(new SendMessageCommand({ QueueUrl: a.url('work-dlq'), MessageBody: 'kept' }));
    await a.sqs.send(new SendMessageBatchCommand({ QueueUrl: a.url('work-dlq'), Entries: [{ Id: '1', MessageBody: 'deleted' }, { Id: '2', MessageBody: 'kept too' }] }));
    const { Messages = [] } = await a.sqs.send(new ReceiveMessageCommand({ QueueUrl: a.url('work-dlq'), MaxNumberOfMessages: 10, VisibilityTimeout: 30 }));
    const doomed = Messages.find((m) => m.Body === 'deleted') as Message;
    await a.sqs.send(new DeleteMessageCommand({ QueueUrl: a.url('work-dlq'), ReceiptHandle: doomed.ReceiptHandle }));
    await a.queues.journal.flush();
    await crash();

    const b = await boot();
    expect(b.report).toEqual({ restored: 2, notices: [] });
    const { Messages: back = [] } = await b.sqs.send(new ReceiveMessageCommand({ QueueUrl: b.url('work-dlq'), MaxNumberOfMessages: 10, MessageAttributeNames: ['All'] }));
    expect(back.map((m) => m.Body).sort()).toEqual(['kept', 'kept too']);
    const origin = JSON.parse(back.find((m) => m.Body === 'kept')?.MessageAttributes?.[RESTORED_ATTRIBUTE]?.StringValue as string) as { messageId: string };
    expect(origin.messageId).toBe(sent.MessageId);
    await crash();
    // A second crash restores them once more, not twice.
    const c = await boot();
    expect(c.report.restored).toBe(2);
  });

  it('keeps a message moved to its DLQ in the DLQ, and forgets a purged queue', async () => {
    const a = await boot();
    await a.sqs.send(new SendMessageCommand({ QueueUrl: a.url('work'), MessageBody: 'poison' }));
    await a.sqs.send(new SendMessageCommand({ QueueUrl: a.url('work'), MessageBody: 'purged' }));
    // maxReceiveCount 1 and visibility 0: the second receive moves them to the DLQ...
    await a.sqs.send(new ReceiveMessageCommand({ QueueUrl: a.url('work'), MaxNumberOfMessages: 10 }));
    await a.sqs.send(new ReceiveMessageCommand({ QueueUrl: a.url('work'), MaxNumberOfMessages: 10 }));
    await a.sqs.send(new SendMessageCommand({ QueueUrl: a.url('work'), MessageBody: 'gone with the purge' }));
    await a.sqs.send(new PurgeQueueCommand({ QueueUrl: a.url('work') }));
    await a.queues.journal.flush();
    await crash();

    const b = await boot();
    expect(await bodies(b.sqs, b.url('work-dlq'))).toEqual(['poison', 'purged']);
    expect(await bodies(b.sqs, b.url('work'))).toEqual([]);
  });

  it('writes a snapshot at a clean stop, and the next start restores it', async () => {
    const a = await boot();
    await a.sqs.send(new SendMessageCommand({ QueueUrl: a.url('work-dlq'), MessageBody: 'snap' }));
    await a.edge.drain(0);
    expect(await a.queues.compact(a.edge, a.queuePlans)).toBe(1);
    await crash();
    const files = await readdir(dir);
    expect(files.filter((f) => f.endsWith('.journal'))).toHaveLength(1);
    const b = await boot();
    expect(b.report.restored).toBe(1);
    expect(await bodies(b.sqs, b.url('work-dlq'))).toEqual(['snap']);
  });

  it('moves an unreadable snapshot aside with a notice, and starts from the newest journal', async () => {
    const a = await boot();
    await a.sqs.send(new SendMessageCommand({ QueueUrl: a.url('work-dlq'), MessageBody: 'from the journal' }));
    await crash();
    await writeFile(path.join(dir, 'queues.json'), '{"version": 2, "queu');
    const b = await boot();
    expect(b.report.notices.join('\n')).toMatch(/queues\.json could not be read .* moved aside to .*queues\.json\.unreadable-/);
    expect(await bodies(b.sqs, b.url('work-dlq'))).toEqual(['from the journal']);
    expect((await readdir(dir)).some((f) => f.startsWith('queues.json.unreadable-'))).toBe(true);
  });

  it('ignores a torn last line, and moves a damaged journal aside with a notice', async () => {
    const a = await boot();
    await a.sqs.send(new SendMessageCommand({ QueueUrl: a.url('work-dlq'), MessageBody: 'whole' }));
    await crash();
    const journal = (await readdir(dir)).find((f) => f.endsWith('.journal')) as string;
    await appendFile(path.join(dir, journal), '{"op":"in","q":"work-dlq","m":{"id":"x","bo');
    const b = await boot();
    expect(b.report.notices).toEqual([]);
    expect(await bodies(b.sqs, b.url('work-dlq'))).toEqual(['whole']);
    await crash();

    const next = (await readdir(dir)).find((f) => f.endsWith('.journal')) as string;
    const text = await readFile(path.join(dir, next), 'utf8');
    await writeFile(path.join(dir, next), `garbage\n${text}`);
    const c = await boot();
    expect(c.report.notices.join('\n')).toMatch(/1 damaged line\(s\) in queues-\d+\.journal were skipped; the file is moved aside/);
    expect(await bodies(c.sqs, c.url('work-dlq'))).toEqual(['whole']);
    expect((await readdir(dir)).some((f) => /\.journal\.unreadable-/.test(f))).toBe(true);
  });

  it('restores messages over the queue\'s size limit to a side file, and still starts', async () => {
    const a = await boot();
    await a.sqs.send(new SendMessageCommand({ QueueUrl: a.url('work-dlq'), MessageBody: 'fits' }));
    await crash();
    // A journal entry for a 300 KB message on a queue whose limit is 256 KiB.
    const journal = (await readdir(dir)).find((f) => f.endsWith('.journal')) as string;
    await appendFile(path.join(dir, journal), `${JSON.stringify({ op: 'in', q: 'work', m: { id: 'huge', body: 'y'.repeat(300_000), attributes: {}, at: Date.now() } })}\n`);
    const b = await boot();
    expect(b.report.notices.join('\n')).toMatch(/1 message\(s\) could not be restored \(it is 300000 bytes, over the queue's MaximumMessageSize of 262144\); they are kept in .*queues\.unrestored-/);
    expect(await bodies(b.sqs, b.url('work-dlq'))).toEqual(['fits']);
  });
});

describe('message bodies', () => {
  it('accepts emoji and every valid Unicode character, as SQS does, and refuses a lone surrogate', async () => {
    const a = await boot();
    const text = 'emoji 🚀 music 𝄞 cjk 你好 last \u{10FFFD}';
    await a.sqs.send(new SendMessageCommand({ QueueUrl: a.url('work-dlq'), MessageBody: text }));
    const batch = await a.sqs.send(new SendMessageBatchCommand({ QueueUrl: a.url('work-dlq'), Entries: [{ Id: '1', MessageBody: `${text} (batch)` }] }));
    expect(batch.Failed ?? []).toEqual([]);
    expect(await bodies(a.sqs, a.url('work-dlq'))).toEqual([text, `${text} (batch)`].sort());
    await expect(a.sqs.send(new SendMessageCommand({ QueueUrl: a.url('work-dlq'), MessageBody: 'lone \uD83D surrogate' }))).rejects.toThrow(/Invalid characters/);
  });
});
