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
 * What one invocation counts: per rule a running total since it was last taken (every record in
 * scope that matched; for a `--silent` rule, every record in scope), which rides in the daily
 * counts write of the rule's app, and per rule and minute (by receive time) the first samples.
 * Bounded per record: the rules of the record's app, each a few comparisons and at most one
 * linear-time match on the first 8 KB.
 */
export class RuleTally {
  private readonly minutes = new Map<number, Tallied>();
  /** The minute the last record went to: a batch's records mostly share one. */
  private last: { minute: number; tallied: Tallied } | undefined;
  /** By app: each rule's records counted since the totals were last taken. */
  private totals = new Map<string, Record<string, number>>();

  constructor(private readonly index: RuleIndex) {}

  get empty(): boolean {
    return this.minutes.size === 0;
  }

  add(record: LogRecord, receivedAt: number): void {
    const rules = this.index.get(record.app);
    if (!rules) return;
    let totals: Record<string, number> | undefined;
    for (const { rule, matches } of rules) {
      if (!inScope(rule, record)) continue;
      if (rule.condition.kind !== 'silent' && matches && !matches(record.text)) continue;
      if (!totals) {
        totals = this.totals.get(record.app);
        if (!totals) this.totals.set(record.app, (totals = {}));
      }
      totals[rule.name] = (totals[rule.name] ?? 0) + 1;
      if (rule.condition.kind === 'silent') continue;
      const { samples } = this.minuteOf(minuteOf(receivedAt));
      let s = samples.get(rule.name);
      if (!s) samples.set(rule.name, (s = []));
      if (s.length < RULE_LIMITS.samples) s.push(sampleOf(record));
    }
  }

  /** The running totals counted since last taken, by app: what the daily counts writes carry. */
  takeTotals(): Map<string, Record<string, number>> {
    const out = this.totals;
    this.totals = new Map();
    return out;
  }

  private minuteOf(minute: number): Tallied {
    if (this.last?.minute === minute) return this.last.tallied;
    let tallied = this.minutes.get(minute);
    if (!tallied) this.minutes.set(minute, (tallied = { samples: new Map() }));
    this.last = { minute, tallied };
    return tallied;
  }

  /**
   * The samples, one write per minute touched, for the rules whose samples the store has not
   * written for that minute yet (about once a minute per warm function); a failure loses samples,
   * never records or counts.
   */
  async flushSamples(store: Pick<LogRulesPort, 'addSamples'>, log: Log): Promise<void> {
    const minutes: RuleMinuteCounts[] = [...this.minutes].map(([minute, { samples }]) => ({
      minute,
      rules: [...samples.entries()].map(([rule, s]) => ({ rule, count: 0, samples: s })),
      seen: [],
    }));
    this.minutes.clear();
    this.last = undefined;
    await store.addSamples(minutes).catch((error: unknown) => log.error('could not add log rule samples; the records are stored and counted', { minutes: minutes.length, error: String(error) }));
  }
}

/** One minute of an invocation: the first samples by rule. */
interface Tallied {
  readonly samples: Map<string, RuleSample[]>;
}
