import type { LogRecord } from '../../domain/model';
import { minuteOf, sampleOf, type RuleSample } from '../../domain/rule/judge';
import { inScope, RULE_LIMITS, type LogRule } from '../../domain/rule/rule';
import type { LogRulesPort, RuleCount } from '../../ports';
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
  for (const rule of rules) {
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
  private readonly counts = new Map<string, { rule: LogRule; minute: number; count: number; samples: RuleSample[] }>();
  private readonly seen = new Map<string, number>();

  constructor(private readonly index: RuleIndex) {}

  get empty(): boolean {
    return this.counts.size === 0 && this.seen.size === 0;
  }

  add(record: LogRecord, receivedAt: number): void {
    const rules = this.index.get(record.app);
    if (!rules) return;
    for (const { rule, matches } of rules) {
      if (!inScope(rule, record)) continue;
      if (rule.condition.kind === 'silent') {
        this.seen.set(rule.name, Math.max(this.seen.get(rule.name) ?? 0, receivedAt));
        continue;
      }
      if (matches && !matches(record.text)) continue;
      const minute = minuteOf(receivedAt);
      const key = `${rule.name}\u0000${minute}`;
      let c = this.counts.get(key);
      if (!c) this.counts.set(key, (c = { rule, minute, count: 0, samples: [] }));
      c.count++;
      if (c.samples.length < RULE_LIMITS.samples) c.samples.push(sampleOf(record));
    }
  }

  /** One write per rule and minute, one per `--silent` rule; a failure loses counts, never records. */
  async flush(store: Pick<LogRulesPort, 'addCounts' | 'markSeen'>, log: Log): Promise<{ writes: number }> {
    const counts: RuleCount[] = [...this.counts.values()].map(({ rule, minute, count, samples }) => ({
      rule: rule.name, minute, count, samples, keepMs: rule.condition.kind === 'silent' ? 0 : rule.condition.withinMs,
    }));
    const seen = [...this.seen];
    this.counts.clear();
    this.seen.clear();
    await Promise.all([
      store.addCounts(counts).catch((error: unknown) => log.error('could not add log rule counts; the records are stored', { rules: counts.length, error: String(error) })),
      ...seen.map(([name, at]) => store.markSeen(name, at).catch((error: unknown) => log.error('could not mark a silent rule\'s scope seen', { rule: name, error: String(error) }))),
    ]);
    return { writes: counts.length + seen.length };
  }
}
