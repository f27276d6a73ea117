/** Fires each scheduled rule at its times and invokes its targets, as EventBridge does (asynchronously). */
import type { SchedulePlan } from './template/plan';
import { everySeconds, parseSchedule, scheduledEvent, type Schedule } from './schedule';

export interface SchedulerDeps {
  readonly invoke: (functionName: string, event: unknown) => Promise<unknown>;
  readonly log: (line: string) => void;
  readonly region: string;
}

export class Scheduler {
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly inflight = new Set<Promise<unknown>>();
  private stopped = false;
  readonly entries: ReadonlyArray<{ plan: SchedulePlan; schedule: Schedule }>;

  constructor(plans: readonly SchedulePlan[], tickSeconds: number | undefined, private readonly deps: SchedulerDeps) {
    this.entries = plans.map((plan) => ({
      plan,
      schedule: tickSeconds ? everySeconds(tickSeconds, `every ${tickSeconds} s (--tick; the template says ${plan.expression})`) : parseSchedule(plan.expression),
    }));
  }

  start(): void {
    for (const entry of this.entries) this.arm(entry, entry.schedule.next(Date.now()));
  }

  /** Stops firing and waits for the invocations already started. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    await Promise.allSettled([...this.inflight]);
  }

  private arm(entry: { plan: SchedulePlan; schedule: Schedule }, at: number): void {
    if (this.stopped || !Number.isFinite(at)) return;
    // setTimeout holds at most ~24.8 days; a later firing re-arms on the way.
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (Date.now() < at) return this.arm(entry, at);
      this.fire(entry.plan, new Date(at));
      this.arm(entry, entry.schedule.next(Math.max(at, Date.now())));
    }, Math.min(2 ** 31 - 1, Math.max(0, at - Date.now())));
    this.timers.add(timer);
  }

  private fire(plan: SchedulePlan, at: Date): void {
    for (const target of plan.targets) {
      const event = target.input !== undefined ? JSON.parse(target.input) as unknown : scheduledEvent(plan.ruleArn, this.deps.region, at);
      const run = this.deps.invoke(target.functionName, event).catch((e: Error) => {
        this.deps.log(`${target.functionName} (${plan.ruleName}) failed: ${e.message}`);
      });
      this.inflight.add(run);
      void run.finally(() => this.inflight.delete(run));
    }
  }
}
