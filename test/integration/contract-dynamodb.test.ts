import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { SSMClient } from '@aws-sdk/client-ssm';
import { BatchWriteCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe } from 'vitest';
import { AlertPublisher } from '../../lib/adapters/sns/alerts';
import { ApiKeyStore } from '../../lib/adapters/dynamodb/api-keys';
import { ChannelStore } from '../../lib/adapters/dynamodb/channels';
import { CheckStore } from '../../lib/adapters/dynamodb/checks';
import { SqsHeartbeatQueue } from '../../lib/adapters/sqs/heartbeat-queue';
import { HostPages } from '../../lib/adapters/dynamodb/host-pages';
import { HostStore } from '../../lib/adapters/dynamodb/hosts';
import { LogStore } from '../../lib/adapters/dynamodb/logs';
import { NotificationStore } from '../../lib/adapters/dynamodb/notifications';
import { ReportPages } from '../../lib/adapters/dynamodb/report-pages';
import { ReportStore } from '../../lib/adapters/dynamodb/reports';
import { SilenceStore } from '../../lib/adapters/dynamodb/silences';
import { ERROR_ATTRIBUTE, Quarantine } from '../../lib/adapters/sqs/quarantine';
import { StatsStore } from '../../lib/adapters/dynamodb/stats';
import { SsmSecretStore } from '../../lib/adapters/ssm/secrets';
import { channelsContract } from '../contract/channels.contract';
import { checksContract } from '../contract/checks.contract';
import { alertsContract, heartbeatQueueContract, quarantineContract, secretsContract } from '../contract/gateways.contract';
import { hostsContract } from '../contract/hosts.contract';
import { keysContract } from '../contract/keys.contract';
import { logsContract } from '../contract/logs.contract';
import { logRulesContract } from '../contract/log-rules.contract';
import { LogRuleStore } from '../../lib/adapters/dynamodb/log-rules';
import { hostPagesContract, reportPagesContract } from '../contract/pages.contract';
import { notificationsContract } from '../contract/notifications.contract';
import { reportsContract } from '../contract/reports.contract';
import { silencesContract } from '../contract/silences.contract';
import { statusPagesContract } from '../contract/status-pages.contract';
import { StatusPageStore } from '../../lib/adapters/dynamodb/status-pages';
import { statsContract } from '../contract/stats.contract';
import { ENGINE, startTestCloud, type TestCloud } from '../../tools/harness/cloud';
import { tableName } from '../../tools/harness/day-world';
import { drain } from '../support/then';

/**
 * The contract suites on the DynamoDB, SQS and SNS adapters, through the real SDK to the engines
 * under test (dynalite, or DynamoDB Local with DTS_TEST_ENGINE=dynamodb-local; fauxqs): the
 * behaviour the in-memory adapters (tools/memory) are held to in test/unit/contract-memory.test.ts.
 */
let cloud: TestCloud;
beforeAll(async () => {
  cloud = await startTestCloud();
});
afterAll(async () => cloud?.stop());

/** Delete every item of a table, so that each test starts from an empty one. */
async function emptied(table: string): Promise<string> {
  const { ddb } = cloud.clients;
  const described = await ddb.send(new DescribeTableCommand({ TableName: table }));
  const keys = (described.Table?.KeySchema ?? []).map((k) => k.AttributeName as string);
  let start: Record<string, unknown> | undefined;
  do {
    const page = await ddb.send(new ScanCommand({ TableName: table, ProjectionExpression: keys.map((_, i) => `#k${i}`).join(', '), ExpressionAttributeNames: Object.fromEntries(keys.map((k, i) => [`#k${i}`, k])), ExclusiveStartKey: start }));
    const items = page.Items ?? [];
    for (let i = 0; i < items.length; i += 25) {
      await ddb.send(new BatchWriteCommand({ RequestItems: { [table]: items.slice(i, i + 25).map((Key) => ({ DeleteRequest: { Key } })) } }));
    }
    start = page.LastEvaluatedKey;
  } while (start);
  return table;
}

describe(`the DynamoDB adapters on ${ENGINE}`, () => {
  hostsContract(async () => new HostStore(cloud.clients.ddb, await emptied(cloud.names.hostsTable)), { disjointSegments: ENGINE !== 'dynamodb-local' });
  statsContract(async () => new StatsStore(cloud.clients.ddb, await emptied(cloud.names.statsTable)));
  notificationsContract(async () => new NotificationStore(cloud.clients.ddb, await emptied(cloud.names.notificationsTable), 30));
  silencesContract(async () => new SilenceStore(cloud.clients.ddb, await emptied(cloud.names.silencesTable)));
  statusPagesContract(async () => new StatusPageStore(cloud.clients.ddb, await emptied(tableName(cloud, 'status'))));
  reportsContract(async () => new ReportStore(cloud.clients.ddb, await emptied(cloud.names.reportsTable), 400));
  logsContract(async () => new LogStore(cloud.clients.ddb, await emptied(cloud.names.logsTable)));
  logRulesContract(async () => new LogRuleStore(cloud.clients.ddb, await emptied(cloud.names.statsTable), () => cloud.clients.ddbRaw));
  channelsContract(async () => new ChannelStore(cloud.clients.ddb, await emptied(tableName(cloud, 'channels'))));
  keysContract(async () => new ApiKeyStore(cloud.clients.ddb, await emptied(cloud.names.apiKeysTable)));
  checksContract(async () => new CheckStore(cloud.clients.ddb, await emptied(cloud.names.checksTable)));
  // The API's pages read the tables their stores write: one object that is both, as the memory adapter is.
  hostPagesContract(async () => {
    const table = await emptied(cloud.names.hostsTable);
    const pages = new HostPages(cloud.clients.ddb, table);
    return Object.assign(new HostStore(cloud.clients.ddb, table), { page: pages.page.bind(pages) });
  });
  reportPagesContract(async () => {
    const table = await emptied(cloud.names.reportsTable);
    const pages = new ReportPages(cloud.clients.ddb, table);
    return Object.assign(new ReportStore(cloud.clients.ddb, table, 400), { page: pages.page.bind(pages) });
  });
});

let queues = 0;
/** A queue of this test's own, so that nothing else reads or counts its messages. */
async function freshQueue(): Promise<string> {
  const out = await cloud.clients.sqs.send(new CreateQueueCommand({ QueueName: `contract-${process.pid}-${++queues}`, Attributes: { VisibilityTimeout: '30' } }));
  return out.QueueUrl as string;
}

describe('the SQS, SNS and SSM adapters on the local cloud', () => {
  alertsContract(async () => {
    await drain(cloud, cloud.names.alertsQueueUrl);
    return {
      port: new AlertPublisher(cloud.clients.sns, cloud.names.alertsTopicArn),
      async sent() {
        const bodies = (await drain(cloud, cloud.names.alertsQueueUrl)).map((m) => JSON.parse(m.Body ?? '{}') as {
          Subject?: string; Message: string; MessageAttributes?: Record<string, { Value: string }>;
        });
        const attr = (b: (typeof bodies)[number], name: string) => b.MessageAttributes?.[name]?.Value ?? '';
        return {
          notifications: bodies.filter((b) => attr(b, 'kind') !== 'report').map((b) => ({ id: attr(b, 'id'), hostname: attr(b, 'hostname'), kind: attr(b, 'kind'), severity: attr(b, 'severity') })),
          reports: bodies.filter((b) => attr(b, 'kind') === 'report').map((b) => ({ subject: b.Subject ?? '', id: attr(b, 'id'), bytes: Buffer.byteLength(b.Message) })),
        };
      },
    };
  });
  quarantineContract(async () => {
    const url = await freshQueue();
    return {
      port: new Quarantine(cloud.clients.sqs, url),
      async sent() {
        const out = [];
        for (;;) {
          const page = await cloud.clients.sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, MessageAttributeNames: ['All'], VisibilityTimeout: 300 }));
          if (!page.Messages?.length) break;
          out.push(...page.Messages);
        }
        // One sender, sent one after another: SQS's order, which a standard queue does not promise, is restored by size.
        return out.map((m) => ({ body: m.Body ?? '', reason: m.MessageAttributes?.[ERROR_ATTRIBUTE]?.StringValue })).sort((a, b) => a.body.length - b.body.length);
      },
    };
  });
  heartbeatQueueContract(async () => new SqsHeartbeatQueue(cloud.clients.sqs, await freshQueue()));
  // The local cloud answers SSM Parameter Store at its edge (tools/local/ssm.ts), as AWS does.
  secretsContract(async () => new SsmSecretStore(new SSMClient({
    endpoint: cloud.env.AWS_ENDPOINT_URL_SQS, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  })));
});
