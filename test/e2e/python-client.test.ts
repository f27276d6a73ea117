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
