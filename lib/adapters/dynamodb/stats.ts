import { createHash } from 'node:crypto';
import { GetCommand, PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { LEVEL_NUMBERS, type LogLevel } from '../../domain/model';
import { countersKey, HOST_COUNTS_KEY, MONITOR_KEY } from './keys';
import { HOST_STATES, type HostCounts } from '../../domain/host/counts';
import { applied } from './conditional';
import type { Notification} from '../../domain/model';
import { outboxAttribute, outboxOf, outboxSets } from './outbox-item';
import { MAX_ARRIVALS, type DailyCounts, type Watched, type LevelCounts, type MonitorState, type StatsPort } from '../../ports';

/** The monitor item's attributes for each watch's arrivals, and for its end as it said. */
export const WATCHED: Record<Watched, { readonly arrivals: string; readonly until: string }> = {
  hosts: { arrivals: 'arrivals', until: 'watchingUntil' },
  checks: { arrivals: 'checkArrivals', until: 'checksWatchingUntil' },
};

/** The monitor item's record of what was said of one storm's recovery. */
export function stormAttribute(incident: string): string {
  return `storm_${createHash('sha256').update(incident).digest('hex').slice(0, 24)}`;
}

export class StatsStore implements StatsPort {
  constructor(
    private readonly ddb: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  /**
   * Add one app-day's counts: a single UpdateItem with one ADD per level. It also sets `countDay`,
   * the key of the sparse `byDay` index, which lists a day's apps for reports without a Scan and
   * without a second write.
   */
  async addCounts(app: string, day: string, counts: LevelCounts): Promise<void> {
    const entries = Object.entries(counts).filter(([, n]) => n && n > 0);
    if (entries.length === 0) return;
    const names: Record<string, string> = {};
    const values: Record<string, number | string> = {};
    for (const [level, n] of entries) {
      names[`#l${level}`] = `l${level}`;
      values[`:l${level}`] = n as number;
    }
    await this.ddb.send(new UpdateCommand({
      TableName: this.table,
      Key: { pk: countersKey(app), sk: day },
      UpdateExpression: `SET countDay = :day ADD ${entries.map(([level]) => `#l${level} :l${level}`).join(', ')}`,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: { ...values, ':day': day },
    }));
  }

  /** One app's daily counts from `fromDay` to `toDay` inclusive. */
  async counts(app: string, fromDay: string, toDay: string): Promise<DailyCounts[]> {
    const out: DailyCounts[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.ddb.send(new QueryCommand({
        TableName: this.table,
        KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
        ExpressionAttributeValues: { ':pk': countersKey(app), ':from': fromDay, ':to': toDay },
        ExclusiveStartKey: start,
      }));
      for (const item of page.Items ?? []) {
        const counts = Object.fromEntries(LEVEL_NUMBERS.map((l) => [l, Number(item[`l${l}`] ?? 0)])) as Record<LogLevel, number>;
        out.push({ app, day: item.sk as string, counts });
      }
      start = page.LastEvaluatedKey;
    } while (start);
    return out;
  }

  /** Every app's counts for one UTC day: one Query on the `byDay` index. */
  async countsOn(day: string): Promise<DailyCounts[]> {
    const out: DailyCounts[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.ddb.send(new QueryCommand({
        TableName: this.table,
        IndexName: 'byDay',
        KeyConditionExpression: 'countDay = :day',
        ExpressionAttributeValues: { ':day': day },
        ExclusiveStartKey: start,
      }));
      for (const item of page.Items ?? []) {
        const counts = Object.fromEntries(LEVEL_NUMBERS.map((l) => [l, Number(item[`l${l}`] ?? 0)])) as Record<LogLevel, number>;
        out.push({ app: String(item.pk).slice('APP#'.length), day, counts });
      }
      start = page.LastEvaluatedKey;
    } while (start);
    return out;
  }

  async monitor(): Promise<MonitorState> {
    const out = await this.ddb.send(new GetCommand({ TableName: this.table, Key: MONITOR_KEY, ConsistentRead: true }));
    const item = out.Item ?? {};
    return {
      lastRun: item.lastRun === undefined ? undefined : Number(item.lastRun),
      lastHosts: item.lastHosts === undefined ? undefined : Number(item.lastHosts),
      degraded: item.degraded === true,
      degradedSince: item.degradedSince === undefined ? undefined : Number(item.degradedSince),
      pending: outboxOf(item),
      ingest: {
        ...(item.ingestedThrough === undefined ? {} : { ingestedThrough: Number(item.ingestedThrough) }),
        ...(item.canaryAt === undefined ? {} : { canaryAt: Number(item.canaryAt) }),
        ...(item.holdFrom === undefined ? {} : { holdFrom: Number(item.holdFrom) }),
        ...(item.holdUntil === undefined ? {} : { holdUntil: Number(item.holdUntil) }),
      },
      storms: Object.entries(item)
        .filter(([key, value]) => key.startsWith('storm_') && value !== null && typeof value === 'object')
        .map(([attribute, value]) => {
          const r = value as Record<string, unknown>;
          return { attribute, incident: String(r.incident), back: r.back === undefined ? undefined : Number(r.back), overAt: r.overAt === undefined ? undefined : Number(r.overAt) };
        }),
      arrivals: item.arrivals instanceof Set ? [...(item.arrivals as Set<string>)].sort() : [],
      watchingUntil: item.watchingUntil === undefined ? undefined : Number(item.watchingUntil),
      checkArrivals: item.checkArrivals instanceof Set ? [...(item.checkArrivals as Set<string>)].sort() : [],
      checksWatchingUntil: item.checksWatchingUntil === undefined ? undefined : Number(item.checksWatchingUntil),
    };
  }

  /**
   * Ingest stored a canary that SQS accepted at `sentAt` and diagnose stamped `canaryAt`, after
   * every beat handed to it in the same batch. Of two canaries the one stamped later wins, whichever
   * is stored first, and sets both marks: `canaryAt` never moves back, while `ingestedThrough` may
   * step back by the difference of two sends (overlapping diagnose invocations), which only holds
   * a death back a little longer, never declares one sooner.
   */
  async recordCanary(sentAt: number, canaryAt: number): Promise<void> {
    await applied(this.ddb.send(new UpdateCommand({
      TableName: this.table,
      Key: MONITOR_KEY,
      UpdateExpression: 'SET ingestedThrough = :sent, canaryAt = :canary',
      ConditionExpression: 'attribute_not_exists(ingestedThrough) OR ingestedThrough < :sent OR canaryAt < :canary',
      ExpressionAttributeValues: { ':sent': sentAt, ':canary': canaryAt },
    })));
  }

  /**
   * Ingest could not store beats that SQS accepted from `from` on; SQS hands them out again by
   * `until`, behind what waits then. The hold keeps the earliest such time while it lasts (until
   * a canary sent after its end is stored), and is replaced once over; its end only moves later.
   * Two conditional writes, made only when a beat fails.
   */
  async holdIngest(from: number, until: number): Promise<void> {
    await applied(this.ddb.send(new UpdateCommand({
      TableName: this.table,
      Key: MONITOR_KEY,
      UpdateExpression: 'SET holdFrom = :from',
      ConditionExpression: 'attribute_not_exists(holdFrom) OR holdFrom > :from OR ingestedThrough >= holdUntil',
      ExpressionAttributeValues: { ':from': from },
    })));
    await applied(this.ddb.send(new UpdateCommand({
      TableName: this.table,
      Key: MONITOR_KEY,
      UpdateExpression: 'SET holdUntil = :until',
      ConditionExpression: 'attribute_not_exists(holdUntil) OR holdUntil < :until',
      ExpressionAttributeValues: { ':until': until },
    })));
  }

  /**
   * Flip the monitor's degraded flag. Conditional, so of two overlapping runs exactly one sees
   * the flip succeed and announces it. The announcement (`n`) is committed in the same write.
   */
  async setDegraded(degraded: boolean, at: number, n?: Notification): Promise<boolean> {
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = degraded ? { ':d': true, ':not': false, ':at': at } : { ':d': false, ':not': true };
    const set = [degraded ? 'degraded = :d, degradedSince = :at' : 'degraded = :d', ...(n ? outboxSets([n], at, names, values) : [])];
    return applied(this.ddb.send(new UpdateCommand({
      TableName: this.table,
      Key: MONITOR_KEY,
      UpdateExpression: `SET ${set.join(', ')}${degraded ? '' : ' REMOVE degradedSince'}`,
      ConditionExpression: degraded ? 'attribute_not_exists(degraded) OR degraded = :not' : 'degraded = :not',
      ...(n ? { ExpressionAttributeNames: names } : {}),
      ExpressionAttributeValues: values,
    })));
  }

  /**
   * Commit a step of a storm's end (`over`) or progress (how many of its hosts are back) with its
   * notice, in the monitor item's outbox: conditional on what was last said of that storm (one
   * attribute per storm, `storm_<digest>`), so that of overlapping passes one announces each step,
   * a smaller count never follows a larger one, and nothing follows the end.
   */
  async announceStorm(incident: string, step: number | 'over', at: number, n: Notification): Promise<boolean> {
    const names: Record<string, string> = step === 'over'
      ? { '#s': stormAttribute(incident), '#over': 'overAt' }
      : { '#s': stormAttribute(incident), '#back': 'back', '#over': 'overAt' };
    const values: Record<string, unknown> = step === 'over'
      ? { ':record': { incident, overAt: at } }
      : { ':record': { incident, back: step }, ':back': step };
    const set = ['#s = :record', ...outboxSets([n], at, names, values)];
    return applied(this.ddb.send(new UpdateCommand({
      TableName: this.table,
      Key: MONITOR_KEY,
      UpdateExpression: `SET ${set.join(', ')}`,
      ConditionExpression: step === 'over'
        ? 'attribute_not_exists(#s) OR attribute_not_exists(#s.#over)'
        : 'attribute_not_exists(#s) OR (attribute_not_exists(#s.#over) AND (attribute_not_exists(#s.#back) OR #s.#back < :back))',
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    })));
  }

  /** Forget the records of storms long over (`storm_<digest>` attributes). */
  async forgetStorms(attributes: readonly string[]): Promise<void> {
    if (attributes.length === 0) return;
    await this.ddb.send(new UpdateCommand({
      TableName: this.table,
      Key: MONITOR_KEY,
      UpdateExpression: `REMOVE ${attributes.map((_, i) => `#s${i}`).join(', ')}`,
      ExpressionAttributeNames: Object.fromEntries(attributes.map((a, i) => [`#s${i}`, a])),
    }));
  }

  /**
   * `ADD` to the monitor item's `arrivals` string set, while it holds fewer than MAX_ARRIVALS; the
   * item as it was comes back with the write (no read is billed), saying whether a watch runs.
   */
  async noteArrival(hostname: string, of: Watched = 'hosts'): Promise<{ readonly watchingUntil: number | undefined }> {
    const a = WATCHED[of];
    try {
      const out = await this.ddb.send(new UpdateCommand({
        TableName: this.table,
        Key: MONITOR_KEY,
        UpdateExpression: `ADD ${a.arrivals} :h`,
        ConditionExpression: `attribute_not_exists(${a.arrivals}) OR size(${a.arrivals}) < :max`,
        ExpressionAttributeValues: { ':h': new Set([hostname]), ':max': MAX_ARRIVALS },
        ReturnValues: 'ALL_OLD',
      }));
      const until = out.Attributes?.[a.until] as unknown;
      return { watchingUntil: until === undefined ? undefined : Number(until) };
    } catch (e) {
      if ((e as { name?: string }).name === 'ConditionalCheckFailedException') return { watchingUntil: undefined };
      throw e;
    }
  }

  async forgetArrivals(hostnames: readonly string[], of: Watched = 'hosts'): Promise<void> {
    if (hostnames.length === 0) return;
    await this.ddb.send(new UpdateCommand({
      TableName: this.table,
      Key: MONITOR_KEY,
      UpdateExpression: `DELETE ${WATCHED[of].arrivals} :hs`,
      ExpressionAttributeValues: { ':hs': new Set(hostnames) },
    }));
  }

  /** Never moves `watchingUntil` back, but for the watch that set it, when it stops early. */
  async watching(until: number, ended = false, of: Watched = 'hosts'): Promise<void> {
    const u = WATCHED[of].until;
    await applied(this.ddb.send(new UpdateCommand({
      TableName: this.table,
      Key: MONITOR_KEY,
      UpdateExpression: `SET ${u} = :to`,
      ConditionExpression: ended ? `${u} = :until` : `attribute_not_exists(${u}) OR ${u} < :until`,
      ExpressionAttributeValues: ended ? { ':to': 0, ':until': until } : { ':to': until, ':until': until },
    })));
  }

  /** One conditional write on the monitor item's `arrivalPassAt`: the first caller in `gapMs` wins. */
  async claimArrivalPass(at: number, gapMs: number): Promise<boolean> {
    return applied(this.ddb.send(new UpdateCommand({
      TableName: this.table,
      Key: MONITOR_KEY,
      UpdateExpression: 'SET arrivalPassAt = :at',
      ConditionExpression: 'attribute_not_exists(arrivalPassAt) OR arrivalPassAt <= :before',
      ExpressionAttributeValues: { ':at': at, ':before': at - gapMs },
    })));
  }

  /** Take a delivered notification out of the monitor item's outbox. */
  async settle(id: string): Promise<void> {
    await this.ddb.send(new UpdateCommand({
      TableName: this.table,
      Key: MONITOR_KEY,
      UpdateExpression: 'REMOVE #ob',
      ExpressionAttributeNames: { '#ob': outboxAttribute(id) },
    }));
  }

  /** Record a completed run; never moves the time backwards. */
  /**
   * A pass ran at `at` over `hosts` hosts. Without `hosts` (a pass that did not read the whole
   * fleet), the fleet size of the last whole pass is kept: it sizes the fan-out and the backlog
   * guard, and a partial count would shrink both.
   */
  async recordRun(at: number, hosts?: number): Promise<void> {
    await applied(this.ddb.send(new UpdateCommand({
      TableName: this.table,
      Key: MONITOR_KEY,
      UpdateExpression: hosts === undefined ? 'SET lastRun = :at' : 'SET lastRun = :at, lastHosts = :hosts',
      ConditionExpression: 'attribute_not_exists(lastRun) OR lastRun < :at',
      ExpressionAttributeValues: hosts === undefined ? { ':at': at } : { ':at': at, ':hosts': hosts },
    })));
  }

  /** One GetItem of a few hundred bytes: what `GET /api/v1/hosts/counts` costs. */
  async hostCounts(): Promise<HostCounts | undefined> {
    const { Item: item } = await this.ddb.send(new GetCommand({ TableName: this.table, Key: HOST_COUNTS_KEY }));
    if (!item) return undefined;
    const byState = item.byState as Record<string, number>;
    return {
      total: Number(item.total), overdue: Number(item.overdue), silenced: Number(item.silenced), at: Number(item.at),
      byState: Object.fromEntries(HOST_STATES.map((s) => [s, Number(byState[s] ?? 0)])) as HostCounts['byState'],
    };
  }

  /** A whole PutItem, kept only over counts of an earlier pass: a slow pass cannot undo a later one. */
  async recordHostCounts(counts: HostCounts): Promise<void> {
    await applied(this.ddb.send(new PutCommand({
      TableName: this.table,
      Item: { ...HOST_COUNTS_KEY, total: counts.total, byState: { ...counts.byState }, overdue: counts.overdue, silenced: counts.silenced, at: counts.at },
      ConditionExpression: 'attribute_not_exists(#at) OR #at < :at',
      ExpressionAttributeNames: { '#at': 'at' },
      ExpressionAttributeValues: { ':at': counts.at },
    })));
  }
}
