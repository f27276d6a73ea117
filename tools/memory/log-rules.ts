import type { PendingNotification } from '../../lib/domain/model';
import type { RuleBucket, RuleSample, RuleState } from '../../lib/domain/rule/judge';
import type { LogRule } from '../../lib/domain/rule/rule';
import type { Announce, LogRulesPort, RuleCount } from '../../lib/ports';
import { copy } from './item';

interface Minute { count: number; samples: RuleSample[] }
interface State { firing: boolean; since?: number; clearSince?: number; lastSeen?: number; judgedAt?: number; pending: Map<string, PendingNotification> }

/** Log rules in memory, with the DynamoDB adapter's conditions (lib/adapters/dynamodb/log-rules.ts). */
export class MemoryLogRules implements LogRulesPort {
  private readonly rules = new Map<string, LogRule>();
  private readonly minutes = new Map<string, Map<number, Minute>>();
  private readonly states = new Map<string, State>();
  /** UpdateItem calls addCounts made, as the table would have seen them: what the benches count. */
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
    if (!this.rules.delete(name)) return false;
    this.states.delete(name);
    return true;
  }

  async addCounts(counts: readonly RuleCount[]): Promise<void> {
    for (const c of counts) {
      if (c.count <= 0) continue;
      this.countWrites++;
      const byMinute = this.minutes.get(c.rule) ?? new Map<number, Minute>();
      this.minutes.set(c.rule, byMinute);
      const m = byMinute.get(c.minute);
      if (m) m.count += c.count;
      else byMinute.set(c.minute, { count: c.count, samples: copy([...c.samples]) });
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

  private since(name: string, fromMinute: number): [number, Minute][] {
    return [...(this.minutes.get(name) ?? new Map<number, Minute>())].filter(([m]) => m >= fromMinute).sort((a, b) => a[0] - b[0]);
  }

  async window(name: string, fromMinute: number): Promise<RuleBucket[]> {
    return this.since(name, fromMinute).map(([minute, m]) => ({ minute, count: m.count }));
  }

  async samples(name: string, fromMinute: number, limit: number): Promise<RuleSample[]> {
    return this.since(name, fromMinute).reverse().flatMap(([, m]) => copy(m.samples)).slice(0, limit);
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
