/** Reading what the system stored, through the real SDK. */
import { GetCommand, QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { ReceiveMessageCommand, type Message } from '@aws-sdk/client-sqs';
import { expect } from 'vitest';
import type { TestCloud } from '../../tools/harness/cloud';

export async function hostItem(cloud: TestCloud, hostname: string): Promise<Record<string, unknown> | undefined> {
  const out = await cloud.clients.ddb.send(new GetCommand({ TableName: cloud.names.hostsTable, Key: { hostname }, ConsistentRead: true }));
  return out.Item;
}

export async function allItems(cloud: TestCloud, table: string): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await cloud.clients.ddb.send(new ScanCommand({ TableName: table, ExclusiveStartKey: start }));
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
}

export async function notificationsOf(cloud: TestCloud, hostname: string): Promise<Record<string, unknown>[]> {
  const out = await cloud.clients.ddb.send(new QueryCommand({
    TableName: cloud.names.notificationsTable,
    KeyConditionExpression: 'hostname = :h',
    ExpressionAttributeValues: { ':h': hostname },
  }));
  return out.Items ?? [];
}

/** Every message waiting on a queue, received once (and left to reappear). */
export async function drain(cloud: TestCloud, queueUrl: string): Promise<Message[]> {
  const messages: Message[] = [];
  for (;;) {
    const out = await cloud.clients.sqs.send(new ReceiveMessageCommand({
      QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0, MessageAttributeNames: ['All'], VisibilityTimeout: 300,
    }));
    if (!out.Messages?.length) return messages;
    messages.push(...out.Messages);
  }
}

/**
 * The alert topic's `check-late` messages for one check (drained from the test subscriber's
 * queue), with the time each says the check went late: the third part of its id.
 */
export async function publishedLates(cloud: TestCloud, check: string): Promise<number[]> {
  const published = (await drain(cloud, cloud.names.alertsQueueUrl))
    .map((m) => (JSON.parse(m.Body ?? '{}') as { MessageAttributes: Record<string, { Value: string } | undefined> }).MessageAttributes);
  return published
    .filter((a) => a.kind?.Value === 'check-late' && a.hostname?.Value === `check:${check}`)
    .map((a) => Number(a.id?.Value.split('|')[2]));
}

/**
 * A check added at `addedAt` and never pinged: the watch announced each late within 5 s of its
 * deadline (`lateMs`), and exactly one `check-late` was published, at its first deadline (its
 * creation plus `firstDeadlineMs`, the period plus the grace) and within 2 s of it.
 */
export async function expectOneLateAtFirstDeadline(cloud: TestCloud, check: string, addedAt: number, firstDeadlineMs: number, lateMs: readonly number[]): Promise<void> {
  for (const late of lateMs) expect(late).toBeLessThan(5000);
  const lates = await publishedLates(cloud, check);
  expect(lates).toHaveLength(1);
  const at = lates[0] as number;
  expect(at - addedAt).toBeGreaterThanOrEqual(firstDeadlineMs);
  expect(at - addedAt).toBeLessThan(firstDeadlineMs + 2000);
}
