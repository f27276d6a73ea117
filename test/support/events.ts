/** Lambda event shapes, built as the SQS and EventBridge integrations deliver them. */
import { randomUUID } from 'node:crypto';
import type { Context, ScheduledEvent, SQSEvent, SQSRecord } from 'aws-lambda';

export interface RecordOptions {
  /** SQS SentTimestamp in ms; defaults to now. */
  sentAt?: number;
  messageId?: string;
  type?: string;
  receiveCount?: number;
  queueArn?: string;
}

export function sqsRecord(body: string, o: RecordOptions = {}): SQSRecord {
  const sent = String(Math.round(o.sentAt ?? Date.now()));
  return {
    messageId: o.messageId ?? randomUUID(),
    receiptHandle: randomUUID(),
    body,
    attributes: {
      ApproximateReceiveCount: String(o.receiveCount ?? 1),
      SentTimestamp: sent,
      SenderId: 'AIDAEXAMPLE',
      ApproximateFirstReceiveTimestamp: sent,
    },
    messageAttributes: o.type ? { 'dts-type': { stringValue: o.type, dataType: 'String', stringListValues: [], binaryListValues: [] } } : {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: o.queueArn ?? 'arn:aws:sqs:us-east-1:000000000000:dts-test-queue',
    awsRegion: 'us-east-1',
  };
}

export function sqsEvent(records: SQSRecord[]): SQSEvent {
  return { Records: records };
}

export function scheduledEvent(time = new Date()): ScheduledEvent {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: '000000000000',
    time: time.toISOString(),
    region: 'us-east-1',
    resources: ['arn:aws:events:us-east-1:000000000000:rule/dts-test-diagnose'],
    detail: {},
  };
}

export function lambdaContext(functionName: string, timeoutMs = 30_000): Context {
  const deadline = Date.now() + timeoutMs;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${functionName}`,
    memoryLimitInMB: '256',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'test',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
