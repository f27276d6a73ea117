/**
 * The producer against a real SQS engine (fauxqs, in-process). Calls are observed with a
 * middleware on the real client, so the checks see what went over the wire.
 */
import { hostname } from 'node:os';
import { ReceiveMessageCommand, SQSClient, type SendMessageBatchCommandInput } from '@aws-sdk/client-sqs';
import { startFauxqs, type FauxqsServer } from 'fauxqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProducer, type ProducerOptions } from '../../lib/producer';
import { MAX_CALL_BYTES, MAX_MESSAGE_BYTES, base64Length, frameBatch, maxPayloadFor, typeAttributeBytes } from '../../lib/producer/limits';
import { RecordBuffer } from '../../lib/producer/buffer';
import { decodeBody } from '../../lib/wire/codec';
import { TYPE_ATTRIBUTE } from '../../lib/wire/attributes';
import { dts } from '../../lib/wire/generated/dts.js';

let server: FauxqsServer;
let endpoint: string;
let n = 0;

beforeAll(async () => {
  server = await startFauxqs({ port: 0, logger: false });
  endpoint = `http://127.0.0.1:${server.port}`;
});
afterAll(async () => {
  await server?.stop();
});

/** A fresh queue that, like SQS before 2025 and the dts contract, refuses messages over 256 KiB. */
function queue(): { name: string; url: string } {
  const name = `producer-${++n}`;
  const { queueUrl } = server.createQueue(name, { attributes: { MaximumMessageSize: String(MAX_MESSAGE_BYTES) } });
  return { name, url: queueUrl };
}

function client(calls: SendMessageBatchCommandInput[] = [], fail?: (attempt: number) => Error | undefined): SQSClient {
  const sqs = new SQSClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1 });
  let attempt = 0;
  sqs.middlewareStack.add((next) => async (args) => {
    const input = args.input as SendMessageBatchCommandInput;
    if (input.Entries) {
      const error = fail?.(attempt++);
      if (error) throw error;
      calls.push(input);
    }
    return next(args);
  }, { step: 'initialize', name: 'observe' });
  return sqs;
}

function producer(url: string, sqs: SQSClient, o: ProducerOptions = {}) {
  return createProducer({ logsQueueUrl: url, heartbeatsQueueUrl: url, sqs, app: 'test', hostname: 'h1', flushOnExit: false, warn: () => {}, ...o });
}

/** SQS's own count: body plus attribute name, type and value. */
function sqsSize(e: NonNullable<SendMessageBatchCommandInput['Entries']>[number]): number {
  let size = Buffer.byteLength(e.MessageBody ?? '');
  for (const [k, v] of Object.entries(e.MessageAttributes ?? {})) size += Buffer.byteLength(k) + Buffer.byteLength(v.DataType ?? '') + Buffer.byteLength(v.StringValue ?? '');
  return size;
}

function records(calls: SendMessageBatchCommandInput[]): dts.LogMessage[] {
  return calls.flatMap((c) => (c.Entries ?? []).flatMap((e) => {
    const d = decodeBody('dts.LogBatch', e.MessageBody ?? '');
    if (!d.ok) throw new Error(d.error.reason);
    return d.value.records as dts.LogMessage[];
  }));
}

describe('the LogBatch framing', () => {
  it('concatenated records are a LogBatch that decodes to the same records', () => {
    const msgs = [{ app: 'a', text: 'x'.repeat(200), level: 20 }, { app: 'b', text: 'y', level: 40, fields: { k: 'v' } }];
    const framed = frameBatch(msgs.map((m) => dts.LogMessage.encode(m).finish()));
    expect(Buffer.from(framed).equals(Buffer.from(dts.LogBatch.encode({ records: msgs }).finish()))).toBe(true);
  });

  it('sizes a payload so base64 and the attribute stay within the budget', () => {
    const attr = typeAttributeBytes('dts.LogBatch');
    expect(attr).toBe('dts-type'.length + 'String'.length + 'dts.LogBatch'.length);
    const p = maxPayloadFor(MAX_MESSAGE_BYTES, attr);
    expect(base64Length(p) + attr).toBeLessThanOrEqual(MAX_MESSAGE_BYTES);
    expect(base64Length(p + 3) + attr).toBeGreaterThan(MAX_MESSAGE_BYTES);
  });
});

describe('batching into SQS', () => {
  it('fills messages up to 256 KiB, body and attributes counted, and never past it', async () => {
    const q = queue();
    const calls: SendMessageBatchCommandInput[] = [];
    const p = producer(q.url, client(calls), { lingerMs: 60_000 });
    const count = 3000;
    for (let i = 0; i < count; i++) p.log({ text: `${i} ${'x'.repeat(300 + (i % 7))}` });
    const result = await p.close();
    expect(result.ok).toBe(true);
    const entries = calls.flatMap((c) => c.Entries ?? []);
    const sizes = entries.map(sqsSize);
    // Every message fits; every full one is within one record of the limit.
    expect(Math.max(...sizes)).toBeLessThanOrEqual(MAX_MESSAGE_BYTES);
    for (const s of sizes.slice(0, -1)) expect(s).toBeGreaterThan(MAX_MESSAGE_BYTES - 600);
    for (const c of calls) {
      expect(c.Entries?.length).toBeLessThanOrEqual(10);
      expect((c.Entries ?? []).reduce((t, e) => t + sqsSize(e), 0)).toBeLessThanOrEqual(MAX_CALL_BYTES);
    }
    for (const e of entries) expect(e.MessageAttributes?.[TYPE_ATTRIBUTE]?.StringValue).toBe('dts.LogBatch');
    // Every record arrived once, in order, with its own id.
    const got = records(calls);
    expect(got.map((r) => Number(r.text.split(' ')[0]))).toEqual([...Array(count).keys()]);
    expect(new Set(got.map((r) => r.id)).size).toBe(count);
    expect(p.stats()).toMatchObject({ accepted: count, sent: count, dropped: 0, lost: 0 });
    expect(server.inspectQueue(q.name)?.messages.ready.length).toBe(entries.length);
  });

  it('sends a record of the largest size that fits whole, alone, within 256 KiB', async () => {
    const q = queue();
    const calls: SendMessageBatchCommandInput[] = [];
    const p = producer(q.url, client(calls), { lingerMs: 60_000, textMaxBytes: 1024 * 1024 });
    // The largest record: its framed bytes fill the payload that 256 KiB of base64 and attribute allow.
    const payload = maxPayloadFor(MAX_MESSAGE_BYTES, typeAttributeBytes('dts.LogBatch'));
    const base = { app: 'test', hostname: 'h1', level: 20, timestamp: 1_700_000_000.123456, id: 'fixed-id', fields: {} };
    let text = 'z'.repeat(payload);
    while (frameBatch([dts.LogMessage.encode({ ...base, text }).finish()]).length > payload) text = text.slice(1);
    expect(frameBatch([dts.LogMessage.encode({ ...base, text }).finish()]).length).toBe(payload);
    p.log({ ...base, text });
    p.log({ ...base, id: 'second', text: 'small' });
    expect((await p.flush()).ok).toBe(true);
    const entries = calls.flatMap((c) => c.Entries ?? []);
    expect(entries).toHaveLength(2);
    expect(sqsSize(entries[0] as never)).toBeLessThanOrEqual(MAX_MESSAGE_BYTES);
    expect(sqsSize(entries[0] as never)).toBeGreaterThan(MAX_MESSAGE_BYTES - 4);
    expect(records(calls).map((r) => r.text.length)).toEqual([text.length, 5]);
    await p.close();
  });

  it('cuts the text of a record too big for any message, rather than refusing it', async () => {
    const q = queue();
    const calls: SendMessageBatchCommandInput[] = [];
    const p = producer(q.url, client(calls), { lingerMs: 0, textMaxBytes: 1024 * 1024 });
    p.log({ text: 'z'.repeat(400 * 1024) });
    expect((await p.flush()).ok).toBe(true);
    const [entry] = calls.flatMap((c) => c.Entries ?? []);
    expect(sqsSize(entry as never)).toBeLessThanOrEqual(MAX_MESSAGE_BYTES);
    expect(records(calls)[0]?.text).toMatch(/…\[truncated \d+ bytes\]$/);
    expect(p.stats()).toMatchObject({ sent: 1, rejected: 0 });
    await p.close();
  });

  it('puts at most 10 messages in one SendMessageBatch call', async () => {
    const q = queue();
    const calls: SendMessageBatchCommandInput[] = [];
    const p = producer(q.url, client(calls), { lingerMs: 60_000, maxBatchRecords: 1, maxInFlight: 1 });
    // The first record leaves at once (a full message); the rest wait for that call.
    for (let i = 0; i < 26; i++) p.log(`line ${i}`);
    expect((await p.flush()).ok).toBe(true);
    expect(calls.map((c) => c.Entries?.length)).toEqual([1, 10, 10, 5]);
    expect(records(calls).map((r) => r.text)).toEqual([...Array(26).keys()].map((i) => `line ${i}`));
    await p.close();
  });

  it('keeps the sum of a call\'s messages within 256 KiB', async () => {
    const q = queue();
    const calls: SendMessageBatchCommandInput[] = [];
    // Messages of ~100 KiB: a call can hold two, never three.
    const p = producer(q.url, client(calls), { lingerMs: 60_000, maxMessageBytes: 100 * 1024, maxInFlight: 1 });
    for (let i = 0; i < 600; i++) p.log({ text: 'q'.repeat(1000) });
    expect((await p.flush()).ok).toBe(true);
    for (const c of calls) expect((c.Entries ?? []).reduce((t, e) => t + sqsSize(e), 0)).toBeLessThanOrEqual(MAX_CALL_BYTES);
    expect(Math.max(...calls.map((c) => c.Entries?.length ?? 0))).toBeGreaterThan(1);
    expect(records(calls)).toHaveLength(600);
    await p.close();
  });

  it('bounds a message by record count', async () => {
    const q = queue();
    const calls: SendMessageBatchCommandInput[] = [];
    const p = producer(q.url, client(calls), { lingerMs: 60_000, maxBatchRecords: 100 });
    for (let i = 0; i < 250; i++) p.log(`r${i}`);
    await p.close();
    expect(calls.flatMap((c) => c.Entries ?? []).map((e) => {
      const d = decodeBody('dts.LogBatch', e.MessageBody ?? '');
      return d.ok ? d.value.records.length : -1;
    })).toEqual([100, 100, 50]);
  });

  it('sends a lone record after the linger time, without a flush', async () => {
    const q = queue();
    const calls: SendMessageBatchCommandInput[] = [];
    const p = producer(q.url, client(calls), { lingerMs: 100 });
    p.log({ text: 'lonely', level: 'warning', fields: { k: 'v', n: 3 } });
    await new Promise((r) => setTimeout(r, 50));
    expect(calls).toHaveLength(0);
    await expect.poll(() => calls.length, { timeout: 2000 }).toBe(1);
    const [r] = records(calls);
    expect(r).toMatchObject({ app: 'test', hostname: 'h1', level: 30, text: 'lonely', fields: { k: 'v', n: '3' } });
    expect(r?.timestamp).toBeGreaterThan(Date.now() / 1000 - 10);
    await p.close();
  });
});

describe('when the buffer overflows', () => {
  it('drops the oldest records, counts them, calls onDrop and warns once per interval', async () => {
    const q = queue();
    const calls: SendMessageBatchCommandInput[] = [];
    const drops: number[] = [];
    const warnings: string[] = [];
    const p = producer(q.url, client(calls), {
      lingerMs: 60_000, maxBufferedRecords: 100, onDrop: (e) => drops.push(e.dropped), warn: (m) => warnings.push(m), warningIntervalMs: 60_000,
    });
    for (let i = 0; i < 150; i++) p.log(`n${i}`);
    expect(p.stats()).toMatchObject({ accepted: 150, dropped: 50, buffered: 100 });
    expect(drops.reduce((a, b) => a + b, 0)).toBe(50);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/dropped the 1 oldest/);
    await p.close();
    // The newest 100 were kept; close() reports the drops since the last warning.
    expect(records(calls).map((r) => r.text)).toEqual([...Array(100).keys()].map((i) => `n${i + 50}`));
    expect(warnings.at(-1)).toMatch(/dropped the 49 oldest log record\(s\) \(50 in all\)/);
  });

  it('bounds the buffer by bytes too', () => {
    const b = new RecordBuffer({ maxRecords: 1000, maxBytes: 250 });
    let dropped = 0;
    for (let i = 0; i < 5; i++) dropped += b.push(new Uint8Array(100).fill(i));
    expect(dropped).toBe(3);
    expect(b.length).toBe(2);
    expect(b.shift()?.[0]).toBe(3);
  });

  it('never throws into the program, even for bad records or after close', async () => {
    const q = queue();
    const errors: string[] = [];
    const p = producer(q.url, client(), { app: undefined, onError: (e) => errors.push(e.message) });
    expect(() => p.log({ text: 'no app' })).not.toThrow();
    expect(() => p.log({ app: 'a', text: 't', level: 'loud' })).not.toThrow();
    expect(() => p.log(null as never)).not.toThrow();
    await p.close();
    expect(() => p.log({ app: 'a', text: 'late' })).not.toThrow();
    expect(p.stats().rejected).toBe(4);
    expect(errors[0]).toMatch(/app: missing/);
    expect(errors[1]).toMatch(/level: unknown level "loud"/);
  });
});

describe('when sending fails', () => {
  it('retries throttled calls with backoff and loses nothing', async () => {
    const q = queue();
    const calls: SendMessageBatchCommandInput[] = [];
    const throttle = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $retryable: { throttling: true } });
    const p = producer(q.url, client(calls, (attempt) => (attempt < 2 ? throttle : undefined)), { lingerMs: 60_000, retry: { baseDelayMs: 5 } });
    for (let i = 0; i < 10; i++) p.log(`t${i}`);
    expect((await p.flush()).ok).toBe(true);
    expect(records(calls)).toHaveLength(10);
    expect(p.stats()).toMatchObject({ sent: 10, failedCalls: 0 });
    await p.close();
  });

  it('keeps records buffered while the queue is missing, and sends them once it exists', async () => {
    const name = `producer-late-${++n}`;
    const url = `http://sqs.us-east-1.localhost:${server.port}/000000000000/${name}`;
    const errors: string[] = [];
    const calls: SendMessageBatchCommandInput[] = [];
    const p = producer(url, client(calls), { lingerMs: 60_000, retry: { baseDelayMs: 1, maxDelayMs: 10 }, onError: (e) => errors.push(e.message) });
    for (let i = 0; i < 5; i++) p.log(`w${i}`);
    const first = await p.flush();
    expect(first).toMatchObject({ ok: false, buffered: 5 });
    expect(errors.join('\n')).toMatch(/could not send 5 log record\(s\)/);
    // The flush may have retried once its 10 ms backoff was over (a slow machine gets there), so
    // the errors to come are counted from here.
    const before = errors.length;
    server.createQueue(name);
    const second = await p.flush();
    expect(errors.slice(before)).toEqual([]);
    expect(second.ok).toBe(true);
    expect(server.inspectQueue(name)?.messages.ready).toHaveLength(1);
    expect(p.stats()).toMatchObject({ sent: 5, lost: 0, dropped: 0 });
    await p.close();
  });
});

describe('heartbeats', () => {
  it('sends one HeartbeatMessage, named by its attribute', async () => {
    const q = queue();
    const sqs = client();
    const p = producer(q.url, sqs, { interval: 30, labels: { role: 'web' } });
    const r = await p.heartbeat({ cpu: { percent: 12.5, cores: 4 }, labels: { zone: 'a' }, uptime: 100 });
    expect(r.ok).toBe(true);
    const out = await sqs.send(new ReceiveMessageCommand({ QueueUrl: q.url, MessageAttributeNames: ['All'] }));
    const [m] = out.Messages ?? [];
    expect(m?.MessageAttributes?.[TYPE_ATTRIBUTE]?.StringValue).toBe('dts.HeartbeatMessage');
    const d = decodeBody('dts.HeartbeatMessage', m?.Body ?? '');
    expect(d.ok && d.value).toMatchObject({
      hostname: 'h1', interval: 30, cpu: { percent: 12.5, cores: 4 }, labels: { role: 'web', zone: 'a' }, uptime: 100, agent: { name: 'dts-producer' },
    });
    await p.close();
  });

  it('beats under a name of its own, apart from the machine\'s agent, and says which; records keep the machine\'s name', async () => {
    const q = queue();
    const sqs = client();
    const p = createProducer({ logsQueueUrl: q.url, heartbeatsQueueUrl: q.url, sqs, app: 'billing', flushOnExit: false, warn: () => {} });
    expect(p.beatsAs).toBe(`billing@${hostname()}`);
    expect((await p.heartbeat({})).ok).toBe(true);
    const out = await sqs.send(new ReceiveMessageCommand({ QueueUrl: q.url, MessageAttributeNames: ['All'] }));
    const d = decodeBody('dts.HeartbeatMessage', out.Messages?.[0]?.Body ?? '');
    expect(d.ok && d.value.hostname).toBe(`billing@${hostname()}`);
    await p.close();
    expect(createProducer({ sqs, flushOnExit: false }).beatsAs).toBe(`node@${hostname()}`);
    expect(createProducer({ sqs, app: 'billing', hostname: 'web-1', flushOnExit: false }).beatsAs).toBe('web-1');
  });

  it('resolves with the error instead of rejecting when the queue is gone', async () => {
    const p = producer(`${endpoint}/000000000000/nope-${++n}`, client(), { retry: { baseDelayMs: 1 }, onError: () => {} });
    const r = await p.heartbeat({});
    expect(r.ok).toBe(false);
    expect(p.stats().failedHeartbeats).toBe(1);
    await p.close();
  });
});
