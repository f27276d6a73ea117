import { DeleteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Channel, ChannelKind } from '../../domain/channel/channel';
import { applied } from './conditional';
import type { ChannelsPort } from '../../ports';

/**
 * The channels table: the channels (pk `channel`, sk its name) and one delivery record per
 * notification and channel (pk `delivery#<channel>`, sk the notification id), which makes a
 * redelivered notification skip the channels it already reached. Delivery records expire.
 * Nothing secret is kept here: a channel names its SSM parameter.
 */
const CHANNEL_PK = 'channel';
const deliveryPk = (channel: string): string => `delivery#${channel}`;

type Item = Record<string, unknown>;

function itemToChannel(item: Item): Channel {
  const n = (k: string): number | undefined => (item[k] === undefined ? undefined : Number(item[k]));
  return {
    name: item.sk as string,
    kind: item.kind as ChannelKind,
    filter: (item.filter as string | undefined) ?? '',
    secretRef: item.secretRef as string,
    target: item.target as string,
    createdAt: Number(item.createdAt),
    ...(item.createdBy ? { createdBy: item.createdBy as string } : {}),
    ...(n('lastSuccessAt') !== undefined ? { lastSuccessAt: n('lastSuccessAt') as number } : {}),
    ...(n('lastErrorAt') !== undefined ? { lastErrorAt: n('lastErrorAt') as number } : {}),
    ...(item.lastError ? { lastError: item.lastError as string } : {}),
    ...(n('failing') ? { failing: n('failing') as number } : {}),
  };
}

export class ChannelStore implements ChannelsPort {
  constructor(
    private readonly ddb: DynamoDBDocumentClient,
    readonly table: string,
    private readonly deliveryTtlDays = 14,
  ) {}

  /** False when a channel of that name exists. */
  async create(c: Channel): Promise<boolean> {
    return applied(this.ddb.send(new PutCommand({
      TableName: this.table,
      Item: {
        pk: CHANNEL_PK, sk: c.name, kind: c.kind, filter: c.filter, secretRef: c.secretRef, target: c.target,
        createdAt: c.createdAt, ...(c.createdBy ? { createdBy: c.createdBy } : {}),
      },
      ConditionExpression: 'attribute_not_exists(sk)',
    })));
  }

  async get(name: string): Promise<Channel | undefined> {
    const out = await this.ddb.send(new GetCommand({ TableName: this.table, Key: { pk: CHANNEL_PK, sk: name }, ConsistentRead: true }));
    return out.Item ? itemToChannel(out.Item) : undefined;
  }

  async list(): Promise<Channel[]> {
    const out: Channel[] = [];
    let start: Item | undefined;
    do {
      const page = await this.ddb.send(new QueryCommand({
        TableName: this.table,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': CHANNEL_PK },
        ExclusiveStartKey: start,
      }));
      out.push(...(page.Items ?? []).map(itemToChannel));
      start = page.LastEvaluatedKey;
    } while (start);
    return out;
  }

  /** False when there was no such channel. */
  async remove(name: string): Promise<boolean> {
    return applied(this.ddb.send(new DeleteCommand({
      TableName: this.table, Key: { pk: CHANNEL_PK, sk: name }, ConditionExpression: 'attribute_exists(sk)',
    })));
  }

  async recordSuccess(name: string, at: number): Promise<void> {
    await applied(this.ddb.send(new UpdateCommand({
      TableName: this.table,
      Key: { pk: CHANNEL_PK, sk: name },
      UpdateExpression: 'SET lastSuccessAt = :at, failing = :zero',
      ConditionExpression: 'attribute_exists(sk)',
      ExpressionAttributeValues: { ':at': at, ':zero': 0 },
    })));
  }

  async recordFailure(name: string, at: number, error: string): Promise<void> {
    await applied(this.ddb.send(new UpdateCommand({
      TableName: this.table,
      Key: { pk: CHANNEL_PK, sk: name },
      UpdateExpression: 'SET lastErrorAt = :at, lastError = :e ADD failing :one',
      ConditionExpression: 'attribute_exists(sk)',
      ExpressionAttributeValues: { ':at': at, ':e': error.slice(0, 500), ':one': 1 },
    })));
  }

  /** Whether this notification already reached this channel. */
  async delivered(channel: string, notificationId: string): Promise<boolean> {
    const out = await this.ddb.send(new GetCommand({
      TableName: this.table, Key: { pk: deliveryPk(channel), sk: notificationId }, ConsistentRead: true,
    }));
    return out.Item !== undefined;
  }

  /** Records that it did; false when another delivery recorded it first. */
  async markDelivered(channel: string, notificationId: string, at: number, status: number | undefined): Promise<boolean> {
    return applied(this.ddb.send(new PutCommand({
      TableName: this.table,
      Item: {
        pk: deliveryPk(channel), sk: notificationId, at, ...(status !== undefined ? { status } : {}),
        expiresAt: Math.floor(at / 1000) + this.deliveryTtlDays * 86_400,
      },
      ConditionExpression: 'attribute_not_exists(sk)',
    })));
  }
}
