/**
 * The first minutes of `npm start`. It reports ready as LocalStack does: the health endpoint
 * answers 200 only once every queue and table exists, so that anything waiting on it (scripts,
 * CI, compose health checks) finds the resources on its first call. And it is quiet: at most 20
 * lines up to "ready" (--verbose lists everything), and an idle diagnose prints nothing.
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';
import { ListQueuesCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { ROOT, startCloudProcess } from './support/local-cloud-process';
import { entry, eventually } from './support/steps';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { tmpdir } from 'node:os';

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

describe('npm start and its health check', () => {
  it('answers initializing until the queues and tables exist, then 200 and init completed', async () => {
    const port = await freePort();
    const endpoint = `http://127.0.0.1:${port}`;
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'tools', 'local', 'main.ts'), '--port', String(port), '--in-memory', '--quiet'], {
      cwd: ROOT, env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' }, stdio: 'ignore',
    });
    const exited = new Promise<void>((r) => child.on('exit', () => r()));
    const config = { endpoint, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } };
    const sqs = new SQSClient(config);
    const ddb = new DynamoDBClient(config);
    try {
      const seen = new Set<number>();
      const deadline = Date.now() + 90_000;
      for (;;) {
        const status = await fetch(`${endpoint}/_localstack/health`).then((r) => r.status, () => 0);
        seen.add(status);
        if (status === 200) break;
        if (Date.now() > deadline) throw new Error(`never ready; statuses seen: ${[...seen].join(', ')}`);
        await new Promise((r) => setTimeout(r, 20));
      }
      // The first 200: everything is there already.
      const [queues, tables, init] = await Promise.all([
        sqs.send(new ListQueuesCommand({})), ddb.send(new ListTablesCommand({})), fetch(`${endpoint}/_localstack/init/ready`).then((r) => r.json()),
      ]);
      expect(queues.QueueUrls).toContain(`${endpoint}/000000000000/dts-local-heartbeats`);
      expect(tables.TableNames).toEqual(expect.arrayContaining(['dts-local-hosts', 'dts-local-api-keys']));
      expect(init).toEqual({ completed: true, scripts: [] });
      expect(seen.has(503), `statuses seen before ready: ${[...seen].join(', ')}`).toBe(true);
    } finally {
      sqs.destroy();
      ddb.destroy();
      child.kill('SIGINT');
      await exited;
    }
  }, 120_000);
});

/** Each function's environments, as the cloud serves them at /_dts/environments, once `ok` holds (30 s at most). */
async function environmentsOf(endpoint: string, ok: (e: Record<string, number>) => boolean): Promise<Record<string, number>> {
  const read = async () => ((await (await fetch(`${endpoint}/_dts/environments`)).json()) as { environments: Record<string, number> }).environments;
  return eventually(read, ok, 30_000);
}

/** Resolves once the diagnose schedule has finished `n` runs after the call. */
async function passesFinished(endpoint: string, n: number): Promise<void> {
  const seen = new Set<string>();
  const deadline = Date.now() + 60_000;
  while (seen.size < n + 1) {
    if (Date.now() > deadline) throw new Error(`diagnose finished ${seen.size} runs in 60 s`);
    const { schedules } = await (await fetch(`${endpoint}/_dts/schedules`)).json() as { schedules: { functions: string[]; lastSucceededAt?: string }[] };
    const last = schedules.find((s) => s.functions.some((f) => f.endsWith('-diagnose')))?.lastSucceededAt;
    if (last) seen.add(last);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('npm start, quietly', () => {
  it('prints at most 20 lines up to ready, and nothing for idle diagnose passes; --verbose lists every name', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'dts-quiet-e2e-'));
    const quiet = await startCloudProcess({ dataDir, inMemory: true, tick: 1, verbose: false, lazy: false });
    try {
      const upToReady = quiet.output().slice(0, quiet.output().indexOf('ready in')).split('\n');
      expect(upToReady.length, quiet.output()).toBeLessThanOrEqual(20);
      expect(quiet.output()).toMatch(/export AWS_ENDPOINT_URL=\S+ AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1/);
      // Two idle diagnose passes that finished (--tick 1), as the scheduler counts them: no pass,
      // watch or metric line for either.
      await passesFinished(quiet.endpoint, 2);
      expect(quiet.output(), quiet.output()).not.toMatch(/\[diagnose\]/);
      // By default every function has an environment soon after ready, so that an init error shows at start.
      const warm = await environmentsOf(quiet.endpoint, (e) => Object.values(e).every((n) => n >= 1));
      expect(Object.keys(warm)).toHaveLength(7);
    } finally {
      await quiet.stop();
    }
    const verbose = await startCloudProcess({ dataDir, inMemory: true, tick: 1, lazy: false });
    try {
      expect(verbose.output()).toMatch(/export DTS_HOSTS_TABLE=dts-local-hosts/);
      await passesFinished(verbose.endpoint, 2);
      expect(verbose.output()).toMatch(/\[diagnose\] \{"level":"DEBUG","message":"diagnose pass"/);
    } finally {
      await verbose.stop();
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 120_000);
});

describe('npm start --lazy', () => {
  it('starts a function\'s first environment at its first invocation, and no other', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'dts-lazy-e2e-'));
    const cloud = await startCloudProcess({ dataDir, inMemory: true, tick: 3600, verbose: false, lazy: true });
    try {
      await new Promise((r) => setTimeout(r, 2000));
      const before = await environmentsOf(cloud.endpoint, () => true);
      expect(Object.keys(before)).toHaveLength(7);
      expect(Object.values(before).every((n) => n === 0), JSON.stringify(before)).toBe(true);
      const queueUrl = `${cloud.endpoint}/000000000000/dts-local-heartbeats`;
      const sqs = new SQSClient({ endpoint: cloud.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
      try {
        await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, ...entry('dts.HeartbeatMessage', { hostname: 'lazy-1', timestamp: Date.now() / 1000, interval: 60 }, 'json') }));
      } finally {
        sqs.destroy();
      }
      const after = await environmentsOf(cloud.endpoint, (e) => (e['dts-local-ingestHeartbeats'] ?? 0) >= 1);
      expect(Object.entries(after).filter(([, n]) => n > 0).map(([f]) => f)).toEqual(['dts-local-ingestHeartbeats']);
    } finally {
      await cloud.stop();
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('the first npm start after install', () => {
  it('finds the template that prepare packaged, and runs no serverless package itself', async () => {
    const cache = await mkdtemp(path.join(tmpdir(), 'dts-prepare-cache-'));
    const dataDir = await mkdtemp(path.join(tmpdir(), 'dts-prepare-data-'));
    try {
      // As npm ci runs prepare (dist/ is current here, so the build itself is quick).
      const { stderr } = await promisify(execFile)(process.execPath, [path.join(ROOT, 'scripts', 'build.mjs'), '--prepare'], {
        cwd: ROOT, env: { ...process.env, npm_command: 'ci', DTS_LOCAL_CACHE_DIR: cache }, timeout: 170_000,
      });
      expect(stderr).toMatch(/npm start's template (packaged|was current)/);
      expect((await readdir(cache)).filter((f) => /^cloudformation-[0-9a-f]+\.json$/.test(f))).toHaveLength(1);
      const cloud = await startCloudProcess({ dataDir, verbose: false, lazy: false, env: { DTS_LOCAL_CACHE_DIR: cache } });
      try {
        expect(cloud.output()).toMatch(/template {3}serverless package --stage local \(cached: /);
      } finally {
        await cloud.stop();
      }
    } finally {
      await rm(cache, { recursive: true, force: true });
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 240_000);
});
