import { beforeAll, describe, expect, it } from 'vitest';
import { arnFitsFormat } from '../../tools/validate/arn';
import type { Finding, Template } from '../../tools/validate/findings';
import { validateTemplate } from '../../tools/validate/validate';
import { packagedTemplate } from '../../tools/harness/template';

/**
 * The validator bites: one mistake at a time is planted into a copy of the real packaged template,
 * and the validator names it with its resource and path. The unplanted template has no finding,
 * so each finding below is the planted mistake's.
 */

let real: Template;
beforeAll(async () => {
  real = (await packagedTemplate('test')) as unknown as Template;
}, 180_000);

type Mutable = { Resources: Record<string, { Properties: Record<string, unknown> }> };
async function plant(mistake: (t: Mutable) => void): Promise<Finding[]> {
  const copy = structuredClone(real) as unknown as Mutable;
  mistake(copy);
  return validateTemplate(copy as unknown as Template, { stackName: 'dts-test' });
}
/** The statements of a role's one inline policy. */
const statements = (t: Mutable, role: string): Record<string, unknown>[] => {
  const policies = t.Resources[role]?.Properties.Policies as { PolicyDocument: { Statement: Record<string, unknown>[] } }[];
  return policies[0]?.PolicyDocument.Statement ?? [];
};
/** The statement of a role that grants `action`. */
const grantOf = (t: Mutable, role: string, action: string): Record<string, unknown> => {
  const s = statements(t, role).find((x) => ([] as unknown[]).concat(x.Action).includes(action));
  if (!s) throw new Error(`${role} grants no ${action}`);
  return s;
};

describe('the validator on the real template', () => {
  it('finds nothing in the template as it is packaged', async () => {
    expect(await validateTemplate(real, { stackName: 'dts-test' })).toEqual([]);
  });
});

describe('a planted mistake is named with its resource and path', () => {
  it('an unknown property', async () => {
    const found = await plant((t) => {
      (t.Resources.HostsTable as { Properties: Record<string, unknown> }).Properties.BillingMod = 'PAY_PER_REQUEST';
    });
    expect(found).toEqual([expect.objectContaining({
      resource: 'HostsTable', path: 'Resources.HostsTable.Properties.BillingMod', check: 'property', message: 'AWS::DynamoDB::Table has no property BillingMod',
    })]);
  });

  it('an unknown property inside a nested type', async () => {
    const found = await plant((t) => {
      const ttl = t.Resources.LogsTable?.Properties.TimeToLiveSpecification as Record<string, unknown>;
      ttl.AttributeNames = ttl.AttributeName;
    });
    expect(found).toEqual([expect.objectContaining({ path: 'Resources.LogsTable.Properties.TimeToLiveSpecification.AttributeNames', check: 'property' })]);
  });

  it('a wrong type', async () => {
    const found = await plant((t) => {
      (t.Resources.HeartbeatsQueue as { Properties: Record<string, unknown> }).Properties.VisibilityTimeout = 'six times the timeout';
    });
    expect(found).toEqual([expect.objectContaining({
      resource: 'HeartbeatsQueue', path: 'Resources.HeartbeatsQueue.Properties.VisibilityTimeout', check: 'type',
      message: 'expected an integer, got the string "six times the timeout"',
    })]);
  });

  it('a list where a structure is expected, inside a list', async () => {
    const found = await plant((t) => {
      const indexes = t.Resources.LogsTable?.Properties.GlobalSecondaryIndexes as Record<string, unknown>[];
      (indexes[1] as Record<string, unknown>).Projection = ['ALL'];
    });
    expect(found).toEqual([expect.objectContaining({ path: 'Resources.LogsTable.Properties.GlobalSecondaryIndexes[1].Projection', check: 'type' })]);
  });

  it('a missing required property', async () => {
    const found = await plant((t) => {
      delete t.Resources.NotifySubscription?.Properties.Protocol;
    });
    expect(found).toEqual([expect.objectContaining({
      resource: 'NotifySubscription', path: 'Resources.NotifySubscription.Properties.Protocol', check: 'required', message: 'AWS::SNS::Subscription requires Protocol',
    })]);
  });

  it('a bad Fn::GetAtt', async () => {
    const found = await plant((t) => {
      const alarm = t.Resources.HeartbeatsBacklogAlarm?.Properties.Dimensions as { Value: unknown }[];
      (alarm[0] as { Value: unknown }).Value = { 'Fn::GetAtt': ['HeartbeatsQueue', 'Name'] };
    });
    expect(found).toEqual([expect.objectContaining({
      resource: 'HeartbeatsBacklogAlarm', path: 'Resources.HeartbeatsBacklogAlarm.Properties.Dimensions[0].Value.Fn::GetAtt', check: 'getatt',
      message: 'Fn::GetAtt HeartbeatsQueue.Name: AWS::SQS::Queue has no attribute Name (it has: Arn, QueueName, QueueUrl)',
    })]);
  });

  it('a Ref to a resource that is not there', async () => {
    const found = await plant((t) => {
      (t.Resources.NotifySubscription as { Properties: Record<string, unknown> }).Properties.TopicArn = { Ref: 'AlertTopic' };
    });
    expect(found).toEqual([expect.objectContaining({ path: 'Resources.NotifySubscription.Properties.TopicArn.Ref', check: 'ref' })]);
  });

  it('the action dynamodb:PutItemz', async () => {
    const found = await plant((t) => {
      grantOf(t, 'IngestLogsRole', 'dynamodb:PutItem').Action = ['dynamodb:PutItemz', 'dynamodb:UpdateItem'];
    });
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ resource: 'IngestLogsRole', check: 'action', message: 'dynamodb:PutItemz: dynamodb has no action PutItemz' });
    expect(found[0]?.path).toMatch(/^Resources\.IngestLogsRole\.Properties\.Policies\[0\]\.PolicyDocument\.Statement\[\d+\]\.Action\[0\]$/);
  });

  it('the action *', async () => {
    const found = await plant((t) => {
      grantOf(t, 'NotifyRole', 'ssm:GetParameter').Action = '*';
    });
    expect(found).toEqual([expect.objectContaining({ resource: 'NotifyRole', check: 'action', message: 'the action "*" grants everything: name the actions' })]);
  });

  it('an ARN of the wrong kind for an action: a queue for sns:Publish', async () => {
    const found = await plant((t) => {
      grantOf(t, 'ReportRole', 'sns:Publish').Resource = { 'Fn::GetAtt': ['NotifyQueue', 'Arn'] };
    });
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ resource: 'ReportRole', check: 'arn', message: 'arn:aws:sqs:us-east-1:123456789012:notifyqueue is not an ARN sns:Publish acts on (topic)' });
    expect(found[0]?.path).toMatch(/^Resources\.ReportRole\.Properties\.Policies\[0\]\.PolicyDocument\.Statement\[\d+\]\.Resource$/);
  });

  it('an ARN of the wrong kind for an action: an index for dynamodb:PutItem, which acts on the table', async () => {
    const found = await plant((t) => {
      grantOf(t, 'ReportRole', 'dynamodb:PutItem').Resource = { 'Fn::Sub': '${ReportsTable.Arn}/index/byDay' };
    });
    expect(found.map((f) => f.message)).toEqual([
      'arn:aws:dynamodb:us-east-1:123456789012:table/reportstable/index/byDay is a dynamodb index; dynamodb:PutItem acts on table',
      'arn:aws:dynamodb:us-east-1:123456789012:table/reportstable/index/byDay is a dynamodb index; dynamodb:UpdateItem acts on table',
    ]);
  });

  it('a queue named by its URL (Ref) where a policy needs its ARN', async () => {
    const found = await plant((t) => {
      grantOf(t, 'IngestLogsRole', 'sqs:SendMessage').Resource = { Ref: 'LogsDLQ' };
    });
    expect(found).toEqual([expect.objectContaining({ resource: 'IngestLogsRole', check: 'arn', message: 'Ref LogsDLQ is its QueueUrl (AWS::SQS::Queue), not an ARN: a policy names resources by ARN' })]);
  });
});

describe('ARN formats', () => {
  const LOG_STREAM = 'arn:${Partition}:logs:${Region}:${Account}:log-group:${LogGroupName}:log-stream:${LogStreamName}';
  it('a policy wildcard can stand for the rest of a longer ARN', () => {
    expect(arnFitsFormat('arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/dts-test-api:*', LOG_STREAM)).toBe(true);
  });
  it('a different service never fits', () => {
    expect(arnFitsFormat('arn:aws:sqs:us-east-1:123456789012:q', 'arn:${Partition}:sns:${Region}:${Account}:${TopicName}')).toBe(false);
  });
  it('a variable is never empty', () => {
    expect(arnFitsFormat('arn:aws:dynamodb:us-east-1:123456789012:table/', 'arn:${Partition}:dynamodb:${Region}:${Account}:table/${TableName}')).toBe(false);
  });
});
