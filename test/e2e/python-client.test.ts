/**
 * The Python client end to end, on the local cloud: Debian's /usr/bin/python3 runs
 * clients/python/examples/log_and_beat.py, which logs five records at five levels through
 * DtsHandler, sends a heartbeat and exits without flushing; the records and the host must then
 * be in dts, read back through the CLI. The codec comes from the build (protoc), so a machine
 * without python3, boto3, protobuf or protoc fails here, saying which.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { GetQueueUrlCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, startCloudProcess, type CloudProcess } from './support/local-cloud-process';

const exec = promisify(execFile);
const BIN = path.join(ROOT, 'bin', 'dts.js');
const PYTHON = '/usr/bin/python3';
const CLIENT = path.join(ROOT, 'clients', 'python');
const APP = 'py-e2e';
const HOST = 'py-host-1';
const INSTALL = 'apt-get install protobuf-compiler python3-boto3 python3-protobuf';
let cloud: CloudProcess;
let dataDir: string;

function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const inherited = Object.entries(process.env).filter(([k]) => !k.startsWith('DTS_') && !k.startsWith('AWS_'));
  return {
    ...Object.fromEntries(inherited),
    AWS_ENDPOINT_URL: cloud.endpoint, AWS_REGION: 'us-east-1', AWS_DEFAULT_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', NO_COLOR: '1', ...extra,
  };
}

async function dtsJson<T>(args: string[]): Promise<T> {
  const { stdout } = await exec(process.execPath, [BIN, ...args, '--json'], { env: env(), timeout: 60_000 });
  return JSON.parse(stdout) as T;
}

beforeAll(async () => {
  // The build makes dts_pb2.py when protoc is there (npm ci ran it; this is the same step, current or not).
  await exec(process.execPath, [path.join(ROOT, 'scripts', 'build.mjs'), 'proto'], { cwd: ROOT });
  dataDir = await mkdtemp(path.join(tmpdir(), 'dts-python-e2e-'));
  cloud = await startCloudProcess({ dataDir, inMemory: true });
}, 180_000);

afterAll(async () => {
  await cloud?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('the Python client', () => {
  it('has what it needs: Debian python3 with boto3 and protobuf, and the codec the build generated', async () => {
    expect(existsSync(PYTHON), `${PYTHON} is missing: ${INSTALL}`).toBe(true);
    expect(existsSync(path.join(CLIENT, 'dts_client', 'dts_pb2.py')), `the build made no dts_pb2.py: is protoc installed? ${INSTALL}`).toBe(true);
    const { stdout } = await exec(PYTHON, ['-c', 'import boto3, google.protobuf, dts_client; print("ok")'], { env: { ...process.env, PYTHONPATH: CLIENT } });
    expect(stdout.trim()).toBe('ok');
  });

  it('keeps every message and call inside SQS\'s limits, retries through an outage, bounds its buffer, and survives a fork', async () => {
    // Against a recording SQS client that fails on command (test/e2e/fixtures/python_limits.py).
    const script = path.join(ROOT, 'test', 'e2e', 'fixtures', 'python_limits.py');
    const { stdout, stderr } = await exec(PYTHON, [script], { env: { ...process.env, PYTHONPATH: CLIENT }, timeout: 60_000 });
    const r = JSON.parse(stdout) as {
      big: { calls: number; maxEntries: number; maxMessage: number; maxCall: number; attrs: string[]; inOrder: boolean; sent: number };
      outage: { afterFailedFlush: number; delivered: string[]; dropped: number };
      entries: { retried: string[]; dropped: number; sent: number };
      bounded: { dropped: number; delivered: string[] };
      fork: { childDelivered: boolean; parentDelivered: string[] };
    };
    // 3000 records of 1 KiB: about 3 MB, in messages of at most 256 KiB (body plus attribute), in order.
    expect(r.big).toMatchObject({ attrs: ['dts.LogBatch'], inOrder: true, sent: 3000 });
    expect(r.big.calls).toBeGreaterThanOrEqual(12);
    expect(r.big.maxEntries).toBeLessThanOrEqual(10);
    expect(r.big.maxMessage).toBeLessThanOrEqual(256 * 1024);
    expect(r.big.maxCall).toBeLessThanOrEqual(256 * 1024);
    // A flush that fails every attempt keeps the records; close() sends them, in order.
    expect(r.outage.afterFailedFlush).toBe(0);
    expect(r.outage.delivered).toEqual(Array.from({ length: 20 }, (_, i) => `outage ${i}`));
    expect(r.outage.dropped).toBe(0);
    expect(stderr).toMatch(/dts: 20 record\(s\) not sent yet: injected/);
    // An entry the service failed is sent again; one refused as the sender's fault is counted, not retried.
    expect(r.entries).toEqual({ retried: ['entry 0', 'entry 1', 'entry 2'], dropped: 1, sent: 3 });
    expect(stderr).toMatch(/dts: SQS refused 1 record\(s\)/);
    // 250 records into room for 100 while SQS is unreachable: the oldest 150 go, the newest 100 arrive.
    expect(r.bounded.dropped).toBe(150);
    expect(r.bounded.delivered).toEqual(Array.from({ length: 100 }, (_, i) => `bounded ${150 + i}`));
    // A forked child (a gunicorn or celery worker) gets its own flush thread and sends only its own records.
    expect(r.fork).toEqual({ childDelivered: true, parentDelivered: ['before the fork'] });
  }, 90_000);

  it('records logged at five levels arrive without an explicit flush, and the heartbeat records the host', async () => {
    const sqs = new SQSClient({ endpoint: cloud.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
    const url = async (name: string) => (await sqs.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl as string;
    const queues = { DTS_LOGS_QUEUE_URL: await url('dts-local-logs'), DTS_HEARTBEATS_QUEUE_URL: await url('dts-local-heartbeats') };
    sqs.destroy();

    const script = path.join(CLIENT, 'examples', 'log_and_beat.py');
    const run = await exec(PYTHON, [script, APP, HOST], { env: env({ ...queues, PYTHONPATH: CLIENT }), timeout: 60_000 });
    expect(run.stdout).toMatch(/logged 5 records/);
    expect(run.stderr, 'the handler reported a failure').not.toMatch(/dts:/);

    type LogRow = { app: string; hostname: string; level: number; text: string; timestamp: number; id: string; fields: Record<string, string> };
    await expect.poll(async () => (await dtsJson<LogRow[]>(['logs', '--app', APP])).length, { timeout: 30_000, interval: 500 }).toBe(5);
    const records = await dtsJson<LogRow[]>(['logs', '--app', APP]);
    const byLevel = Object.fromEntries(records.map((r) => [r.level, r]));
    expect(Object.keys(byLevel).map(Number).sort()).toEqual([10, 20, 30, 40, 50]);
    expect(byLevel[20]).toMatchObject({ app: APP, hostname: HOST, text: 'hello from python', fields: { user: 'ada', attempt: '2', logger: 'example' } });
    expect(byLevel[40]?.text).toMatch(/^division failed\nTraceback[\s\S]*ZeroDivisionError/);
    expect(new Set(records.map((r) => r.id)).size).toBe(5);
    for (const r of records) {
      expect(r.id).toMatch(/^[0-9a-f]{32}$/);
      expect(Math.abs(r.timestamp - Date.now() / 1000)).toBeLessThan(120);
    }

    type Host = { hostname: string; interval?: number; labels?: Record<string, string> };
    await expect.poll(async () => (await dtsJson<Host[]>(['hosts'])).map((h) => h.hostname), { timeout: 30_000, interval: 500 }).toContain(HOST);
    const host = (await dtsJson<Host[]>(['hosts'])).find((h) => h.hostname === HOST);
    expect(host).toMatchObject({ interval: 30, labels: { lang: 'python' } });
  }, 120_000);
});
