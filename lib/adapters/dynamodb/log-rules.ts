import { UpdateItemCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { RULE_LIMITS, type LogRule } from '../../domain/rule/rule';
import type { RuleSample, RuleState } from '../../domain/rule/judge';
import type { PendingNotification } from '../../domain/model';
import type { Announce, LogRulesPort, RuleMinute, RuleMinuteCounts } from '../../ports';
import { applied } from './conditional';
import { outboxAttribute, outboxOf, outboxSets } from './outbox-item';

/**
 * Log rules in the stats table (docs/DATA-MODEL.md, "Log rules"): the definitions in one partition
 * (`pk = RULES`, `sk = name`), which ingest and diagnose read whole with one Query; the minutes in
 * another (`pk = RULE-MINUTES`, `sk = M#<minute>`), one item a minute holding every rule's count
 * (`n:<name>`) and the seconds a `--silent` rule's scope logged in (`t:<name>`, a number set), so
 * that an invocation writes once per minute whatever the rules; beside it (`pk = RULE-SAMPLES`)
 * each rule's first samples of the minute (`s:<name>`), written by a function once a minute; per rule (`pk = RULE#name`) its judged state (`sk = STATE`, with
 * its outbox); and removed rules whose `log-ok` may still wait there (`pk = RULES-RETIRED`).
 */
const RULES = 'RULES';
const RETIRED = 'RULES-RETIRED';
const MINUTES = 'RULE-MINUTES';
const SAMPLES = 'RULE-SAMPLES';
const STATE = 'STATE';
const ruleKey = (name: string): string => `RULE#${name}`;
/** Minutes sort as text: 13 digits hold epoch milliseconds until the year 2286. */
const minuteKey = (minute: number): string => `M#${String(minute).padStart(13, '0')}`;
const countName = (rule: string): string => `n:${rule}`;
const samplesName = (rule: string): string => `s:${rule}`;
const seenName = (rule: string): string => `t:${rule}`;
/**
 * A minute is kept a day past the longest window any rule may have, whatever the rules counting
 * in it: invocations with different rules write the same item, and none may cut another's time.
 */
const KEEP_MS = RULE_LIMITS.maxWindowMs + 86_400_000;

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

function itemOf(rule: LogRule): Item {
  return { pk: RULES, sk: rule.name, scope: rule.scope, condition: rule.condition, severity: rule.severity, createdAt: rule.createdAt };
}

const num = (v: unknown): number | undefined => (v === undefined || v === null ? undefined : Number(v));

export class LogRuleStore implements LogRulesPort {
  /**
   * The rules whose samples this store wrote, by minute (the last few minutes only): the item keeps
   * a rule's first samples of the minute (`if_not_exists`), so sending them again would change
   * nothing, and a warm function sends each rule's samples once a minute instead of every call.
   */
  private readonly sampled = new Map<number, Set<string>>();

  constructor(
    private readonly ddb: DynamoDBDocumentClient,
    private readonly table: string,
    /** The counter write's client (Clients.ddbRaw), asked for at the first write: the same table, its middleware resolved once. */
    private readonly raw?: () => DynamoDBClient | undefined,
  ) {}

  async add(rule: LogRule): Promise<boolean> {
    return applied(this.ddb.send(new PutCommand({
      TableName: this.table,
      Item: itemOf(rule),
      ConditionExpression: 'attribute_not_exists(sk)',
    })));
  }

  async list(): Promise<LogRule[]> {
    return this.rulesUnder(RULES);
  }

  async get(name: string): Promise<LogRule | undefined> {
    const out = await this.ddb.send(new GetCommand({ TableName: this.table, Key: { pk: RULES, sk: name }, ConsistentRead: true }));
    return out.Item ? ruleOf(out.Item) : undefined;
  }

  async remove(name: string): Promise<boolean> {
    const rule = await this.get(name);
    if (!rule) return false;
    // Retired first: a failure between the two writes leaves the rule live, never firing unseen.
    await this.ddb.send(new PutCommand({ TableName: this.table, Item: { ...itemOf(rule), pk: RETIRED } }));
    return applied(this.ddb.send(new DeleteCommand({ TableName: this.table, Key: { pk: RULES, sk: name }, ConditionExpression: 'attribute_exists(sk)' })));
  }

  async retired(): Promise<LogRule[]> {
    return this.rulesUnder(RETIRED);
  }

  /** Every rule under one partition (the live ones, or the retired), page by page. */
  private async rulesUnder(pk: string): Promise<LogRule[]> {
    const out: LogRule[] = [];
    let start: Item | undefined;
    do {
      const page = await this.ddb.send(new QueryCommand({
        TableName: this.table, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': pk }, ExclusiveStartKey: start,
      }));
      out.push(...(page.Items ?? []).map(ruleOf));
      start = page.LastEvaluatedKey;
    } while (start);
    return out;
  }


  async forget(name: string): Promise<void> {
    await this.ddb.send(new DeleteCommand({ TableName: this.table, Key: { pk: RETIRED, sk: name } }));
    if (await this.get(name)) return;
    const state = await this.state(name);
    if (state.pending.length > 0 || state.firing) return;
    // Only the state as read: a pass that committed since keeps it.
    await applied(this.ddb.send(new DeleteCommand({
      TableName: this.table, Key: { pk: ruleKey(name), sk: STATE },
      ...(state.judgedAt === undefined ? {} : { ConditionExpression: 'judgedAt = :j', ExpressionAttributeValues: { ':j': state.judgedAt } }),
    })));
  }

  /**
   * One UpdateItem per minute: ADD each rule's count and each silent rule's second. Samples go to
   * the minute's samples item, apart, so that the counter item stays small (a write unit or two,
   * read by every pass) however long the samples: a second UpdateItem, sent only for rules whose
   * samples this function has not written for the minute yet (the item keeps the first ones).
   *
   * The counter write is every ingest invocation's one write for the rules, so it is sent as the
   * low-level UpdateItem with its attribute values written out (numbers and number sets only):
   * the document client's marshalling and the middleware it adds per command cost a third of the
   * request's CPU (docs/BENCHMARKS.md, part 19). The item and the expression are the same.
   */
  async addMinutes(minutes: readonly RuleMinuteCounts[]): Promise<void> {
    await Promise.all(minutes.map(async (m) => {
      const counted = m.rules.filter((r) => r.count > 0);
      if (counted.length === 0 && m.seen.length === 0) return;
      const names: Record<string, string> = {};
      const values: Record<string, AttributeValue> = { ':exp': { N: String(Math.floor((m.minute + KEEP_MS) / 1000)) } };
      const add: string[] = [];
      counted.forEach((r, i) => {
        names[`#n${i}`] = countName(r.rule);
        values[`:n${i}`] = { N: String(r.count) };
        add.push(`#n${i} :n${i}`);
      });
      // A set, not a value: ADD keeps every second written, so the newest is exact whoever writes last.
      m.seen.forEach((r, i) => {
        names[`#t${i}`] = seenName(r.rule);
        values[`:t${i}`] = { NS: [String(r.at)] };
        add.push(`#t${i} :t${i}`);
      });
      const sampled = this.sampled.get(m.minute);
      // The samples are read only for rules whose samples go out: a tally may build them on demand.
      const unsent = counted.filter((r) => !sampled?.has(r.rule) && r.samples.length > 0);
      await Promise.all([
        this.sendRaw(new UpdateItemCommand({
          TableName: this.table,
          Key: { pk: { S: MINUTES }, sk: { S: minuteKey(m.minute) } },
          UpdateExpression: `ADD ${add.join(', ')} SET expiresAt = :exp`,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        })),
        unsent.length > 0 ? this.addSamples(m.minute, unsent) : undefined,
      ]);
    }));
  }

  private async sendRaw(command: UpdateItemCommand): Promise<void> {
    const raw = this.raw?.();
    await (raw ? raw.send(command) : this.ddb.send(command));
  }

  private async addSamples(minute: number, rules: RuleMinuteCounts['rules']): Promise<void> {
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = { ':exp': Math.floor((minute + KEEP_MS) / 1000) };
    const set = ['expiresAt = :exp'];
    rules.forEach((r, i) => {
      names[`#s${i}`] = samplesName(r.rule);
      values[`:s${i}`] = r.samples;
      set.push(`#s${i} = if_not_exists(#s${i}, :s${i})`);
    });
    await this.ddb.send(new UpdateCommand({
      TableName: this.table,
      Key: { pk: SAMPLES, sk: minuteKey(minute) },
      UpdateExpression: `SET ${set.join(', ')}`,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    }));
    this.rememberSampled(minute, rules.map((r) => r.rule));
  }

  private rememberSampled(minute: number, rules: readonly string[]): void {
    const set = this.sampled.get(minute) ?? new Set<string>();
    for (const r of rules) set.add(r);
    this.sampled.set(minute, set);
    // Records arrive within a few minutes of now: older minutes are not written again in practice, and if they are, samples go again.
    for (const old of this.sampled.keys()) if (old < minute - 5 * 60_000) this.sampled.delete(old);
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

  async window(rules: readonly string[], fromMinute: number): Promise<RuleMinute[]> {
    if (rules.length === 0) return [];
    const out: RuleMinute[] = [];
    const names: Record<string, string> = {};
    rules.forEach((r, i) => {
      names[`#n${i}`] = countName(r);
      names[`#t${i}`] = seenName(r);
    });
    let start: Item | undefined;
    do {
      const page = await this.ddb.send(new QueryCommand({
        TableName: this.table,
        KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
        ProjectionExpression: ['sk', ...Object.keys(names)].join(', '),
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: { ':pk': MINUTES, ':from': minuteKey(fromMinute), ':to': 'M#9' },
        ExclusiveStartKey: start,
      }));
      for (const item of page.Items ?? []) {
        const counts: Record<string, number> = {};
        const seen: Record<string, number> = {};
        for (const r of rules) {
          if (item[countName(r)] !== undefined) counts[r] = Number(item[countName(r)]);
          const seconds = item[seenName(r)] as Set<number> | undefined;
          if (seconds && seconds.size > 0) seen[r] = Math.max(...[...seconds].map(Number));
        }
        if (Object.keys(counts).length > 0 || Object.keys(seen).length > 0) out.push({ minute: Number(String(item.sk).slice(2)), counts, seen });
      }
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
        ProjectionExpression: 'sk, #s',
        ExpressionAttributeNames: { '#s': samplesName(name) },
        ExpressionAttributeValues: { ':pk': SAMPLES, ':from': minuteKey(fromMinute), ':to': 'M#9' },
        ScanIndexForward: false,
        // Minutes where the rule counted nothing come back too (with no samples): read a few at a time.
        Limit: 16,
        ExclusiveStartKey: start,
      }));
      for (const item of page.Items ?? []) out.push(...((item[samplesName(name)] ?? []) as RuleSample[]));
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
