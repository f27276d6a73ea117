/**
 * The notifier function through the real SDK and the emulators: a notification recorded and
 * published on the alerts topic, its SNS envelope as the notifier queue holds it, the handler,
 * a channel whose secret is in (the local cloud's) SSM, and a local receiver.
 */
import { SSMClient } from '@aws-sdk/client-ssm';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { secretRefOf, SsmSecretStore } from '../../lib/adapters/ssm/secrets';
import { notification } from '../../lib/domain/notification/notifications';
import { AlertPublisher } from '../../lib/adapters/sns/alerts';
import { ChannelStore } from '../../lib/adapters/dynamodb/channels';
import { NotificationStore } from '../../lib/adapters/dynamodb/notifications';
import { ERROR_ATTRIBUTE } from '../../lib/adapters/sqs/quarantine';
import { startTestCloud, type TestCloud } from '../../tools/harness/cloud';
import { lambdaContext, sqsEvent, sqsRecord } from '../support/events';
import { startReceiver, type Receiver } from '../support/receivers';
import { drain } from '../support/then';

let cloud: TestCloud;
let hook: Receiver;
let handler: (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;
let channels: ChannelStore;
const TABLE = 'dts-test-channels';
const KEY = 'signing-key-of-the-test';
let dlqUrl: string;

beforeAll(async () => {
  cloud = await startTestCloud();
  hook = await startReceiver('webhook', { key: KEY });
  dlqUrl = cloud.names.logsDlqUrl.replace(/logs-dlq$/, 'notify-dlq');
  Object.assign(process.env, cloud.env, {
    DTS_CHANNELS_TABLE: TABLE, DTS_NOTIFY_DLQ_URL: dlqUrl, AWS_ENDPOINT_URL_SSM: cloud.env.AWS_ENDPOINT_URL_SQS,
    DTS_NOTIFY_BACKOFF_MS: '10', DTS_NOTIFY_ATTEMPTS: '2',
  });
  ({ handler } = await import('../../functions/notify'));
  channels = new ChannelStore(cloud.clients.ddb, TABLE);
  const ssm = new SSMClient({ endpoint: cloud.env.AWS_ENDPOINT_URL_SQS, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  await channels.create({ name: 'hook', kind: 'webhook', filter: 'severity>=warning', secretRef: secretRefOf(TABLE, 'hook'), target: '127.0.0.1/…', createdAt: Date.now() });
  await new SsmSecretStore(ssm).put(secretRefOf(TABLE, 'hook'), { url: `${hook.url}/in`, key: KEY });
  ssm.destroy();
});
afterAll(async () => {
  await hook?.close();
  await cloud?.stop();
});
beforeEach(async () => {
  await drain(cloud, cloud.names.alertsQueueUrl);
});

/** Recorded, published, and taken from a queue subscribed to the topic: the envelope the notifier gets. */
async function published(hostname: string, severity: 'critical' | 'info' = 'critical'): Promise<string> {
  const n = { ...notification(hostname, 'host-down', severity, Date.now(), `${hostname} is down: test`, { lastBeat: new Date().toISOString() }), labels: { role: 'db' } };
  await new NotificationStore(cloud.clients.ddb, cloud.names.notificationsTable, 1).record(n);
  await new AlertPublisher(cloud.clients.sns, cloud.names.alertsTopicArn).publish(n);
  const [message] = await drain(cloud, cloud.names.alertsQueueUrl);
  return message?.Body as string;
}

const invoke = (body: string) => handler(sqsEvent([sqsRecord(body)]), lambdaContext('notify'));

describe('notifier', () => {
  it('delivers a published notification once per channel, however often SQS redelivers it', async () => {
    const body = await published('nt-1');
    expect((await invoke(body)).batchItemFailures).toEqual([]);
    expect((await invoke(body)).batchItemFailures).toEqual([]);
    const got = hook.received.filter((q) => q.raw.includes('nt-1'));
    expect(got).toHaveLength(1);
    expect(got[0]?.problems).toEqual([]);
    expect(got[0]?.body).toMatchObject({ hostname: 'nt-1', kind: 'host-down', action: 'open', labels: { role: 'db' } });
    expect((await channels.get('hook'))?.lastSuccessAt).toBeGreaterThan(0);
  });

  it('skips channels whose filter does not take it', async () => {
    const body = await published('nt-info', 'info');
    expect((await invoke(body)).batchItemFailures).toEqual([]);
    expect(hook.received.filter((q) => q.raw.includes('nt-info'))).toEqual([]);
  });

  it('fails the message while the receiver answers 5xx, records the error, and delivers on the redelivery', async () => {
    const body = await published('nt-2');
    hook.queue({ status: 503 }, { status: 502 });
    // The only record failed, so the whole invocation fails (Powertools' full-batch failure) and SQS redelivers.
    await expect(invoke(body)).rejects.toThrow(/All records failed/);
    const failing = await channels.get('hook');
    expect(failing?.lastError).toBe('HTTP 502');
    expect(failing?.failing).toBe(1);
    expect((await invoke(body)).batchItemFailures).toEqual([]);
    expect(hook.received.filter((q) => q.raw.includes('nt-2')).map((q) => q.status)).toEqual([503, 502, 200]);
    expect((await channels.get('hook'))?.failing ?? 0).toBe(0);
  });

  it('sends a message that is not a dts notification to its DLQ at once, with the reason', async () => {
    const result = await invoke('{"Type":"Notification","Message":"hello"}');
    expect(result.batchItemFailures).toEqual([]);
    const [dead] = await drain(cloud, dlqUrl);
    expect(dead?.MessageAttributes?.[ERROR_ATTRIBUTE]?.StringValue).toMatch(/not a dts notification/);
  });
});
