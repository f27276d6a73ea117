/**
 * The local cloud's fault injection, through the real AWS SDK: each kind of fault reaches the
 * client in the shape AWS gives it, so the SDK classifies and retries it as it would in AWS.
 * Kills of function workers are in test/e2e/faults.test.ts (they need the Lambda runtime).
 */
import { BatchWriteItemCommand, CreateTableCommand, DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, SendMessageBatchCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { CreateTopicCommand, PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startEdge, type Edge } from '../../tools/local/engines/edge';
import { FaultInjector } from '../../tools/local/faults/injector';
import { parseFaultSpec } from '../../tools/local/faults/spec';
import { faults as control } from '../e2e/support/faults';

const REGION = 'us-east-1';
let edge: Edge;
let queueUrl: string;
let topicArn: string;

function clients(maxAttempts: number) {
  const config = { endpoint: edge.endpoint, region: REGION, credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts };
  return { ddb: new DynamoDBClient(config), sqs: new SQSClient(config), sns: new SNSClient(config) };
}
let once: ReturnType<typeof clients>;
let retrying: ReturnType<typeof clients>;

const item = (id: string) => ({ id: { S: id } });
async function stored(id: string): Promise<boolean> {
  const { Item } = await once.ddb.send(new GetItemCommand({ TableName: 'faults-t', Key: item(id), ConsistentRead: true }));
  return Item !== undefined;
}
async function errorOf(p: Promise<unknown>): Promise<{ name: string; status?: number; attempts?: number }> {
  try {
    await p;
  } catch (e) {
    const err = e as { name: string; $metadata?: { httpStatusCode?: number; attempts?: number } };
    return { name: err.name, status: err.$metadata?.httpStatusCode, attempts: err.$metadata?.attempts };
  }
  throw new Error('the call succeeded');
}

beforeAll(async () => {
  edge = await startEdge({ port: 0, host: '127.0.0.1', region: REGION, dynamoDbPath: undefined });
  once = clients(1);
  retrying = clients(4);
  await once.ddb.send(new CreateTableCommand({
    TableName: 'faults-t', BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }], KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
  }));
  queueUrl = (await once.sqs.send(new CreateQueueCommand({ QueueName: 'faults-q' }))).QueueUrl as string;
  topicArn = (await once.sns.send(new CreateTopicCommand({ Name: 'faults-topic' }))).TopicArn as string;
});
afterEach(() => edge.faults.clear());
afterAll(async () => {
  for (const c of [once, retrying]) Object.values(c).forEach((x) => x.destroy());
  await edge.drain(1000);
  await edge.close();
});

describe('fault injection at the edge, seen through the AWS SDK', () => {
  it('throttles DynamoDB with ProvisionedThroughputExceededException, which the SDK retries', async () => {
    edge.faults.add('dynamodb:PutItem@faults-t=throttle,count=2');
    const refused = await errorOf(once.ddb.send(new PutItemCommand({ TableName: 'faults-t', Item: item('a') })));
    expect(refused).toMatchObject({ name: 'ProvisionedThroughputExceededException', status: 400 });
    expect(await stored('a')).toBe(false);
    // One throttle left: the retrying client gets through on its second attempt.
    const ok = await retrying.ddb.send(new PutItemCommand({ TableName: 'faults-t', Item: item('a') }));
    expect(ok.$metadata.attempts).toBe(2);
    expect(await stored('a')).toBe(true);
    expect(edge.faults.list()[0]).toMatchObject({ injected: 2, active: false });
  });

  it('selects by table: another table is untouched', async () => {
    edge.faults.add('dynamodb:*@other-table=5xx');
    await once.ddb.send(new PutItemCommand({ TableName: 'faults-t', Item: item('b') }));
    expect(await stored('b')).toBe(true);
    expect(edge.faults.list()[0]?.matched).toBe(0);
  });

  it('answers 5xx as InternalServerError, and `after` lets the first calls through', async () => {
    edge.faults.add('dynamodb:PutItem=5xx,after=1,count=1');
    await once.ddb.send(new PutItemCommand({ TableName: 'faults-t', Item: item('c1') }));
    expect(await errorOf(once.ddb.send(new PutItemCommand({ TableName: 'faults-t', Item: item('c2') })))).toMatchObject({ name: 'InternalServerError', status: 500 });
    await once.ddb.send(new PutItemCommand({ TableName: 'faults-t', Item: item('c3') }));
    expect([await stored('c1'), await stored('c2'), await stored('c3')]).toEqual([true, false, true]);
  });

  it('hands every BatchWriteItem item back as UnprocessedItems, writing none', async () => {
    edge.faults.add('dynamodb:BatchWriteItem=unprocessed,count=1');
    const reply = await once.ddb.send(new BatchWriteItemCommand({ RequestItems: { 'faults-t': [{ PutRequest: { Item: item('d') } }] } }));
    expect(reply.UnprocessedItems?.['faults-t']).toHaveLength(1);
    expect(await stored('d')).toBe(false);
  });

  it('resets the connection (unavailable): nothing is written, and the SDK retries it as a network error', async () => {
    edge.faults.add('dynamodb:PutItem=unavailable,count=1');
    const refused = await errorOf(once.ddb.send(new PutItemCommand({ TableName: 'faults-t', Item: item('e') })));
    expect(refused.name).not.toBe('ProvisionedThroughputExceededException');
    expect(await stored('e')).toBe(false);
    edge.faults.add('dynamodb:PutItem=unavailable,count=1');
    const ok = await retrying.ddb.send(new PutItemCommand({ TableName: 'faults-t', Item: item('e') }));
    expect(ok.$metadata.attempts).toBe(2);
    expect(await stored('e')).toBe(true);
  });

  it('adds latency', async () => {
    edge.faults.add('sqs:SendMessage=latency:300ms');
    const started = Date.now();
    await once.sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'slow' }));
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
  });

  it('throttles and fails SQS sends in SQS\'s shapes; a glob covers SendMessageBatch', async () => {
    edge.faults.add('sqs:SendMessage*@faults-q=throttle,count=2');
    expect(await errorOf(once.sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'x' })))).toMatchObject({ name: 'RequestThrottled' });
    expect(await errorOf(once.sqs.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: [{ Id: '1', MessageBody: 'x' }] })))).toMatchObject({ name: 'RequestThrottled' });
    edge.faults.replace('sqs:SendMessage=5xx,count=1');
    expect(await errorOf(once.sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'x' })))).toMatchObject({ status: 503 });
    edge.faults.replace('sqs:SendMessage=5xx,count=1');
    const ok = await retrying.sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'x' }));
    expect(ok.$metadata.attempts).toBe(2);
  });

  it('throttles and fails SNS Publish in SNS\'s shapes', async () => {
    edge.faults.add('sns:Publish@faults-topic=throttle,count=1; sns:Publish=5xx,count=1');
    expect(await errorOf(once.sns.send(new PublishCommand({ TopicArn: topicArn, Message: 'm' })))).toMatchObject({ name: 'ThrottledException', status: 429 });
    expect(await errorOf(once.sns.send(new PublishCommand({ TopicArn: topicArn, Message: 'm' })))).toMatchObject({ name: 'InternalErrorException', status: 500 });
    expect((await once.sns.send(new PublishCommand({ TopicArn: topicArn, Message: 'm' }))).MessageId).toBeDefined();
  });

  it('ends a rule after its window', async () => {
    edge.faults.add('sqs:SendMessage=throttle,for=200ms');
    expect(await errorOf(once.sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'x' })))).toMatchObject({ name: 'RequestThrottled' });
    await new Promise((r) => setTimeout(r, 250));
    await once.sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'x' }));
    expect(edge.faults.list()[0]?.active).toBe(false);
  });

  it('is driven over HTTP at /_dts/faults, and refuses a bad spec with a clear message', async () => {
    const [added] = await control.add(edge.endpoint, 'dynamodb:GetItem=throttle,rate=0.5');
    expect(added).toMatchObject({ id: expect.stringMatching(/^f\d+$/), rule: 'dynamodb:GetItem=throttle,rate=0.5', active: true });
    expect(await control.list(edge.endpoint)).toHaveLength(1);
    await expect(control.add(edge.endpoint, 'dynamodb:PutItem=explode')).rejects.toThrow(/400 .*unknown action "explode"/);
    await control.remove(edge.endpoint, added?.id as string);
    expect(await control.list(edge.endpoint)).toEqual([]);
    await control.set(edge.endpoint, 'sqs:SendMessage=5xx; sns:Publish=throttle');
    expect(await control.list(edge.endpoint)).toHaveLength(2);
    await control.clear(edge.endpoint);
    expect(await control.list(edge.endpoint)).toEqual([]);
  });
});

describe('the fault spec', () => {
  it('reads every action and option', () => {
    const rules = parseFaultSpec('dynamodb:BatchWriteItem@dts-local-logs=throttle,rate=0.25,count=3,after=2,for=1.5s; sqs:*=latency:2s;sns:Publish=kill-after,function=diagnose');
    expect(rules.map((r) => r.text)).toEqual([
      'dynamodb:BatchWriteItem@dts-local-logs=throttle,rate=0.25,count=3,after=2,for=1500ms',
      'sqs:*=latency:2000ms',
      'sns:Publish=kill-after,function=diagnose',
    ]);
    expect(rules[0]).toMatchObject({ service: 'dynamodb', operation: 'BatchWriteItem', resource: 'dts-local-logs', rate: 0.25, count: 3, after: 2, forMs: 1500 });
  });

  it('names what is wrong', () => {
    expect(() => parseFaultSpec('dynamo:PutItem=throttle')).toThrow(/unknown service dynamo/);
    expect(() => parseFaultSpec('dynamodb:PutItem=throttle,rate=2')).toThrow(/rate must be between 0 and 1/);
    expect(() => parseFaultSpec('dynamodb:PutItem')).toThrow(/no =ACTION/);
    expect(() => parseFaultSpec('dynamodb:PutItem=throttle,often=yes')).toThrow(/unknown option often/);
  });

  it('faults at the given rate', () => {
    let n = 0;
    const random = () => ((n++ % 4) + 0.5) / 4; // 0.125, 0.375, 0.625, 0.875, ...
    const injector = new FaultInjector(random);
    injector.add('sqs:SendMessage=throttle,rate=0.5');
    const faulted = Array.from({ length: 8 }, () => injector.decide({ service: 'sqs', operation: 'SendMessage', resources: ['q'] }).fault !== undefined);
    expect(faulted.filter(Boolean)).toHaveLength(4);
  });

  it('kills only calls made by a function worker', () => {
    const injector = new FaultInjector();
    injector.attach({ functionOf: (key) => (key === 'W1' ? 'dts-local-diagnose' : undefined), kill: async () => true });
    injector.add('dynamodb:PutItem=kill-after,function=diagnose');
    expect(injector.decide({ service: 'dynamodb', operation: 'PutItem', resources: ['t'], accessKeyId: 'test' }).fault).toBeUndefined();
    expect(injector.decide({ service: 'dynamodb', operation: 'PutItem', resources: ['t'], accessKeyId: 'W1' }).fault?.action.kind).toBe('kill-after');
  });
});
