import { DeleteCommand, GetCommand, PutCommand, ScanCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Check, CheckState, RunDay, RunDays, Signal } from '../../domain/check/check';
import { isRepeatedEnd, withSignal } from '../../domain/check/runs';
import type { Schedule } from '../../domain/check/schedule';
import { applied } from './conditional';
import { outboxAttribute, outboxOf, outboxSets } from './outbox-item';
import type { CheckStateChange, ChecksPort } from '../../ports';

/**
 * The checks table (docs/DATA-MODEL.md, "`checks`"): a check is the item `KEY#<sha256 of its ping
 * key>`, so a ping is one conditional UpdateItem with no read, and the key itself is never
 * stored. `NAME#<name>` holds the hash, for the CLI and the API, and makes names unique.
 */
type Item = Record<string, unknown>;

const keyPk = (keyHash: string): string => `KEY#${keyHash}`;
const namePk = (name: string): string => `NAME#${name}`;

function itemToCheck(item: Item): Check {
  const schedule: Schedule = item.everyMs !== undefined ? { everyMs: Number(item.everyMs) } : { cron: item.cron as string, tz: item.tz as string };
  const num = (key: string): number | undefined => (item[key] === undefined ? undefined : Number(item[key]));
  const check: Check = {
    name: item.name as string,
    keyHash: item.keyHash as string,
    schedule,
    graceMs: Number(item.graceMs),
    labels: (item.labels as Record<string, string> | undefined) ?? {},
    createdAt: Number(item.createdAt),
    paused: item.paused === true,
    state: (item.state as CheckState | undefined) ?? 'new',
    stateSince: Number(item.stateSince ?? item.createdAt),
    pings: Number(item.pings ?? 0),
  };
  const more: Record<string, unknown> = {};
  for (const key of ['maxRunMs', 'problemSince', 'lastPing', 'lastStart', 'lastEnd', 'lastExit', 'lastSuccess'] as const) {
    if (num(key) !== undefined) more[key] = num(key);
  }
  if (typeof item.lastOk === 'boolean') more.lastOk = item.lastOk;
  if (typeof item.lastSignal === 'string') more.lastSignal = item.lastSignal;
  if (typeof item.stormIncident === 'string') more.stormIncident = item.stormIncident;
  const runDays = runDaysOf(item.runs);
  if (runDays) more.runDays = runDays;
  const pending = outboxOf(item);
  if (pending.length > 0) more.pending = pending;
  return { ...check, ...more };
}

function checkToItem(c: Check): Item {
  const { pending: _pending, schedule, runDays, ...rest } = c;
  return { pk: keyPk(c.keyHash), kind: 'check', ...rest, ...schedule, ...(runDays ? { runs: runDaysToItem(runDays) } : {}) };
}

/** A signal read, then written conditionally, is tried this many times when other signals keep coming between. */
const SIGNAL_ATTEMPTS = 5;

/** `runs`: day → { n: runs, f: failures, d: { bucket: runs } }, short names because every pass reads every check. */
function runDaysToItem(days: RunDays): Item {
  return Object.fromEntries(Object.entries(days).map(([day, r]) => [day, { n: r.runs, f: r.failures, d: r.durations }]));
}

/** What `runs` holds, leaving out what is not a day's record. */
function runDaysOf(value: unknown): RunDays | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const out: Record<string, RunDay> = {};
  for (const [day, r] of Object.entries(value as Record<string, unknown>)) {
    const rec = r as { n?: unknown; f?: unknown; d?: unknown } | null;
    if (!/^\d{4}-\d{2}-\d{2}$/.test(day) || rec === null || typeof rec !== 'object') continue;
    const durations: Record<string, number> = {};
    for (const [b, n] of Object.entries((rec.d as Record<string, unknown> | undefined) ?? {})) if (Number.isFinite(Number(n))) durations[b] = Number(n);
    out[day] = { runs: Number(rec.n ?? 0), failures: Number(rec.f ?? 0), durations };
  }
  return out;
}

export class CheckStore implements ChecksPort {
  constructor(
    private readonly ddb: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async add(c: Check): Promise<boolean> {
    const claimed = await applied(this.ddb.send(new PutCommand({
      TableName: this.table,
      Item: { pk: namePk(c.name), keyHash: c.keyHash },
      ConditionExpression: 'attribute_not_exists(pk)',
    })));
    if (!claimed) {
      // A name left behind by a remove that stopped halfway (its check is gone) may be taken again.
      const held = await this.hashOf(c.name);
      if (held === undefined || (await this.byHash(held)) !== undefined) return false;
      const retaken = await applied(this.ddb.send(new PutCommand({
        TableName: this.table,
        Item: { pk: namePk(c.name), keyHash: c.keyHash },
        ConditionExpression: 'keyHash = :held',
        ExpressionAttributeValues: { ':held': held },
      })));
      if (!retaken) return false;
    }
    await this.ddb.send(new PutCommand({ TableName: this.table, Item: checkToItem(c) }));
    return true;
  }

  async get(name: string): Promise<Check | undefined> {
    const hash = await this.hashOf(name);
    return hash === undefined ? undefined : this.byHash(hash);
  }

  /** Eventually consistent: diagnose reads every check each pass, and each change it makes is conditional on what it read. */
  async list(): Promise<Check[]> {
    const out: Check[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.ddb.send(new ScanCommand({
        TableName: this.table, ExclusiveStartKey: start,
        FilterExpression: '#kind = :check', ExpressionAttributeNames: { '#kind': 'kind' }, ExpressionAttributeValues: { ':check': 'check' },
      }));
      out.push(...(page.Items ?? []).map(itemToCheck));
      start = page.LastEvaluatedKey;
    } while (start);
    return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  async setPaused(name: string, paused: boolean): Promise<boolean> {
    const hash = await this.hashOf(name);
    if (hash === undefined) return false;
    return applied(this.ddb.send(new UpdateCommand({
      TableName: this.table, Key: { pk: keyPk(hash) },
      UpdateExpression: 'SET paused = :p', ConditionExpression: 'attribute_exists(pk)', ExpressionAttributeValues: { ':p': paused },
    })));
  }

  async remove(name: string): Promise<boolean> {
    const hash = await this.hashOf(name);
    if (hash === undefined) return false;
    // The check first: its key is revoked the moment this returns, whatever happens to the name.
    const existed = await applied(this.ddb.send(new DeleteCommand({ TableName: this.table, Key: { pk: keyPk(hash) }, ConditionExpression: 'attribute_exists(pk)' })));
    await this.ddb.send(new DeleteCommand({ TableName: this.table, Key: { pk: namePk(name) }, ConditionExpression: 'keyHash = :h', ExpressionAttributeValues: { ':h': hash } })).catch(() => undefined);
    return existed;
  }

  async recordSignal(keyHash: string, s: Signal, keepFrom: string): Promise<Check | undefined> {
    // A start is one write with no read. An end is counted in its day with its run's duration,
    // which needs the run's start: the check is read, then written once, conditional on no other
    // signal having come between (`pings`), and read again if one did. An end already recorded
    // (SQS redelivered it) is not written again.
    if (s.kind === 'start') {
      const out = await this.writeSignal(keyHash, s, undefined);
      return out === 'moved' ? undefined : out;
    }
    for (let attempt = 0; attempt < SIGNAL_ATTEMPTS; attempt++) {
      const seen = await this.byHash(keyHash);
      if (!seen) return undefined;
      if (isRepeatedEnd(seen, s)) return seen;
      const out = await this.writeSignal(keyHash, s, { pings: seen.pings, runDays: withSignal(seen, s, keepFrom) });
      if (out !== 'moved') return out;
    }
    throw new Error(`a check's signal was not recorded: other signals changed it ${SIGNAL_ATTEMPTS} times between its read and its write`);
  }

  /** The signal's one UpdateItem; 'moved' when its condition failed (no such check, or, with `runs`, another signal came since the read). */
  private async writeSignal(keyHash: string, s: Signal, runs: { pings: number; runDays: RunDays } | undefined): Promise<Check | undefined | 'moved'> {
    const values: Record<string, unknown> = { ':at': s.at, ':kind': s.kind, ':one': 1 };
    const set = ['lastPing = :at', 'lastSignal = :kind'];
    const remove: string[] = [];
    let condition = 'attribute_exists(pk)';
    if (s.kind === 'start') set.push('lastStart = :at');
    else {
      values[':ok'] = s.kind === 'success';
      set.push('lastEnd = :at', 'lastOk = :ok');
      if (s.kind === 'success') set.push('lastSuccess = :at');
      if (s.exit === undefined) remove.push('lastExit');
      else {
        values[':exit'] = s.exit;
        set.push('lastExit = :exit');
      }
    }
    if (runs) {
      values[':runs'] = runDaysToItem(runs.runDays);
      values[':seen'] = runs.pings;
      set.push('runs = :runs');
      condition += runs.pings === 0 ? ' AND (attribute_not_exists(pings) OR pings = :seen)' : ' AND pings = :seen';
    }
    try {
      const out = await this.ddb.send(new UpdateCommand({
        TableName: this.table, Key: { pk: keyPk(keyHash) },
        UpdateExpression: `SET ${set.join(', ')} ADD pings :one${remove.length > 0 ? ` REMOVE ${remove.join(', ')}` : ''}`,
        ConditionExpression: condition,
        ExpressionAttributeValues: values,
        ReturnValues: 'ALL_NEW',
      }));
      return out.Attributes ? itemToCheck(out.Attributes) : undefined;
    } catch (e) {
      if ((e as { name?: string }).name === 'ConditionalCheckFailedException') return 'moved';
      throw e;
    }
  }

  async changeState(c: CheckStateChange): Promise<boolean> {
    const names: Record<string, string> = { '#state': 'state' };
    const values: Record<string, unknown> = { ':from': c.from, ':since': c.fromSince, ':to': c.to, ':at': c.at, ':true': true };
    const set = ['#state = :to', 'stateSince = :at'];
    const remove: string[] = [];
    if (c.problemSince === undefined) remove.push('problemSince');
    else {
      values[':problem'] = c.problemSince;
      set.push('problemSince = :problem');
    }
    if (c.stormIncident === undefined) remove.push('stormIncident');
    else {
      values[':storm'] = c.stormIncident;
      set.push('stormIncident = :storm');
    }
    if (c.announce) set.push(...outboxSets(c.announce.notifications, c.announce.queuedAt, names, values));
    let condition = 'attribute_exists(pk) AND (attribute_not_exists(#state) OR #state = :from) AND stateSince = :since AND (attribute_not_exists(paused) OR paused <> :true)';
    if (c.lastPing === undefined) condition += ' AND attribute_not_exists(lastPing)';
    else {
      values[':ping'] = c.lastPing;
      condition += ' AND lastPing = :ping';
    }
    return applied(this.ddb.send(new UpdateCommand({
      TableName: this.table, Key: { pk: keyPk(c.keyHash) },
      UpdateExpression: `SET ${set.join(', ')}${remove.length > 0 ? ` REMOVE ${remove.join(', ')}` : ''}`,
      ConditionExpression: condition,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    })));
  }

  async settle(keyHash: string, id: string): Promise<void> {
    await applied(this.ddb.send(new UpdateCommand({
      TableName: this.table, Key: { pk: keyPk(keyHash) },
      UpdateExpression: 'REMOVE #ob', ConditionExpression: 'attribute_exists(pk)', ExpressionAttributeNames: { '#ob': outboxAttribute(id) },
    })));
  }

  private async hashOf(name: string): Promise<string | undefined> {
    const out = await this.ddb.send(new GetCommand({ TableName: this.table, Key: { pk: namePk(name) }, ConsistentRead: true }));
    return out.Item?.keyHash as string | undefined;
  }

  private async byHash(hash: string): Promise<Check | undefined> {
    const out = await this.ddb.send(new GetCommand({ TableName: this.table, Key: { pk: keyPk(hash) }, ConsistentRead: true }));
    return out.Item ? itemToCheck(out.Item) : undefined;
  }
}
