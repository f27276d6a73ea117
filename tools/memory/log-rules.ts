import type { PendingNotification } from '../../lib/domain/model';
import type { RuleSample, RuleState } from '../../lib/domain/rule/judge';
import type { LogRule } from '../../lib/domain/rule/rule';
import type { Announce, LogRulesPort, RuleMinute, RuleMinuteCounts } from '../../lib/ports';
import { copy } from './item';

/** One minute's item: every rule's count and first samples. */
interface Minute { counts: Map<string, number>; samples: Map<string, RuleSample[]>; seen: Map<string, Set<number>> }
interface State { firing: boolean; since?: number; clearSince?: number; lastSeen?: number; judgedAt?: number; pending: Map<string, PendingNotification> }

/** Log rules in memory, with the DynamoDB adapter's conditions (lib/adapters/dynamodb/log-rules.ts). */
export class MemoryLogRules implements LogRulesPort {
  private readonly rules = new Map<string, LogRule>();
  private readonly retiredRules = new Map<string, LogRule>();
  private readonly minutes = new Map<number, Minute>();
  private readonly states = new Map<string, State>();
  /** UpdateItem calls addMinutes made, as the table would have seen them: what the benches count. */
  countWrites = 0;

  async add(rule: LogRule): Promise<boolean> {
    if (this.rules.has(rule.name)) return false;
    this.rules.set(rule.name, copy(rule));
    return true;
  }

  async list(): Promise<LogRule[]> {
    return [...this.rules.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)).map(copy);
  }

  async get(name: string): Promise<LogRule | undefined> {
    const r = this.rules.get(name);
    return r && copy(r);
  }

  async remove(name: string): Promise<boolean> {
    const rule = this.rules.get(name);
    if (!rule) return false;
    this.retiredRules.set(name, rule);
    this.rules.delete(name);
    return true;
  }

  async retired(): Promise<LogRule[]> {
    return [...this.retiredRules.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)).map(copy);
  }

  async forget(name: string): Promise<void> {
    this.retiredRules.delete(name);
    const s = this.states.get(name);
    if (this.rules.has(name) || (s && (s.firing || s.pending.size > 0))) return;
    this.states.delete(name);
  }

  async addMinutes(minutes: readonly RuleMinuteCounts[]): Promise<void> {
    for (const m of minutes) {
      const counted = m.rules.filter((r) => r.count > 0);
      if (counted.length === 0 && m.seen.length === 0) continue;
      this.countWrites++;
      const item = this.minutes.get(m.minute) ?? { counts: new Map<string, number>(), samples: new Map<string, RuleSample[]>(), seen: new Map<string, Set<number>>() };
      this.minutes.set(m.minute, item);
      for (const r of counted) {
        item.counts.set(r.rule, (item.counts.get(r.rule) ?? 0) + r.count);
        if (r.samples.length > 0 && !item.samples.has(r.rule)) item.samples.set(r.rule, copy([...r.samples]));
      }
      for (const r of m.seen) item.seen.set(r.rule, (item.seen.get(r.rule) ?? new Set<number>()).add(r.at));
    }
  }

  private stateOf(name: string): State {
    const s = this.states.get(name) ?? { firing: false, pending: new Map() };
    this.states.set(name, s);
    return s;
  }

  async markSeen(name: string, at: number): Promise<void> {
    const s = this.stateOf(name);
    if (s.lastSeen === undefined || s.lastSeen < at) s.lastSeen = at;
  }

  private since(fromMinute: number): [number, Minute][] {
    return [...this.minutes].filter(([m]) => m >= fromMinute).sort((a, b) => a[0] - b[0]);
  }

  async window(rules: readonly string[], fromMinute: number): Promise<RuleMinute[]> {
    return this.since(fromMinute).flatMap(([minute, m]) => {
      const counts = Object.fromEntries(rules.filter((r) => m.counts.has(r)).map((r) => [r, m.counts.get(r) as number]));
      const seen = Object.fromEntries(rules.filter((r) => m.seen.has(r)).map((r) => [r, Math.max(...(m.seen.get(r) as Set<number>))]));
      return Object.keys(counts).length > 0 || Object.keys(seen).length > 0 ? [{ minute, counts, seen }] : [];
    });
  }

  async samples(name: string, fromMinute: number, limit: number): Promise<RuleSample[]> {
    return this.since(fromMinute).reverse().flatMap(([, m]) => copy(m.samples.get(name) ?? [])).slice(0, limit);
  }

  async state(name: string): Promise<RuleState & { readonly pending: PendingNotification[] }> {
    const s = this.states.get(name);
    if (!s) return { firing: false, pending: [] };
    const { pending, ...rest } = s;
    const defined = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined)) as unknown as RuleState;
    return { ...defined, pending: copy([...pending.values()]).sort((a, b) => a.queuedAt - b.queuedAt) };
  }

  async commit(name: string, judgedAt: number | undefined, next: RuleState, announce?: Announce): Promise<boolean> {
    const s = this.stateOf(name);
    if (s.judgedAt !== judgedAt) return false;
    s.firing = next.firing;
    s.since = next.since;
    s.clearSince = next.clearSince;
    s.judgedAt = next.judgedAt ?? Date.now();
    for (const n of announce?.notifications ?? []) s.pending.set(n.id, { notification: copy(n), queuedAt: announce?.queuedAt ?? 0 });
    return true;
  }

  async settle(name: string, id: string): Promise<void> {
    this.states.get(name)?.pending.delete(id);
  }
}
