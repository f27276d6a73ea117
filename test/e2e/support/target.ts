/**
 * What the end-to-end suite runs against: its own local cloud (the default), or any endpoint that
 * already has the stack deployed, e.g. LocalStack after `npm run deploy:localstack`:
 *
 *   DTS_ENDPOINT=http://localhost:4566 npm run test:e2e
 *
 * Against an external endpoint, resource names come from DTS_* variables when set, else from the
 * outputs of the CloudFormation stack DTS_STACK_NAME (default dts-local).
 */
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';

export interface Resources {
  readonly heartbeatsQueueUrl: string;
  readonly heartbeatsDlqUrl: string;
  readonly logsQueueUrl: string;
  readonly logsDlqUrl: string;
  readonly hostsTable: string;
  readonly logsTable: string;
  readonly notificationsTable: string;
}

export interface Target {
  readonly endpoint: string;
  readonly resources: Resources;
  readonly sqs: SQSClient;
  readonly ddb: DynamoDBDocumentClient;
  destroy(): void;
}

/** Set when the suite runs against an endpoint it did not start. */
export const EXTERNAL_ENDPOINT = process.env.DTS_ENDPOINT;
export const REGION = process.env.AWS_REGION ?? 'us-east-1';

const OUTPUTS: Record<keyof Resources, [env: string, output: string]> = {
  heartbeatsQueueUrl: ['DTS_HEARTBEATS_QUEUE_URL', 'HeartbeatsQueueUrl'],
  heartbeatsDlqUrl: ['DTS_HEARTBEATS_DLQ_URL', 'HeartbeatsDLQUrl'],
  logsQueueUrl: ['DTS_LOGS_QUEUE_URL', 'LogsQueueUrl'],
  logsDlqUrl: ['DTS_LOGS_DLQ_URL', 'LogsDLQUrl'],
  hostsTable: ['DTS_HOSTS_TABLE', 'HostsTableName'],
  logsTable: ['DTS_LOGS_TABLE', 'LogsTableName'],
  notificationsTable: ['DTS_NOTIFICATIONS_TABLE', 'NotificationsTableName'],
};

const credentials = { accessKeyId: process.env.AWS_ACCESS_KEY_ID ?? 'test', secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY ?? 'test' };

/** Reads the stack's outputs, or the DTS_* variables that override them. */
export async function resourcesAt(endpoint: string, stackName = process.env.DTS_STACK_NAME ?? 'dts-local'): Promise<Resources> {
  const fromEnv = Object.fromEntries(Object.entries(OUTPUTS).map(([k, [env]]) => [k, process.env[env]]));
  if (Object.values(fromEnv).every((v) => v)) return fromEnv as unknown as Resources;
  const cfn = new CloudFormationClient({ endpoint, region: REGION, credentials });
  try {
    const { Stacks } = await cfn.send(new DescribeStacksCommand({ StackName: stackName }));
    const outputs = Object.fromEntries((Stacks?.[0]?.Outputs ?? []).map((o) => [o.OutputKey, o.OutputValue]));
    return Object.fromEntries(Object.entries(OUTPUTS).map(([k, [env, output]]) => {
      const value = process.env[env] ?? outputs[output];
      if (!value) throw new Error(`no ${env} and no output ${output} on stack ${stackName} at ${endpoint}`);
      return [k, value];
    })) as unknown as Resources;
  } finally {
    cfn.destroy();
  }
}

/** The local cloud prints its resources as export lines; this reads them back. */
export function resourcesFromOutput(output: string): Resources {
  const exported = Object.fromEntries([...output.matchAll(/export (DTS_[A-Z_]+)=(\S+)/g)].map((m) => [m[1], m[2]]));
  return Object.fromEntries(Object.entries(OUTPUTS).map(([k, [env]]) => {
    const value = exported[env];
    if (!value) throw new Error(`the local cloud did not print ${env}`);
    return [k, value];
  })) as unknown as Resources;
}

export function targetAt(endpoint: string, resources: Resources): Target {
  const config = { endpoint, region: REGION, credentials };
  const sqs = new SQSClient(config);
  const dynamodb = new DynamoDBClient(config);
  const ddb = DynamoDBDocumentClient.from(dynamodb);
  return { endpoint, resources, sqs, ddb, destroy: () => { sqs.destroy(); dynamodb.destroy(); } };
}
