import type { LogRecord } from '../../domain/model';
import { minuteOf, sampleOf, type RuleSample } from '../../domain/rule/judge';
import { inScope, RULE_LIMITS, type LogRule } from '../../domain/rule/rule';
import type { LogRulesPort, RuleMinuteCounts } from '../../ports';
import type { Log } from '../log';
import { compilePattern, type Matcher } from './pattern';

/** A rule as ingest holds it: its pattern compiled once per load. */
export interface CompiledRule {
  readonly rule: LogRule;
  readonly matches: Matcher | undefined;
}

/** The rules by app: a record is tried only against its own app's rules. */
export type RuleIndex = ReadonlyMap<string, readonly CompiledRule[]>;

/** How long ingest keeps its rules before it reads them again: a change is counted within a minute. */
export const RULES_CACHE_MS = 30_000;

/**
 * The rules, cached in the function: read again once `ttlMs` has passed since the last read, so a
 * rule added or removed is counted (or no longer) within a minute. A failed read keeps the last
 * rules (and counts nothing when there were none): records are never lost for a rule.
 */
export function cachedRules(list: () => Promise<LogRule[]>, now: () => number, log: Log, ttlMs = RULES_CACHE_MS): () => Promise<RuleIndex> {
  let index: RuleIndex = new Map();
  let readAt: number | undefined;
  return async () => {
    if (readAt !== undefined && now() - readAt < ttlMs) return index;
    try {
      index = indexRules(await list(), log);
    } catch (error) {
      log.warn('could not read the log rules; counting with the last ones read', { error: String(error) });
    }
    readAt = now();
    return index;
  };
}

export function indexRules(rules: readonly LogRule[], log: Log): RuleIndex {
  const index = new Map<string, CompiledRule[]>();
  // All rules' counts for a minute share one item, which holds at most RULE_LIMITS.rules of them
  // within DynamoDB's item size: adding refuses more, and a race past that counts the oldest only.
  const counted = rules.length > RULE_LIMITS.rules
    ? [...rules].sort((a, b) => a.createdAt - b.createdAt || (a.name < b.name ? -1 : 1)).slice(0, RULE_LIMITS.rules)
    : rules;
  if (counted.length < rules.length) log.warn('more log rules than can be counted; the newest are skipped', { rules: rules.length, counted: counted.length });
  for (const rule of counted) {
    let matches: Matcher | undefined;
    if (rule.condition.kind === 'match') {
      try {
        matches = compilePattern(rule.condition.pattern);
      } catch (error) {
        // Checked when added, so only a rule written around the API gets here: it counts nothing.
        log.warn('a log rule\'s pattern does not compile; it is skipped', { rule: rule.name, error: String(error) });
        continue;
      }
    }
    index.set(rule.scope.app, [...(index.get(rule.scope.app) ?? []), { rule, matches }]);
  }
  return index;
}

/**
 * What one invocation counts: per rule and minute (by receive time) a count and the first
 * samples, and per `--silent` rule the newest receive time. Bounded per record: the rules of the
 * record's app, each a few comparisons and at most one linear-time match on the first 8 KB.
 */
export class RuleTally {
  private readonly minutes = new Map<number, Tallied>();
  /** The minute the last record went to: a batch's records mostly share one. */
  private last: { minute: number; tallied: Tallied } | undefined;

  constructor(private readonly index: RuleIndex) {}

  get empty(): boolean {
    return this.minutes.size === 0;
  }

  add(record: LogRecord, receivedAt: number): void {
    const rules = this.index.get(record.app);
    if (!rules) return;
    const minute = minuteOf(receivedAt);
    for (const { rule, matches } of rules) {
      if (!inScope(rule, record)) continue;
      if (rule.condition.kind === 'silent') {
        const seen = this.minuteOf(minute).seen;
        const at = seen.get(rule.name);
        if (at === undefined || at < receivedAt) seen.set(rule.name, receivedAt);
        continue;
      }
      if (matches && !matches(record.text)) continue;
      const { counts } = this.minuteOf(minute);
      let c = counts.get(rule.name);
      if (!c) counts.set(rule.name, (c = { count: 0, samples: [] }));
      c.count++;
      if (c.samples.length < RULE_LIMITS.samples) c.samples.push(sampleOf(record));
    }
  }

  private minuteOf(minute: number): Tallied {
    if (this.last?.minute === minute) return this.last.tallied;
    let tallied = this.minutes.get(minute);
    if (!tallied) this.minutes.set(minute, (tallied = { counts: new Map(), seen: new Map() }));
    this.last = { minute, tallied };
    return tallied;
  }

  /**
   * One write per minute touched, holding every rule that counted in it and every `--silent` rule
   * whose scope logged in it; a failure loses counts, never records.
   */
  async flush(store: Pick<LogRulesPort, 'addMinutes'>, log: Log): Promise<{ writes: number }> {
    const minutes: RuleMinuteCounts[] = [...this.minutes].map(([minute, { counts, seen }]) => ({
      minute,
      rules: [...counts.entries()].map(([rule, { count, samples }]) => ({ rule, count, samples })),
      // Rounded up: a silent rule may fire up to a second late, never early; a minute holds at most 60 of them.
      seen: [...seen].map(([rule, at]) => ({ rule, at: Math.ceil(at / 1000) * 1000 })),
    }));
    this.minutes.clear();
    this.last = undefined;
    await store.addMinutes(minutes).catch((error: unknown) => log.error('could not add log rule counts; the records are stored', { minutes: minutes.length, error: String(error) }));
    return { writes: minutes.length };
  }
}

/** One minute of an invocation: counts and samples by rule, and the newest receive time by `--silent` rule. */
interface Tallied {
  readonly counts: Map<string, { count: number; samples: RuleSample[] }>;
  readonly seen: Map<string, number>;
}
