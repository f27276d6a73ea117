/**
 * Readiness as LocalStack reports it, on the local cloud's edge: until every resource exists the
 * health endpoints say "initializing" (503) and /_localstack/init/ready {"completed": false};
 * the CLI then says that the cloud is still starting, and names the stage it runs, never another.
 * `npm start` itself marks the edge ready only once provisioning is done (test/e2e/cli.test.ts).
 */
import { CreateQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { locateBackend } from '../../lib/producer/locate';
import { startEdge, type Edge } from '../../tools/local/engines/edge';

let edge: Edge;
beforeAll(async () => {
  edge = await startEdge({ port: 0, host: '127.0.0.1', region: 'us-east-1', dynamoDbPath: undefined });
});
afterAll(async () => {
  await edge?.drain(0);
  await edge?.close();
});

async function get(path: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${edge.endpoint}${path}`);
  return { status: res.status, body: await res.json() as Record<string, unknown> };
}

const locate = (): Promise<unknown> => locateBackend({
  endpoint: edge.endpoint, need: ['heartbeatsQueueUrl'], env: {},
});

describe('the local cloud\'s readiness', () => {
  it('says initializing, and the CLI says it is still starting, until the resources exist', async () => {
    edge.setReadiness({ stage: 'local', ready: false });
    for (const path of ['/health', '/_localstack/health']) {
      const health = await get(path);
      expect(health.status).toBe(503);
      expect(Object.values(health.body.services as Record<string, string>).every((s) => s === 'initializing')).toBe(true);
    }
    expect(await get('/_localstack/init/ready')).toEqual({ status: 200, body: { completed: false, scripts: [] } });
    await expect(locate()).rejects.toThrow(`the local cloud at ${edge.endpoint} is still starting (stage local): try again in a few seconds`);
  });

  it('once ready: 200 with every service running, completed, and a missing queue named in the stage the cloud runs', async () => {
    edge.setReadiness({ stage: 'local', ready: true });
    const health = await get('/_localstack/health');
    expect(health.status).toBe(200);
    expect(Object.values(health.body.services as Record<string, string>).every((s) => s === 'running')).toBe(true);
    expect(await get('/_localstack/init/ready')).toEqual({ status: 200, body: { completed: true, scripts: [] } });
    await expect(locate()).rejects.toThrow('has no queue dts-local-heartbeats');
  });

  it('says it is still starting while some queues exist but not yet every resource, then finds them', async () => {
    const sqs = new SQSClient({ endpoint: edge.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
    await sqs.send(new CreateQueueCommand({ QueueName: 'dts-local-heartbeats' }));
    sqs.destroy();
    edge.setReadiness({ stage: 'local', ready: false });
    await expect(locate()).rejects.toThrow('is still starting (stage local)');
    edge.setReadiness({ stage: 'local', ready: true });
    const backend = await locateBackend({ endpoint: edge.endpoint, need: ['heartbeatsQueueUrl'], env: {} });
    expect(backend.resources.heartbeatsQueueUrl).toBe(`${edge.endpoint}/000000000000/dts-local-heartbeats`);
  });
});
