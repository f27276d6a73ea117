import { PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Silence, SilenceTarget } from '../../domain/model';
import { expiresAt } from './keys';
import { applied } from './conditional';
import type { SilencesPort } from '../../ports';

/**
 * Silences live in one partition (`pk = SILENCE`, `sk = id`): there are few at a time, and
 * diagnose reads them all with one Query per pass. An item expires (TTL) a week after its end,
 * long after diagnose has announced any host still down when it ended.
 */
const PARTITION = 'SILENCE';
const KEEP_DAYS = 7;

type Item = Record<string, unknown>;

function itemToSilence(item: Item): Silence {
  const target: SilenceTarget = item.hostname !== undefined
    ? { hostname: item.hostname as string }
    : item.app !== undefined ? { app: item.app as string }
      : item.rule !== undefined ? { rule: item.rule as string }
        : { label: item.label as string, value: item.value as string };
  return {
    id: item.sk as string,
    target,
    startsAt: Number(item.startsAt),
    endsAt: Number(item.endsAt),
    reason: (item.reason as string | undefined) ?? '',
    ...(item.createdBy !== undefined ? { createdBy: item.createdBy as string } : {}),
    ...(item.closedAt !== undefined ? { closedAt: Number(item.closedAt) } : {}),
  };
}

export class SilenceStore implements SilencesPort {
  constructor(
    private readonly ddb: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  /** Store a silence; false when one with its id exists (the same command, retried). */
  async create(s: Silence): Promise<boolean> {
    return applied(this.ddb.send(new PutCommand({
      TableName: this.table,
      Item: {
        pk: PARTITION,
        sk: s.id,
        ...s.target,
        startsAt: s.startsAt,
        endsAt: s.endsAt,
        reason: s.reason,
        ...(s.createdBy !== undefined ? { createdBy: s.createdBy } : {}),
        expiresAt: expiresAt(s.endsAt, KEEP_DAYS),
      },
      ConditionExpression: 'attribute_not_exists(sk)',
    })));
  }

  /** Every stored silence: in force, future, and ended within the last week. */
  async all(): Promise<Silence[]> {
    const out: Silence[] = [];
    let start: Item | undefined;
    do {
      const page = await this.ddb.send(new QueryCommand({
        TableName: this.table,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': PARTITION },
        ConsistentRead: true,
        ExclusiveStartKey: start,
      }));
      out.push(...(page.Items ?? []).map(itemToSilence));
      start = page.LastEvaluatedKey;
    } while (start);
    return out;
  }

  /** End a silence now. False when there is no such silence, or it had ended already. */
  async end(id: string, now: number): Promise<boolean> {
    return applied(this.ddb.send(new UpdateCommand({
      TableName: this.table,
      Key: { pk: PARTITION, sk: id },
      UpdateExpression: 'SET endsAt = :now, expiresAt = :exp',
      ConditionExpression: 'attribute_exists(sk) AND endsAt > :now',
      ExpressionAttributeValues: { ':now': now, ':exp': expiresAt(now, KEEP_DAYS) },
    })));
  }

  /** Record that diagnose has handled a silence's end. */
  async close(id: string, at: number): Promise<void> {
    await applied(this.ddb.send(new UpdateCommand({
      TableName: this.table,
      Key: { pk: PARTITION, sk: id },
      UpdateExpression: 'SET closedAt = :at',
      ConditionExpression: 'attribute_exists(sk) AND attribute_not_exists(closedAt)',
      ExpressionAttributeValues: { ':at': at },
    })));
  }
}
