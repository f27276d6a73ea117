import type { LogRecord } from '../../domain/model';
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
 * place (`slot`) in the app's list, where a minute's counts are kept.
 */
export interface AppRules {
  readonly rules: readonly CompiledRule[];
  readonly scopes: readonly ScopeRules[];
}

interface ScopeRules {
  readonly host: string | undefined;
  readonly fields: readonly (readonly [string, string])[];
  readonly rules: readonly SlotRule[];
}

interface SlotRule {
  readonly slot: number;
  readonly silent: boolean;
  /** Silent rules take every level. */
  readonly minLevel: number;
  readonly matches: Matcher | undefined;
}

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
  const scopes = new Map<string, { host: string | undefined; fields: [string, string][]; rules: SlotRule[] }>();
  rules.forEach(({ rule, matches }, slot) => {
    const fields = Object.entries(rule.scope.fields ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const key = JSON.stringify([rule.scope.host ?? null, fields]);
    let scope = scopes.get(key);
    if (!scope) scopes.set(key, (scope = { host: rule.scope.host, fields, rules: [] }));
    const { condition } = rule;
    scope.rules.push({ slot, silent: condition.kind === 'silent', minLevel: condition.kind === 'silent' ? -Infinity : condition.minLevel, matches });
  });
  return [...scopes.values()];
}

/**
 * What one invocation counts: per rule and minute (by receive time) a count and the first
 * samples, and per `--silent` rule the newest receive time. Bounded per record: the rules of the
 * record's app, each scope tested once, each rule a comparison or two and at most one linear-time
 * match on the first 8 KB. A sample is kept as the record and made into a RuleSample only if the
 * store reads it (a warm function writes a rule's samples once a minute, not every invocation).
 */
export class RuleTally {
  private readonly minutes = new Map<number, Map<AppRules, Tallied>>();
  /** The minute the last record went to: a batch's records mostly share one. */
  private last: Tallied | undefined;

  constructor(private readonly index: RuleIndex) {}

  get empty(): boolean {
    return this.minutes.size === 0;
  }

  add(record: LogRecord, receivedAt: number): void {
    const app = this.index.get(record.app);
    if (!app) return;
    const minute = minuteOf(receivedAt);
    let tallied: Tallied | undefined;
    for (const scope of app.scopes) {
      if (scope.host !== undefined && record.hostname !== scope.host) continue;
      if (!fieldsMatch(scope.fields, record.fields)) continue;
      for (const r of scope.rules) {
        if (r.silent) {
          tallied ??= this.minuteOf(minute, app);
          const at = tallied.seen[r.slot] as number;
          if (Number.isNaN(at) || at < receivedAt) tallied.seen[r.slot] = receivedAt;
          continue;
        }
        if (record.level < r.minLevel) continue;
        if (r.matches && !r.matches(record.text)) continue;
        tallied ??= this.minuteOf(minute, app);
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
      apps.set(app, (tallied = { minute, app, counts: new Array<number>(n).fill(0), samples: new Array<LogRecord[] | undefined>(n), seen: new Array<number>(n).fill(NaN) }));
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
        t.app.rules.forEach(({ rule }, slot) => {
          const count = t.counts[slot] as number;
          if (count > 0) rules.push(new Counted(rule.name, count, t.samples[slot] ?? []));
          const at = t.seen[slot] as number;
          // Rounded up: a silent rule may fire up to a second late, never early; a minute holds at most 60 of them.
          if (!Number.isNaN(at)) seen.push({ rule: rule.name, at: Math.ceil(at / 1000) * 1000 });
        });
      }
      return { minute, rules, seen };
    });
    this.minutes.clear();
    this.last = undefined;
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
 * One minute of an invocation for one app's rules, by slot: counts, the first records counted
 * (samples), and the newest receive time of each `--silent` rule (NaN: none).
 */
interface Tallied {
  readonly minute: number;
  readonly app: AppRules;
  readonly counts: number[];
  readonly samples: (LogRecord[] | undefined)[];
  readonly seen: number[];
}
