/**
 * Creates the plan's tables, queues, topics and subscriptions through the AWS APIs of the local
 * edge. It is idempotent: a table that exists keeps its data (its key schema is checked against
 * the template), and a queue or topic that exists is left as it is.
 */
import {
  CreateTableCommand, DescribeTableCommand, DynamoDBClient, ResourceNotFoundException, type CreateTableCommandInput,
} from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import type { LocalPlan, QueuePlan } from './template/plan';

export interface AwsClients {
  readonly dynamodb: DynamoDBClient;
  readonly sqs: SQSClient;
  readonly sns: SNSClient;
}

export function clientsFor(endpoint: string, region: string): AwsClients {
  const config = { endpoint, region, credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 3 };
  return { dynamodb: new DynamoDBClient(config), sqs: new SQSClient(config), sns: new SNSClient(config) };
}

export interface ProvisionReport {
  readonly tablesCreated: string[];
  readonly tablesKept: string[];
  readonly notices: string[];
}

export async function provision(plan: LocalPlan, clients: AwsClients): Promise<ProvisionReport> {
  const report: ProvisionReport = { tablesCreated: [], tablesKept: [], notices: [] };
  await Promise.all(plan.tables.map(async (table) => {
    const existing = await clients.dynamodb.send(new DescribeTableCommand({ TableName: table.name })).catch((e: unknown) => {
      if (e instanceof ResourceNotFoundException) return undefined;
      throw e;
    });
    if (!existing?.Table) {
      await clients.dynamodb.send(new CreateTableCommand(table.createTable as unknown as CreateTableCommandInput));
      report.tablesCreated.push(table.name);
      return;
    }
    report.tablesKept.push(table.name);
    const want = JSON.stringify(table.createTable.KeySchema);
    const have = JSON.stringify(existing.Table.KeySchema);
    const wantIndexes = ((table.createTable.GlobalSecondaryIndexes as Array<{ IndexName: string }> | undefined) ?? []).map((i) => i.IndexName).sort();
    const haveIndexes = (existing.Table.GlobalSecondaryIndexes ?? []).map((i) => i.IndexName ?? '').sort();
    if (want !== have || JSON.stringify(wantIndexes) !== JSON.stringify(haveIndexes)) {
      report.notices.push(`${table.name}: the table in the data directory differs from the template (keys or indexes); delete the data directory to recreate it`);
    }
  }));
  // Dead-letter queues first: a RedrivePolicy names its target by ARN.
  const ordered = [...plan.queues].sort((a, b) => Number(isRedriven(a)) - Number(isRedriven(b)));
  for (const queue of ordered) {
    await clients.sqs.send(new CreateQueueCommand({ QueueName: queue.name, Attributes: queue.attributes }));
  }
  for (const topic of plan.topics) {
    await clients.sns.send(new CreateTopicCommand({ Name: topic.name, Attributes: topic.attributes }));
  }
  for (const sub of plan.subscriptions) {
    if (sub.protocol !== 'sqs') {
      report.notices.push(`${sub.logicalId}: ${sub.protocol} subscriptions are not delivered locally (only sqs)`);
      continue;
    }
    await clients.sns.send(new SubscribeCommand({ TopicArn: sub.topicArn, Protocol: sub.protocol, Endpoint: sub.endpoint, Attributes: sub.attributes }));
  }
  return report;
}

function isRedriven(queue: QueuePlan): boolean {
  return queue.attributes.RedrivePolicy !== undefined;
}
