import { LEVEL_NUMBERS, type LogRecord } from '../../domain/model';
import { minuteOf, sampleOf, type RuleSample } from '../../domain/rule/judge';
import { RULE_LIMITS, type LogRule } from '../../domain/rule/rule';
import type { LogRulesPort, RuleMinuteCounts } from '../../ports';
import type { Log } from '../log';
import { compilePattern, type Matcher } from './pattern';

/** A rule as ingest holds it: its pattern compiled once per load. */
export interface CompiledRule {
  readonly rule: LogRule;
  readonly matches: Matcher | undefined;
}

/**
 * One app's rules as the tally tries them: grouped by scope (host and fields), so that a record
 * is tested against each distinct scope once, however many rules share it; each rule keeps its
 * place (`slot`) in the app's list.
 */
export interface AppRules {
  readonly rules: readonly CompiledRule[];
  readonly scopes: readonly ScopeRules[];
}

/**
 * A scope's rules by what a record costs them. A `--count` rule and a `--silent` rule read only
 * the scope's level histogram and newest receive time, which the tally keeps once per scope; a
 * `--match` rule tries its pattern on each record at or above its level.
 */
interface ScopeRules {
  readonly host: string | undefined;
  readonly fields: readonly (readonly [string, string])[];
  /** `--count` rules: a record counts when its level's bucket is at least `from`. */
  readonly counting: readonly { readonly slot: number; readonly from: number }[];
  readonly silent: readonly number[];
  readonly matching: readonly { readonly slot: number; readonly minLevel: number; readonly matches: Matcher }[];
}

/**
 * A record's level as a bucket of the histogram: how many of LEVEL_NUMBERS it reaches, less one
 * (-1 below DEBUG). A rule at `minLevel` counts the buckets from the number of levels below it.
 */
const LEVELS = LEVEL_NUMBERS.length;
function bucketOf(level: number): number {
  let b = -1;
  while (b + 1 < LEVELS && level >= (LEVEL_NUMBERS[b + 1] as number)) b++;
  return b;
}
const fromBucket = (minLevel: number): number => LEVEL_NUMBERS.filter((l) => l < minLevel).length;

/** The rules by app: a record is tried only against its own app's rules. */
export type RuleIndex = ReadonlyMap<string, AppRules>;

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
  // All rules' counts for a minute share one item, which holds at most RULE_LIMITS.rules of them
  // within DynamoDB's item size: adding refuses more, and a race past that counts the oldest only.
  const counted = rules.length > RULE_LIMITS.rules
    ? [...rules].sort((a, b) => a.createdAt - b.createdAt || (a.name < b.name ? -1 : 1)).slice(0, RULE_LIMITS.rules)
    : rules;
  if (counted.length < rules.length) log.warn('more log rules than can be counted; the newest are skipped', { rules: rules.length, counted: counted.length });
  const byApp = new Map<string, CompiledRule[]>();
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
    byApp.set(rule.scope.app, [...(byApp.get(rule.scope.app) ?? []), { rule, matches }]);
  }
  const index = new Map<string, AppRules>();
  for (const [app, rules] of byApp) index.set(app, { rules, scopes: scopesOf(rules) });
  return index;
}

function scopesOf(rules: readonly CompiledRule[]): ScopeRules[] {
  const scopes = new Map<string, ScopeRules & { counting: ScopeRules['counting'][number][]; silent: number[]; matching: ScopeRules['matching'][number][] }>();
  rules.forEach(({ rule, matches }, slot) => {
    const fields = Object.entries(rule.scope.fields ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const key = JSON.stringify([rule.scope.host ?? null, fields]);
    let scope = scopes.get(key);
    if (!scope) scopes.set(key, (scope = { host: rule.scope.host, fields, counting: [], silent: [], matching: [] }));
    const { condition } = rule;
    if (condition.kind === 'silent') scope.silent.push(slot);
    else if (matches) scope.matching.push({ slot, minLevel: condition.minLevel, matches });
    else scope.counting.push({ slot, from: fromBucket(condition.minLevel) });
  });
  return [...scopes.values()];
}

/**
 * What one invocation counts: per rule and minute (by receive time) a count and the first
 * samples, and per `--silent` rule the newest receive time. Bounded per record: the rules of the
 * record's app, each scope tested once and its histogram bucket, newest time and first records
 * kept once whatever its `--count` and `--silent` rules, and at most one linear-time match on the
 * first 8 KB per `--match` rule. The `--count` rules' counts and samples are read from the
 * histogram when the tally is flushed. A sample is kept as the record and made into a RuleSample
 * only if the store reads it (a warm function writes a rule's samples once a minute, not every
 * invocation).
 */
export class RuleTally {
  private readonly minutes = new Map<number, Map<AppRules, Tallied>>();
  /** The minute the last record went to: a batch's records mostly share one. */
  private last: Tallied | undefined;

  constructor(private readonly index: RuleIndex) {}

  /** Nothing in any scope: flushing would write nothing. */
  get empty(): boolean {
    return this.minutes.size === 0;
  }

  add(record: LogRecord, receivedAt: number): void {
    const app = this.index.get(record.app);
    if (!app) return;
    const minute = minuteOf(receivedAt);
    let tallied: Tallied | undefined;
    let bucket: number | undefined;
    const { scopes } = app;
    for (let k = 0; k < scopes.length; k++) {
      const scope = scopes[k] as ScopeRules;
      if (scope.host !== undefined && record.hostname !== scope.host) continue;
      if (!fieldsMatch(scope.fields, record.fields)) continue;
      tallied ??= this.minuteOf(minute, app);
      const kept = tallied.scopes[k] as ScopeTally;
      if (!(kept.newest >= receivedAt)) kept.newest = receivedAt;
      if (scope.counting.length > 0) {
        bucket ??= bucketOf(record.level);
        if (bucket >= 0) {
          // The first records of each level are enough for every level rule's first samples.
          if ((kept.levels[bucket] as number) < RULE_LIMITS.samples) kept.first.push(record);
          kept.levels[bucket] = (kept.levels[bucket] as number) + 1;
        }
      }
      for (const r of scope.matching) {
        if (record.level < r.minLevel || !r.matches(record.text)) continue;
        tallied.counts[r.slot] = (tallied.counts[r.slot] as number) + 1;
        const samples = (tallied.samples[r.slot] ??= []);
        if (samples.length < RULE_LIMITS.samples) samples.push(record);
      }
    }
  }

  private minuteOf(minute: number, app: AppRules): Tallied {
    if (this.last?.minute === minute && this.last.app === app) return this.last;
    let apps = this.minutes.get(minute);
    if (!apps) this.minutes.set(minute, (apps = new Map()));
    let tallied = apps.get(app);
    if (!tallied) {
      const n = app.rules.length;
      apps.set(app, (tallied = {
        minute, app, counts: new Array<number>(n).fill(0), samples: new Array<LogRecord[] | undefined>(n),
        scopes: app.scopes.map(() => ({ newest: NaN, levels: new Array<number>(LEVELS).fill(0), first: [] })),
      }));
    }
    this.last = tallied;
    return tallied;
  }

  /**
   * One write per minute touched, holding every rule that counted in it and every `--silent` rule
   * whose scope logged in it; a failure loses counts, never records.
   */
  async flush(store: Pick<LogRulesPort, 'addMinutes'>, log: Log): Promise<{ writes: number }> {
    const minutes: RuleMinuteCounts[] = [...this.minutes].map(([minute, apps]) => {
      const rules: RuleMinuteCounts['rules'][number][] = [];
      const seen: RuleMinuteCounts['seen'][number][] = [];
      for (const t of apps.values()) {
        const name = (slot: number): string => (t.app.rules[slot] as CompiledRule).rule.name;
        t.app.scopes.forEach((scope, k) => {
          const { newest, levels, first } = t.scopes[k] as ScopeTally;
          // Not logged in this minute: nothing to count or see.
          if (Number.isNaN(newest)) return;
          for (const { slot, from } of scope.counting) {
            let count = 0;
            for (let b = from; b < LEVELS; b++) count += levels[b] as number;
            if (count > 0) rules.push(new Counted(name(slot), count, first.filter((r) => bucketOf(r.level) >= from).slice(0, RULE_LIMITS.samples)));
          }
          // Rounded up: a silent rule may fire up to a second late, never early; a minute holds at most 60 of them.
          for (const slot of scope.silent) seen.push({ rule: name(slot), at: Math.ceil(newest / 1000) * 1000 });
          for (const { slot } of scope.matching) {
            const count = t.counts[slot] as number;
            if (count > 0) rules.push(new Counted(name(slot), count, t.samples[slot] ?? []));
          }
        });
      }
      return { minute, rules, seen };
    }).filter((m) => m.rules.length > 0 || m.seen.length > 0);
    this.minutes.clear();
    this.last = undefined;
    // Records in a scope but below every level, with no `--silent` rule there: nothing to write.
    if (minutes.length === 0) return { writes: 0 };
    await store.addMinutes(minutes).catch((error: unknown) => log.error('could not add log rule counts; the records are stored', { minutes: minutes.length, error: String(error) }));
    return { writes: minutes.length };
  }
}

function fieldsMatch(fields: ScopeRules['fields'], of: LogRecord['fields']): boolean {
  for (const [k, v] of fields) if (of[k] !== v) return false;
  return true;
}

/** A rule's count for the minute, with its samples made from the records when first read. */
class Counted {
  private made: RuleSample[] | undefined;

  constructor(
    readonly rule: string,
    readonly count: number,
    private readonly records: readonly LogRecord[],
  ) {}

  get samples(): readonly RuleSample[] {
    return (this.made ??= this.records.map(sampleOf));
  }
}

/**
 * One minute of an invocation for one app's rules: per `--match` rule (by slot) its count and
 * first records counted (samples); per scope (by place) what its `--count` and `--silent` rules
 * read.
 */
interface Tallied {
  readonly minute: number;
  readonly app: AppRules;
  readonly counts: number[];
  readonly samples: (LogRecord[] | undefined)[];
  readonly scopes: ScopeTally[];
}

/**
 * A scope's minute: the newest receive time of its records (NaN: none), how many records at each
 * level bucket, and the first records of each bucket, in the order they came.
 */
interface ScopeTally {
  newest: number;
  readonly levels: number[];
  readonly first: LogRecord[];
}
