import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DeleteCommand, GetCommand, ScanCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Beat, Host, HostState, MetricLevel, Metric } from '../../domain/model';
import { dayOf } from '../../domain/model/days';
import { slotOf } from '../../domain/host/history';
import { applied } from './conditional';
import { encodeSlot, slotAttribute, slotsOf } from '../../domain/host/hour-ring';
import { outboxAttribute, outboxOf, outboxSets } from './outbox-item';
import type { Announce, BeatWrite, HostsPort, StateChange } from '../../ports';
type Item = Record<string, unknown>;

const LEVELS: Record<Metric, string> = { cpu: 'cpuLevel', mem: 'memLevel', disk: 'diskLevel' };

export function itemToHost(item: Item): Host {
  const level = (r: Metric): MetricLevel => (item[LEVELS[r]] as MetricLevel | undefined) ?? 'ok';
  const host: Host = {
    hostname: item.hostname as string,
    state: (item.state as HostState | undefined) ?? 'new',
    stateSince: Number(item.stateSince ?? item.lastBeat ?? 0),
    lastBeat: Number(item.lastBeat ?? 0),
    sentAt: Number(item.sentAt ?? 0),
    skewMs: Number(item.skewMs ?? 0),
    interval: Number(item.interval ?? 0),
    labels: (item.labels as Record<string, string> | undefined) ?? {},
    levels: { cpu: level('cpu'), mem: level('mem'), disk: level('disk') },
    cpuStreak: Number(item.cpuStreak ?? 0),
    firstSeen: Number(item.firstSeen ?? item.lastBeat ?? 0),
  };
  for (const key of ['agent', 'cpu', 'mem', 'disk'] as const) {
    if (item[key] !== undefined) Object.assign(host, { [key]: item[key] });
  }
  for (const key of ['uptime', 'outageStart', 'resumedAt', 'flappingSince'] as const) {
    if (item[key] !== undefined) host[key] = Number(item[key]);
  }
  if (Array.isArray(item.changes)) host.changes = (item.changes as unknown[]).map(Number);
  const peaks = dailyPeaksOf(item);
  if (peaks) host.dailyPeaks = peaks;
  const hourly = slotsOf(item);
  if (hourly.length > 0) host.hourly = hourly;
  if (typeof item.skewed === 'boolean') host.skewed = item.skewed;
  if (typeof item.stormIncident === 'string') host.stormIncident = item.stormIncident;
  const pending = outboxOf(item);
  if (pending.length > 0) host.pending = pending;
  return host;
}

/**
 * Daily peaks live in the beat's own write, without a read: each beat ADDs its whole percent to a
 * number set per resource and UTC day (`seen_cpu_20261125`, at most 101 members). The peak is the
 * set's largest member. Only today's and yesterday's sets are kept (a daily report needs no
 * more): each beat removes the two days before those.
 */
const PEAK_DAYS = 2;
const SEEN = /^seen_(cpu|mem|disk)_(\d{4})(\d{2})(\d{2})$/;

export function seenAttribute(resource: Metric, ms: number): string {
  return `seen_${resource}_${dayOf(ms).replaceAll('-', '')}`;
}

function dailyPeaksOf(item: Item): Host['dailyPeaks'] {
  let out: NonNullable<Host['dailyPeaks']> | undefined;
  for (const [key, value] of Object.entries(item)) {
    const m = SEEN.exec(key);
    if (!m || !(value instanceof Set) || value.size === 0) continue;
    const day = `${m[2]}-${m[3]}-${m[4]}`;
    out ??= {};
    (out[day] ??= {})[m[1] as Metric] = Math.max(...[...value].map(Number));
  }
  return out;
}

export class HostStore implements HostsPort {
  constructor(
    private readonly ddb: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  /**
   * Store a beat with exactly one write request and no read: a conditional update that only
   * moves `lastBeat` forward. The previous item comes back from the same request, so the caller
   * can judge level transitions without a read. A stale or repeated beat is not an error.
   *
   * A goodbye carries its `host-left` notification (`goodbye`) in the same write, applied only
   * if the host had not left already; a host that had gets a second, plain write.
   */
  async recordBeat(beat: Beat, cpuStreakExtends: boolean, goodbye?: Announce): Promise<BeatWrite> {
    // Every attribute goes through a placeholder: DynamoDB reserves hundreds of words (state, agent, …).
    const names: Record<string, string> = {};
    const n = (attribute: string): string => {
      names[`#${attribute}`] = attribute;
      return `#${attribute}`;
    };
    const values: Record<string, unknown> = { ':rcv': beat.receivedAt };
    const set: string[] = [];
    const remove: string[] = [];
    const add: string[] = [];
    const assign = (attribute: string, value: unknown) => {
      values[`:${attribute}`] = value;
      set.push(`${n(attribute)} = :${attribute}`);
    };
    assign('lastBeat', beat.receivedAt);
    assign('sentAt', beat.sentAt);
    assign('skewMs', beat.sentAt - beat.receivedAt);
    assign('interval', beat.interval);
    assign('labels', beat.labels);
    set.push(`${n('firstSeen')} = if_not_exists(${n('firstSeen')}, :rcv)`, `${n('resumedAt')} = if_not_exists(${n('resumedAt')}, :rcv)`);
    if (beat.goodbye) {
      assign('state', 'left');
      set.push(`${n('stateSince')} = :rcv`);
    } else {
      values[':new'] = 'new';
      set.push(`${n('state')} = if_not_exists(${n('state')}, :new)`, `${n('stateSince')} = if_not_exists(${n('stateSince')}, :rcv)`);
    }
    for (const key of ['cpu', 'mem', 'disk', 'agent', 'uptime'] as const) {
      if (beat[key] === undefined) remove.push(n(key));
      else assign(key, beat[key]);
    }
    for (const resource of ['cpu', 'mem', 'disk'] as const) {
      const sample = beat[resource];
      if (sample === undefined) continue;
      values[`:seen_${resource}`] = new Set([Math.round(sample.percent)]);
      add.push(`${n(seenAttribute(resource, beat.receivedAt))} :seen_${resource}`);
      for (const ago of [PEAK_DAYS, PEAK_DAYS + 1]) remove.push(n(seenAttribute(resource, beat.receivedAt - ago * 86_400_000)));
    }
    // The hour's slot of the 24-hour ring (hour-ring.ts): overwritten only by the host's newest
    // beat, since a stale beat fails the condition below and writes nothing.
    const slot = slotOf(beat);
    if (slot) assign(slotAttribute(slot.hour), encodeSlot(slot));
    if (beat.cpu !== undefined) {
      if (cpuStreakExtends) {
        values[':one'] = 1;
        add.push(`${n('cpuStreak')} :one`);
      } else {
        assign('cpuStreak', 0);
      }
    }
    let condition = `attribute_not_exists(${n('lastBeat')}) OR ${n('lastBeat')} < :rcv`;
    if (goodbye) {
      set.push(...outboxSets(goodbye.notifications, goodbye.queuedAt, names, values));
      values[':left'] = 'left';
      condition = `(${condition}) AND (attribute_not_exists(${n('state')}) OR ${n('state')} <> :left)`;
    }
    const expression = [
      `SET ${set.join(', ')}`,
      remove.length ? `REMOVE ${remove.join(', ')}` : '',
      add.length ? `ADD ${add.join(', ')}` : '',
    ].join(' ').trim();
    try {
      const out = await this.ddb.send(new UpdateCommand({
        TableName: this.table,
        Key: { hostname: beat.hostname },
        UpdateExpression: expression,
        ConditionExpression: condition,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
        ReturnValues: 'ALL_OLD',
      }));
      return { stale: false, previous: out.Attributes?.hostname ? itemToHost(out.Attributes) : undefined, left: goodbye !== undefined };
    } catch (e) {
      if (!(e instanceof ConditionalCheckFailedException)) throw e;
      // Stale, or a goodbye from a host that had left already: the plain write tells which.
      return goodbye ? this.recordBeat(beat, cpuStreakExtends) : { stale: true };
    }
  }

  /**
   * Commit what a beat changed beyond itself (resource levels, the skew warning) with the
   * notifications that announce it, unless a newer beat has already taken over the host.
   */
  async commitLevels(
    hostname: string,
    lastBeat: number,
    levels: Record<Metric, MetricLevel>,
    announce: Announce = { notifications: [], queuedAt: lastBeat },
    skewed?: boolean,
  ): Promise<boolean> {
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = { ':cpu': levels.cpu, ':mem': levels.mem, ':disk': levels.disk, ':beat': lastBeat };
    const set = ['cpuLevel = :cpu', 'memLevel = :mem', 'diskLevel = :disk', ...outboxSets(announce.notifications, announce.queuedAt, names, values)];
    if (skewed !== undefined) {
      names['#skewed'] = 'skewed';
      values[':skewed'] = skewed;
      set.push('#skewed = :skewed');
    }
    return applied(this.ddb.send(new UpdateCommand({
      TableName: this.table,
      Key: { hostname },
      UpdateExpression: `SET ${set.join(', ')}`,
      ConditionExpression: 'lastBeat = :beat',
      ...(Object.keys(names).length ? { ExpressionAttributeNames: names } : {}),
      ExpressionAttributeValues: values,
    })));
  }

  /**
   * Apply a state change if the host is still as diagnose saw it. Of two overlapping runs, one
   * wins this write; only the winner records the notification.
   */
  async changeState(change: StateChange): Promise<boolean> {
    const names: Record<string, string> = { '#state': 'state' };
    const values: Record<string, unknown> = {
      ':from': change.from,
      ':fromSince': change.fromSince,
      ':to': change.to,
      ':at': change.at,
    };
    const conditions = ['#state = :from', 'stateSince = :fromSince'];
    if (change.requireSilence) {
      values[':lastBeat'] = change.lastBeat;
      conditions.push('lastBeat = :lastBeat');
    }
    const set = ['#state = :to', 'stateSince = :at'];
    if (change.announce) set.push(...outboxSets(change.announce.notifications, change.announce.queuedAt, names, values));
    const remove: string[] = [];
    if (change.to === 'dead') {
      values[':outageStart'] = change.outageStart ?? change.lastBeat;
      set.push('outageStart = :outageStart');
      remove.push('resumedAt');
    } else {
      remove.push('outageStart');
    }
    if (change.to === 'dead' && change.stormIncident !== undefined) {
      values[':stormIncident'] = change.stormIncident;
      set.push('stormIncident = :stormIncident');
    } else {
      remove.push('stormIncident');
    }
    if (change.changes !== undefined) {
      values[':changes'] = change.changes;
      set.push('changes = :changes');
      if (change.flappingSince === undefined) remove.push('flappingSince');
      else {
        values[':flappingSince'] = change.flappingSince;
        set.push('flappingSince = :flappingSince');
      }
    }
    // A retired host that beats again comes back as new: no flapping history follows it.
    if (change.to === 'retired') remove.push('changes', 'flappingSince');
    const update = `SET ${set.join(', ')} REMOVE ${remove.join(', ')}`;
    return applied(this.ddb.send(new UpdateCommand({
      TableName: this.table,
      Key: { hostname: change.hostname },
      UpdateExpression: update,
      ConditionExpression: conditions.join(' AND '),
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    })));
  }

  /** End a host's flapping, unless another run did (conditional on the start it saw). */
  async endFlapping(hostname: string, flappingSince: number, announce?: Announce): Promise<boolean> {
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = { ':since': flappingSince };
    const set = announce ? outboxSets(announce.notifications, announce.queuedAt, names, values) : [];
    return applied(this.ddb.send(new UpdateCommand({
      TableName: this.table,
      Key: { hostname },
      UpdateExpression: `${set.length ? `SET ${set.join(', ')} ` : ''}REMOVE flappingSince`,
      ConditionExpression: 'flappingSince = :since',
      ...(set.length ? { ExpressionAttributeNames: names } : {}),
      ExpressionAttributeValues: values,
    })));
  }

  /**
   * Put notifications in a host's outbox that no state change decides (a silence ending on a
   * host still down): the decision is repeated until it is delivered, and the id makes it one.
   */
  async enqueue(hostname: string, announce: Announce): Promise<boolean> {
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = {};
    const set = outboxSets(announce.notifications, announce.queuedAt, names, values);
    if (set.length === 0) return true;
    return applied(this.ddb.send(new UpdateCommand({
      TableName: this.table,
      Key: { hostname },
      UpdateExpression: `SET ${set.join(', ')}`,
      ConditionExpression: 'attribute_exists(hostname)',
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    })));
  }

  /** Take a delivered notification out of a host's outbox (never recreating a forgotten host). */
  async settle(hostname: string, id: string): Promise<void> {
    await applied(this.ddb.send(new UpdateCommand({
      TableName: this.table,
      Key: { hostname },
      UpdateExpression: 'REMOVE #ob',
      ConditionExpression: 'attribute_exists(hostname)',
      ExpressionAttributeNames: { '#ob': outboxAttribute(id) },
    })));
  }

  /**
   * One segment of a parallel scan, page by page. Eventually consistent, at half the read units:
   * a beat stored a moment ago may be missed, but every state change re-checks `lastBeat` in its
   * condition, so a missed beat can delay a transition by one pass and never cause a wrong one.
   */
  async *scanSegment(segment: number, totalSegments: number): AsyncGenerator<Host[]> {
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.ddb.send(new ScanCommand({
        TableName: this.table,
        Segment: segment,
        TotalSegments: totalSegments,
        ExclusiveStartKey: start,
      }));
      yield (page.Items ?? []).map(itemToHost);
      start = page.LastEvaluatedKey;
    } while (start);
  }

  /** Every host, read with a parallel scan, each once. */
  async list(totalSegments = 4): Promise<Host[]> {
    const segments = await Promise.all(
      Array.from({ length: totalSegments }, async (_, segment) => {
        const hosts: Host[] = [];
        for await (const page of this.scanSegment(segment, totalSegments)) hosts.push(...page);
        return hosts;
      }),
    );
    // An engine that ignores Segment (DynamoDB Local) returns every host once per segment.
    return [...new Map(segments.flat().map((h) => [h.hostname, h])).values()];
  }

  async get(hostname: string): Promise<Host | undefined> {
    const out = await this.ddb.send(new GetCommand({ TableName: this.table, Key: { hostname }, ConsistentRead: true }));
    return out.Item ? itemToHost(out.Item) : undefined;
  }

  /**
   * Several hosts at once, with BatchGetItem (100 keys a request, strongly consistent, as `get`):
   * what diagnose reads when deadlines come (docs/SEMANTICS.md, "Detection at the deadline").
   * Keys DynamoDB leaves unprocessed (throttling) are asked again, a few times, then left out:
   * a host left out is judged by the next full pass. Unknown hosts are simply absent.
   */
  async getMany(hostnames: readonly string[]): Promise<Host[]> {
    const hosts: Host[] = [];
    for (let i = 0; i < hostnames.length; i += 100) {
      let keys: Record<string, unknown>[] = [...new Set(hostnames.slice(i, i + 100))].map((hostname) => ({ hostname }));
      for (let attempt = 0; keys.length > 0 && attempt < 4; attempt++) {
        if (attempt > 0) await new Promise((r) => setTimeout(r, 25 * 2 ** attempt));
        const out = await this.ddb.send(new BatchGetCommand({ RequestItems: { [this.table]: { Keys: keys, ConsistentRead: true } } }));
        hosts.push(...(out.Responses?.[this.table] ?? []).map(itemToHost));
        keys = (out.UnprocessedKeys?.[this.table]?.Keys ?? []) as Record<string, unknown>[];
      }
    }
    return hosts;
  }

  /** Forget a host. Returns false when there was none. */
  async remove(hostname: string): Promise<boolean> {
    const out = await this.ddb.send(new DeleteCommand({ TableName: this.table, Key: { hostname }, ReturnValues: 'ALL_OLD' }));
    return out.Attributes !== undefined;
  }
}
