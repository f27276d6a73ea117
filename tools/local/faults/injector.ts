/**
 * The local cloud's fault injector: a list of rules (see spec.ts) that the edge consults for every
 * AWS call it serves. Only tools/local knows about it: functions see throttles, 5xx answers, resets,
 * latency and their own sudden death exactly as they would see them from AWS.
 *
 * A call made by a function is attributed to its worker (its Lambda execution environment) by the
 * access key id that the runtime gives each worker; that is how `kill-before` and `kill-after`
 * know which worker to kill, and how `function=NAME` selects calls.
 */
import { FaultSpecError, globMatches, parseFaultSpec, type FaultAction, type FaultRule, type Service } from './spec';

export interface Call {
  readonly service: Service;
  readonly operation: string;
  /** The tables, queue or topic the call names (a BatchWriteItem may name several tables). */
  readonly resources: readonly string[];
  /** The access key id the call was signed with. */
  readonly accessKeyId?: string;
}

/** What the injector needs from the Lambda runtime. */
export interface Workers {
  /** The function whose worker signs with this access key id, if any. */
  functionOf(accessKeyId: string): string | undefined;
  /** Kills that worker; its invocation fails as a crashed Lambda. Resolves once it is dead. */
  kill(accessKeyId: string, reason: string): Promise<boolean>;
}

export interface RuleState {
  readonly id: string;
  readonly rule: string;
  /** Matching calls seen. */
  readonly matched: number;
  /** Calls faulted. */
  readonly injected: number;
  /** False once its count is spent or its window has ended. */
  readonly active: boolean;
  readonly setAt: string;
}

export interface Verdict {
  /** Latency to add before anything else happens. */
  readonly delayMs: number;
  /** The fault to inject, if any; latency rules are only in delayMs. */
  readonly fault?: { readonly id: string; readonly action: Exclude<FaultAction, { kind: 'latency' }>; readonly functionName?: string };
}

interface Active {
  readonly id: string;
  readonly rule: FaultRule;
  readonly setAt: number;
  matched: number;
  injected: number;
}

export class FaultInjector {
  private rules: Active[] = [];
  private nextId = 1;
  private workers: Workers | undefined;
  /** Told about each fault as it is injected (the cloud prints the first of each rule, and every kill). */
  onInject: ((id: string, rule: string, call: Call, functionName: string | undefined) => void) | undefined;

  constructor(private readonly random: () => number = Math.random, private readonly now: () => number = Date.now) {}

  attach(workers: Workers | undefined): void {
    this.workers = workers;
  }

  /** Adds the rules of a spec; throws FaultSpecError, adding none, when one is malformed. */
  add(spec: string): RuleState[] {
    const parsed = parseFaultSpec(spec);
    const setAt = this.now();
    const added = parsed.map((rule) => ({ id: `f${this.nextId++}`, rule, setAt, matched: 0, injected: 0 }));
    this.rules.push(...added);
    return added.map((a) => this.stateOf(a));
  }

  /** Replaces every rule by those of the spec (an empty spec clears them). */
  replace(spec: string): RuleState[] {
    parseFaultSpec(spec); // Validate first: a bad spec leaves the rules as they were.
    this.rules = [];
    return this.add(spec);
  }

  clear(): void {
    this.rules = [];
  }

  remove(id: string): boolean {
    const before = this.rules.length;
    this.rules = this.rules.filter((r) => r.id !== id);
    return this.rules.length < before;
  }

  list(): RuleState[] {
    return this.rules.map((r) => this.stateOf(r));
  }

  /** Whether any live rule could concern this service (the edge skips all work when none does). */
  concerns(service: Service): boolean {
    return this.rules.some((r) => (r.rule.service === '*' || r.rule.service === service) && this.live(r));
  }

  decide(call: Call): Verdict {
    let delayMs = 0;
    let fault: Verdict['fault'];
    const functionName = call.accessKeyId ? this.workers?.functionOf(call.accessKeyId) : undefined;
    for (const r of this.rules) {
      if (!this.live(r) || !matches(r.rule, call, functionName)) continue;
      const { action } = r.rule;
      if (action.kind !== 'latency' && fault) continue; // One fault per call; the first rule wins.
      r.matched++;
      if (r.matched <= r.rule.after) continue;
      if (r.rule.rate < 1 && this.random() >= r.rule.rate) continue;
      r.injected++;
      this.onInject?.(r.id, r.rule.text, call, functionName);
      if (action.kind === 'latency') delayMs += action.ms;
      else fault = { id: r.id, action, ...(functionName ? { functionName } : {}) };
    }
    return { delayMs, ...(fault ? { fault } : {}) };
  }

  /** Kills the worker that made a call (kill-before, kill-after). */
  async kill(accessKeyId: string | undefined, reason: string): Promise<boolean> {
    if (!accessKeyId || !this.workers) return false;
    return this.workers.kill(accessKeyId, reason);
  }

  private live(r: Active): boolean {
    if (r.rule.count !== undefined && r.injected >= r.rule.count) return false;
    return r.rule.forMs === undefined || this.now() < r.setAt + r.rule.forMs;
  }

  private stateOf(r: Active): RuleState {
    return { id: r.id, rule: r.rule.text, matched: r.matched, injected: r.injected, active: this.live(r), setAt: new Date(r.setAt).toISOString() };
  }
}

function matches(rule: FaultRule, call: Call, functionName: string | undefined): boolean {
  if (rule.service !== '*' && rule.service !== call.service) return false;
  if (!globMatches(rule.operation, call.operation)) return false;
  const { resource } = rule;
  if (resource !== undefined && !call.resources.some((name) => globMatches(resource, name))) return false;
  const kills = rule.action.kind === 'kill-before' || rule.action.kind === 'kill-after';
  // Only a function's call can kill its worker; the pollers, the tests and the aws CLI are no workers.
  if ((kills || rule.function) && !functionName) return false;
  if (rule.function && functionName !== rule.function && !functionName?.endsWith(`-${rule.function}`)) return false;
  return true;
}

export { FaultSpecError };
