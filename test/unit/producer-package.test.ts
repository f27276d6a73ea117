/** The producer is what the package exports: `import { createProducer } from 'dts'`. */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, describe, expect, it } from 'vitest';
import * as dts from 'dts';
import { startEdge, type Edge } from '../../tools/local/engines/edge';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

describe('the package entry', () => {
  it('exports the producer library and the backend locator', () => {
    expect(typeof dts.createProducer).toBe('function');
    expect(typeof dts.locateBackend).toBe('function');
    expect(dts.parseLevel('warning')).toBe(30);
    const p = dts.createProducer({ logsQueueUrl: 'http://127.0.0.1:9/000000000000/q', flushOnExit: false, region: 'us-east-1', warn: () => {} });
    expect(p.stats()).toMatchObject({ accepted: 0, buffered: 0 });
  });
});

/** docs/CLI.md's producer snippet, run as a program that imports the package by its name. */
describe('the producer snippet of docs/CLI.md', () => {
  let edge: Edge | undefined;
  afterAll(async () => {
    await edge?.drain(0);
    await edge?.close();
  });

  it('runs as written, and its records and beat reach the queues', async () => {
    // The local cloud's edge, whose queue URLs are at the endpoint a program is given.
    edge = await startEdge({ port: 0, host: '127.0.0.1', region: 'us-east-1', dynamoDbPath: undefined });
    const { endpoint } = edge;
    const sqs = new SQSClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
    const queue = async (name: string): Promise<string> => (await sqs.send(new CreateQueueCommand({ QueueName: name }))).QueueUrl as string;
    const logs = await queue('snippet-logs');
    const beats = await queue('snippet-heartbeats');
    const doc = readFileSync(path.join(ROOT, 'docs', 'CLI.md'), 'utf8');
    const section = doc.slice(doc.indexOf('## The producer library'));
    const snippet = /```ts[^\n]*\n([\s\S]*?)```/.exec(section)?.[1];
    expect(snippet).toContain("from 'dts'");
    // Inside the package's directory, so that `from 'dts'` resolves to the package itself.
    const dir = mkdtempSync(path.join(ROOT, '.dts-snippet-'));
    try {
      const file = path.join(dir, 'snippet.mjs');
      writeFileSync(file, snippet as string);
      const env = {
        ...process.env, AWS_ENDPOINT_URL: endpoint, AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test',
        DTS_LOGS_QUEUE_URL: logs, DTS_HEARTBEATS_QUEUE_URL: beats,
      };
      // Not spawnSync: the SQS engine answers from this process's event loop.
      const run = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
        const child = execFile(process.execPath, [file], { env, encoding: 'utf8', timeout: 30_000 }, (_e, _out, stderr) => resolve({ code: child.exitCode, stderr }));
      });
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const depth = async (url: string): Promise<number> =>
      Number((await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages'] }))).Attributes?.ApproximateNumberOfMessages);
    expect(await depth(logs)).toBeGreaterThanOrEqual(2);
    expect(await depth(beats)).toBe(1);
    sqs.destroy();
  });
});
