import { DeleteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { LogRule } from '../../domain/rule/rule';
import type { RuleBucket, RuleSample, RuleState } from '../../domain/rule/judge';
import type { PendingNotification } from '../../domain/model';
import type { Announce, LogRulesPort, RuleCount } from '../../ports';
import { applied } from './conditional';
import { outboxAttribute, outboxOf, outboxSets } from './outbox-item';

/**
 * Log rules in the stats table (docs/DATA-MODEL.md, "Log rules"): the definitions in one partition
 * (`pk = RULES`, `sk = name`), which ingest and diagnose read whole with one Query; and per rule
 * (`pk = RULE#name`) its minutes (`sk = M#<minute>`, a count and a few samples, expiring after
 * the window) and its judged state (`sk = STATE`, with its outbox).
 */
const RULES = 'RULES';
const STATE = 'STATE';
const ruleKey = (name: string): string => `RULE#${name}`;
/** Minutes sort as text: 13 digits hold epoch milliseconds until the year 2286. */
const minuteKey = (minute: number): string => `M#${String(minute).padStart(13, '0')}`;
/** A minute is kept a day past its window, so a late pass still reads it. */
const KEEP_EXTRA_MS = 86_400_000;

type Item = Record<string, unknown>;

function ruleOf(item: Item): LogRule {
  return {
    name: item.sk as string,
    scope: item.scope as LogRule['scope'],
    condition: item.condition as LogRule['condition'],
    severity: item.severity as LogRule['severity'],
    createdAt: Number(item.createdAt),
  };
}

const num = (v: unknown): number | undefined => (v === undefined || v === null ? undefined : Number(v));

export class LogRuleStore implements LogRulesPort {
  constructor(
    private readonly ddb: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async add(rule: LogRule): Promise<boolean> {
    return applied(this.ddb.send(new PutCommand({
      TableName: this.table,
      Item: { pk: RULES, sk: rule.name, scope: rule.scope, condition: rule.condition, severity: rule.severity, createdAt: rule.createdAt },
      ConditionExpression: 'attribute_not_exists(sk)',
    })));
  }

  async list(): Promise<LogRule[]> {
    const out: LogRule[] = [];
    let start: Item | undefined;
    do {
      const page = await this.ddb.send(new QueryCommand({
        TableName: this.table, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': RULES }, ExclusiveStartKey: start,
      }));
      out.push(...(page.Items ?? []).map(ruleOf));
      start = page.LastEvaluatedKey;
    } while (start);
    return out;
  }

  async get(name: string): Promise<LogRule | undefined> {
    const out = await this.ddb.send(new GetCommand({ TableName: this.table, Key: { pk: RULES, sk: name }, ConsistentRead: true }));
    return out.Item ? ruleOf(out.Item) : undefined;
  }

  async remove(name: string): Promise<boolean> {
    const removed = await applied(this.ddb.send(new DeleteCommand({ TableName: this.table, Key: { pk: RULES, sk: name }, ConditionExpression: 'attribute_exists(sk)' })));
    // Its minutes expire on their own; a rule added again under the name reads none older than itself.
    if (removed) await this.ddb.send(new DeleteCommand({ TableName: this.table, Key: { pk: ruleKey(name), sk: STATE } }));
    return removed;
  }

  /**
   * One UpdateItem per rule and minute: ADD the count, and keep the samples of the first writer of
   * the minute (a later one's would only replace them).
   */
  async addCounts(counts: readonly RuleCount[]): Promise<void> {
    await Promise.all(counts.filter((c) => c.count > 0).map((c) => this.ddb.send(new UpdateCommand({
      TableName: this.table,
      Key: { pk: ruleKey(c.rule), sk: minuteKey(c.minute) },
      UpdateExpression: 'ADD #n :n SET expiresAt = :exp, samples = if_not_exists(samples, :samples)',
      ExpressionAttributeNames: { '#n': 'n' },
      ExpressionAttributeValues: { ':n': c.count, ':exp': Math.floor((c.minute + c.keepMs + KEEP_EXTRA_MS) / 1000), ':samples': c.samples },
    }))));
  }

  async markSeen(name: string, at: number): Promise<void> {
    await applied(this.ddb.send(new UpdateCommand({
      TableName: this.table,
      Key: { pk: ruleKey(name), sk: STATE },
      UpdateExpression: 'SET lastSeen = :at',
      ConditionExpression: 'attribute_not_exists(lastSeen) OR lastSeen < :at',
      ExpressionAttributeValues: { ':at': at },
    })));
  }

  async window(name: string, fromMinute: number): Promise<RuleBucket[]> {
    const out: RuleBucket[] = [];
    let start: Item | undefined;
    do {
      const page = await this.ddb.send(new QueryCommand({
        TableName: this.table,
        KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
        // Counts only: a week's window is up to 10,080 small items, and samples are read when an alert fires.
        ProjectionExpression: 'sk, #n',
        ExpressionAttributeNames: { '#n': 'n' },
        ExpressionAttributeValues: { ':pk': ruleKey(name), ':from': minuteKey(fromMinute), ':to': 'M#9' },
        ExclusiveStartKey: start,
      }));
      for (const item of page.Items ?? []) out.push({ minute: Number(String(item.sk).slice(2)), count: Number(item.n ?? 0) });
      start = page.LastEvaluatedKey;
    } while (start);
    return out;
  }

  async samples(name: string, fromMinute: number, limit: number): Promise<RuleSample[]> {
    const out: RuleSample[] = [];
    let start: Item | undefined;
    do {
      const page = await this.ddb.send(new QueryCommand({
        TableName: this.table,
        KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
        ProjectionExpression: 'sk, samples',
        ExpressionAttributeValues: { ':pk': ruleKey(name), ':from': minuteKey(fromMinute), ':to': 'M#9' },
        ScanIndexForward: false,
        Limit: limit,
        ExclusiveStartKey: start,
      }));
      for (const item of page.Items ?? []) out.push(...((item.samples ?? []) as RuleSample[]));
      start = out.length < limit ? page.LastEvaluatedKey : undefined;
    } while (start);
    return out.slice(0, limit);
  }

  async state(name: string): Promise<RuleState & { readonly pending: PendingNotification[] }> {
    const out = await this.ddb.send(new GetCommand({ TableName: this.table, Key: { pk: ruleKey(name), sk: STATE }, ConsistentRead: true }));
    const item = out.Item ?? {};
    const field = (k: string) => (num(item[k]) === undefined ? {} : { [k]: num(item[k]) });
    return { firing: item.firing === true, ...field('since'), ...field('clearSince'), ...field('lastSeen'), ...field('judgedAt'), pending: outboxOf(item) };
  }

  async commit(name: string, judgedAt: number | undefined, next: RuleState, announce?: Announce): Promise<boolean> {
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = { ':firing': next.firing, ':judged': next.judgedAt ?? Date.now() };
    const set = ['firing = :firing', 'judgedAt = :judged'];
    const remove: string[] = [];
    for (const k of ['since', 'clearSince'] as const) {
      if (next[k] === undefined) remove.push(k);
      else { set.push(`${k} = :${k}`); values[`:${k}`] = next[k]; }
    }
    if (announce) set.push(...outboxSets(announce.notifications, announce.queuedAt, names, values));
    if (judgedAt !== undefined) values[':prev'] = judgedAt;
    return applied(this.ddb.send(new UpdateCommand({
      TableName: this.table,
      Key: { pk: ruleKey(name), sk: STATE },
      UpdateExpression: `SET ${set.join(', ')}${remove.length ? ` REMOVE ${remove.join(', ')}` : ''}`,
      ConditionExpression: judgedAt === undefined ? 'attribute_not_exists(judgedAt)' : 'judgedAt = :prev',
      ...(Object.keys(names).length ? { ExpressionAttributeNames: names } : {}),
      ExpressionAttributeValues: values,
    })));
  }

  async settle(name: string, id: string): Promise<void> {
    await applied(this.ddb.send(new UpdateCommand({
      TableName: this.table,
      Key: { pk: ruleKey(name), sk: STATE },
      UpdateExpression: 'REMOVE #ob',
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeNames: { '#ob': outboxAttribute(id) },
    })));
  }
}
