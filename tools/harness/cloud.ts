/**
 * An embedded cloud for integration tests: the local cloud's edge (dynalite, fauxqs) on a free
 * port, provisioned by the local cloud's own planner from the packaged template, without the
 * functions: tests call the handlers themselves. `DTS_TEST_ENGINE=dynamodb-local` puts AWS's own
 * emulator behind DynamoDB instead of dynalite. Tests reach it only through the real AWS SDK.
 */
import { randomBytes } from 'node:crypto';
import { DeleteTableCommand, DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import { SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { startEdge } from '../local/engines/edge';
import type { FaultInjector } from '../local/faults/injector';
import { provision } from '../local/provision';
import { planFromTemplate, type CloudFormationTemplate } from '../local/template/plan';
import { createClients, type Clients } from '../../lib/adapters/clients';
import { startDynamoDbLocal } from './dynamodb-local';
import { packagedTemplate } from './template';

export interface TestCloud {
  readonly clients: Clients;
  readonly names: {
    hostsTable: string; logsTable: string; notificationsTable: string; statsTable: string;
    silencesTable: string; reportsTable: string; apiKeysTable: string; checksTable: string;
    heartbeatsQueueUrl: string; heartbeatsDlqUrl: string; logsQueueUrl: string; logsDlqUrl: string;
    alertsTopicArn: string;
    /** A queue subscribed to the alerts topic: what was published. */
    alertsQueueUrl: string;
  };
  /** Environment for the handlers: the resources and the emulators' endpoints. */
  readonly env: Record<string, string>;
  /**
   * What its clients sign with. A client of a test's own must use these too: on DynamoDB Local,
   * the access key picks the database, and another key finds none of this cloud's tables.
   */
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
  /**
   * Faults the edge injects into SQS, SNS and (with dynalite) DynamoDB calls, e.g.
   * `cloud.faults.add('sns:Publish=5xx,count=2')`; see docs/LOCAL.md, "Fault injection".
   */
  readonly faults: FaultInjector;
  stop(): Promise<void>;
}

const REGION = 'us-east-1';

/** The DynamoDB engine under test. */
export const ENGINE = process.env.DTS_TEST_ENGINE === 'dynamodb-local' ? 'dynamodb-local' : 'dynalite';

/**
 * DynamoDB Local for one test cloud: the run's shared one (test/support/dynamodb-local-setup.ts)
 * when there is one, else one of its own, stopped with the cloud.
 */
async function dynamoDbLocal(): Promise<{ endpoint: string; stop: () => Promise<void> }> {
  // Imported here: the benches use this module outside vitest, where importing it throws.
  const shared = process.env.VITEST ? (await import('vitest')).inject('dynamoDbLocalEndpoint') : undefined;
  if (shared) return { endpoint: shared, stop: async () => undefined };
  return startDynamoDbLocal();
}

export async function startTestCloud(): Promise<TestCloud> {
  const template = (await packagedTemplate('test')) as unknown as CloudFormationTemplate;
  const edge = await startEdge({ port: 0, host: '127.0.0.1', region: REGION, dynamoDbPath: undefined });
  const local = ENGINE === 'dynamodb-local' ? await dynamoDbLocal() : undefined;
  // An access key of its own: DynamoDB Local keeps a database per key, so clouds that share
  // one DynamoDB Local (the run's, or one file's in turn) never see each other's tables.
  const credentials = { accessKeyId: `test${randomBytes(6).toString('hex')}`, secretAccessKey: 'test' };
  const ddbEndpoint = local?.endpoint ?? edge.endpoint;

  const plan = planFromTemplate(template, { region: REGION, stackName: 'dts-test', endpoint: edge.endpoint });
  const base = { region: REGION, credentials };
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
    checksTable: output('ChecksTableName'),
    heartbeatsQueueUrl: output('HeartbeatsQueueUrl'),
    heartbeatsDlqUrl: output('HeartbeatsDLQUrl'),
    logsQueueUrl: output('LogsQueueUrl'),
    logsDlqUrl: output('LogsDLQUrl'),
    alertsTopicArn: output('AlertsTopicArn'),
    alertsQueueUrl: alertsQueue.QueueUrl as string,
  };
  const env = {
    AWS_REGION: REGION,
    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    // Per service, since DynamoDB may be another engine than the edge's.
    AWS_ENDPOINT_URL_DYNAMODB: ddbEndpoint,
    AWS_ENDPOINT_URL_SQS: edge.endpoint,
    AWS_ENDPOINT_URL_SNS: edge.endpoint,
    // No Lambda here: a CLI that starts a pass (`dts checks add`) is refused by the edge at once,
    // never sent to AWS. A test of that pass points this at a Lambda Invoke API of its own.
    AWS_ENDPOINT_URL_LAMBDA: edge.endpoint,
    DTS_HOSTS_TABLE: names.hostsTable,
    DTS_LOGS_TABLE: names.logsTable,
    DTS_NOTIFICATIONS_TABLE: names.notificationsTable,
    DTS_STATS_TABLE: names.statsTable,
    DTS_SILENCES_TABLE: names.silencesTable,
    DTS_REPORTS_TABLE: names.reportsTable,
    DTS_API_KEYS_TABLE: names.apiKeysTable,
    DTS_CHANNELS_TABLE: output('ChannelsTableName'),
    DTS_STATUS_TABLE: output('StatusTableName'),
    // Channel secrets: the edge answers SSM too.
    AWS_ENDPOINT_URL_SSM: edge.endpoint,
    DTS_CHECKS_TABLE: names.checksTable,
    DTS_ALERTS_TOPIC_ARN: names.alertsTopicArn,
    DTS_HEARTBEATS_QUEUE_URL: names.heartbeatsQueueUrl,
    DTS_HEARTBEATS_DLQ_URL: names.heartbeatsDlqUrl,
    DTS_LOGS_QUEUE_URL: names.logsQueueUrl,
    DTS_LOGS_DLQ_URL: names.logsDlqUrl,
    // Tests provoke failures on purpose (a webhook's 502, a time budget run out), and the
    // handlers log each at ERROR: silent, so that the test output holds only the tests' own;
    // DTS_VERBOSE=1 shows every line (docs/TESTING.md).
    POWERTOOLS_LOG_LEVEL: process.env.DTS_VERBOSE ? 'DEBUG' : 'SILENT',
  };
  const sqsAndSns = createClients({ ...base, endpoint: edge.endpoint });
  const tables = createClients({ ...base, endpoint: ddbEndpoint });
  const clients: Clients = { ddb: tables.ddb, ddbRaw: tables.ddbRaw, sqs: sqsAndSns.sqs, sns: sqsAndSns.sns };
  return {
    clients,
    names,
    env,
    credentials,
    faults: edge.faults,
    async stop() {
      for (const c of [clients.ddb, clients.sqs, clients.sns, admin.dynamodb, admin.sqs, admin.sns]) c.destroy();
      await edge.drain(1_000);
      await edge.close();
      if (local) await dropTables(ddbEndpoint, credentials);
      await local?.stop();
    },
  };
}

/** A shared DynamoDB Local keeps what a finished cloud wrote until the run ends: its tables go. */
async function dropTables(endpoint: string, credentials: { accessKeyId: string; secretAccessKey: string }): Promise<void> {
  const ddb = new DynamoDBClient({ region: REGION, endpoint, credentials });
  try {
    const { TableNames = [] } = await ddb.send(new ListTablesCommand({}));
    await Promise.all(TableNames.map((TableName) => ddb.send(new DeleteTableCommand({ TableName }))));
  } finally {
    ddb.destroy();
  }
}
