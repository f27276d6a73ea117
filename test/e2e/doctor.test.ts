/**
 * `dts doctor` end to end: the real bin against the local cloud. It passes on a fresh cloud (the
 * alarms skipped as not emulated, never passed), its synthetic host makes the round trip and is
 * gone afterwards; then, with a table and a queue deleted behind its back, it fails and names
 * exactly those two.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DeleteTableCommand, DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { DeleteQueueCommand, GetQueueUrlCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Check } from '../../lib/cli/commands/doctor';
import { ROOT, startCloudProcess, type CloudProcess } from './support/local-cloud-process';

const BIN = path.join(ROOT, 'bin', 'dts.js');
const STAGE = 'doctor';
let cloud: CloudProcess;
let dataDir: string;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'dts-doctor-e2e-'));
  cloud = await startCloudProcess({ dataDir, inMemory: true, stage: STAGE });
}, 180_000);

afterAll(async () => {
  await cloud?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

interface Run { code: number; stdout: string; stderr: string }

function doctor(...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    const inherited = Object.entries(process.env).filter(([k]) => !k.startsWith('DTS_') && k !== 'AWS_PROFILE');
    const env = { ...Object.fromEntries(inherited), AWS_ENDPOINT_URL: cloud.endpoint, NO_COLOR: '1' };
    execFile(process.execPath, [BIN, 'doctor', ...args], { cwd: tmpdir(), env, timeout: 150_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

const aws = () => {
  const config = { endpoint: cloud.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } };
  return { ddb: new DynamoDBClient(config), sqs: new SQSClient(config) };
};

describe('dts doctor against the local cloud', () => {
  it('passes every check on a healthy cloud, skips the alarms as not emulated, and leaves no synthetic host behind', async () => {
    const run = await doctor('--json');
    expect(run.stderr).toBe('');
    const { ok, checks } = JSON.parse(run.stdout) as { ok: boolean; checks: Check[] };
    expect(checks.filter((c) => c.status === 'fail')).toEqual([]);
    expect(ok).toBe(true);
    expect(run.code).toBe(0);
    const byName = new Map(checks.map((c) => [c.name, c]));
    for (const piece of ['hosts table', 'API keys table', 'checks table', 'status pages table', 'heartbeats queue', 'notify DLQ', 'scheduled-failures DLQ', 'alerts topic', 'ops topic', 'logs DLQ empty']) {
      expect(byName.get(piece)?.status, piece).toBe('pass');
    }
    expect(checks.filter((c) => c.name.startsWith('schedule ')).map((c) => [c.name, c.status])).toEqual([
      [`schedule dts-${STAGE}-diagnose`, 'pass'], [`schedule dts-${STAGE}-report`, 'pass'],
    ]);
    expect(byName.get('alarms')).toMatchObject({ status: 'skip', detail: expect.stringMatching(/^not emulated/) });
    expect(byName.get('round trip')?.status).toBe('pass');
    expect(byName.get('goodbye')).toMatchObject({ status: 'pass', detail: expect.stringMatching(/left with its goodbye, and raised no alert$/) });

    const { ddb } = aws();
    const hosts = await ddb.send(new ScanCommand({ TableName: `dts-${STAGE}-hosts` }));
    expect((hosts.Items ?? []).map((i) => i.hostname?.S).filter((h) => h?.startsWith('dts-doctor-'))).toEqual([]);
    ddb.destroy();
  }, 180_000);

  it('fails, naming the table and the queue, once they are deleted; the text says what to do', async () => {
    const { ddb, sqs } = aws();
    await ddb.send(new DeleteTableCommand({ TableName: `dts-${STAGE}-reports` }));
    const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: `dts-${STAGE}-logs-dlq` }));
    await sqs.send(new DeleteQueueCommand({ QueueUrl }));
    ddb.destroy();
    sqs.destroy();

    const run = await doctor();
    expect(run.code).toBe(1);
    const failures = run.stdout.split('\n').filter((l) => l.startsWith('✗'));
    expect(failures).toEqual([
      `✗ reports table: table dts-${STAGE}-reports does not exist`,
      `✗ logs DLQ: queue dts-${STAGE}-logs-dlq does not exist`,
    ]);
    expect(run.stdout).toMatch(/✗ reports table: .*\n {4}→ deploy again \(`npx serverless deploy --stage STAGE`\)/);
    expect(run.stdout).toContain('– alarms: skipped: not emulated');
    expect(run.stdout.trimEnd().split('\n').pop()).toBe('2 check(s) failed');
  }, 180_000);
});
