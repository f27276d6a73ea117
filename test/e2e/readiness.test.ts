/**
 * `npm start` reports ready as LocalStack does: the health endpoint answers 200 only once every
 * queue and table exists, so that anything waiting on it (scripts, CI, compose health checks)
 * finds the resources on its first call.
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';
import { ListQueuesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { ROOT } from './support/local-cloud-process';

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
