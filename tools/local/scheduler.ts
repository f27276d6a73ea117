/**
 * Fires each scheduled rule at its times and invokes its targets, as EventBridge does
 * (asynchronously), and watches each one: a schedule that has not completed a run for
 * NOT_RUNNING_PERIODS of its periods (it failed, or it hangs) is reported as not running, in the
 * log and in status(), which the edge serves at GET /_dts/schedules.
 */
import type { SchedulePlan } from './template/plan';
import { everySeconds, parseSchedule, scheduledEvent, type Schedule } from './schedule';

export interface SchedulerDeps {
  readonly invoke: (functionName: string, event: unknown) => Promise<unknown>;
  readonly log: (line: string) => void;
  readonly region: string;
}

export interface SchedulerOptions {
  /** Run every schedule but the report's at this period, in seconds (--tick). */
  readonly tickSeconds?: number;
  /** Run the report's schedule at this period, in seconds (--report-every). */
  readonly reportEverySeconds?: number;
  /** The functions whose schedules are the report's: --tick leaves them alone. */
  readonly isReport?: (functionName: string) => boolean;
}

/** After this many periods without a successful run, a schedule is reported as not running. */
export const NOT_RUNNING_PERIODS = 3;

export interface ScheduleStatus {
  readonly rule: string;
  readonly functions: readonly string[];
  readonly schedule: string;
  readonly periodMs: number;
  readonly state: 'running' | 'not-running';
  readonly lastFiredAt?: string;
  readonly lastSucceededAt?: string;
  readonly lastFailedAt?: string;
  readonly lastError?: string;
  readonly consecutiveFailures: number;
}

interface Entry {
  readonly plan: SchedulePlan;
  readonly schedule: Schedule;
  readonly periodMs: number;
  /** When the watch started counting: the start, then each success. */
  okSince: number;
  lastFiredAt?: number;
  lastSucceededAt?: number;
  lastFailedAt?: number;
  lastError?: string;
  consecutiveFailures: number;
  notRunning: boolean;
}

export class Scheduler {
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly inflight = new Set<Promise<unknown>>();
  private watch: NodeJS.Timeout | undefined;
  private stopped = false;
  readonly entries: ReadonlyArray<Entry>;

  constructor(plans: readonly SchedulePlan[], options: SchedulerOptions, private readonly deps: SchedulerDeps) {
    const now = Date.now();
    this.entries = plans.map((plan) => {
      const report = plan.targets.some((t) => options.isReport?.(t.functionName) ?? false);
      const schedule = report
        ? options.reportEverySeconds ? everySeconds(options.reportEverySeconds, `every ${options.reportEverySeconds} s (--report-every; the template says ${plan.expression})`) : parseSchedule(plan.expression)
        : options.tickSeconds ? everySeconds(options.tickSeconds, `every ${options.tickSeconds} s (--tick; the template says ${plan.expression})`) : parseSchedule(plan.expression);
      const first = schedule.next(now);
      return { plan, schedule, periodMs: schedule.next(first) - first, okSince: now, consecutiveFailures: 0, notRunning: false };
    });
  }

  start(): void {
    for (const entry of this.entries) this.arm(entry, entry.schedule.next(Date.now()));
    const shortest = Math.min(...this.entries.map((e) => e.periodMs));
    if (Number.isFinite(shortest)) {
      this.watch = setInterval(() => this.check(), Math.min(60_000, Math.max(500, shortest / 2)));
      this.watch.unref();
    }
  }

  /** Stops firing and waits for the invocations already started. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    if (this.watch) clearInterval(this.watch);
    await Promise.allSettled([...this.inflight]);
  }

  status(): ScheduleStatus[] {
    this.check();
    const iso = (t: number | undefined): string | undefined => (t === undefined ? undefined : new Date(t).toISOString());
    return this.entries.map((e) => ({
      rule: e.plan.ruleName,
      functions: e.plan.targets.map((t) => t.functionName),
      schedule: e.schedule.description,
      periodMs: e.periodMs,
      state: e.notRunning ? 'not-running' : 'running',
      ...(e.lastFiredAt ? { lastFiredAt: iso(e.lastFiredAt) } : {}),
      ...(e.lastSucceededAt ? { lastSucceededAt: iso(e.lastSucceededAt) } : {}),
      ...(e.lastFailedAt ? { lastFailedAt: iso(e.lastFailedAt) } : {}),
      ...(e.lastError ? { lastError: e.lastError } : {}),
      consecutiveFailures: e.consecutiveFailures,
    }));
  }

  /** Flags (once) each schedule that has gone NOT_RUNNING_PERIODS periods without a success. */
  private check(now = Date.now()): void {
    if (this.stopped) return;
    for (const e of this.entries) {
      if (e.notRunning || !Number.isFinite(e.periodMs) || now - e.okSince < NOT_RUNNING_PERIODS * e.periodMs) continue;
      e.notRunning = true;
      const why = e.lastError ? `${e.consecutiveFailures} failed run(s), last: ${e.lastError}` : e.lastFiredAt ? 'its runs have not finished' : 'it has not fired';
      this.deps.log(`! schedule ${e.plan.ruleName} (${e.plan.targets.map((t) => t.functionName).join(', ')}) is NOT RUNNING: no successful run for ${NOT_RUNNING_PERIODS} periods of ${formatMs(e.periodMs)} (${why})`);
    }
  }

  private arm(entry: Entry, at: number): void {
    if (this.stopped || !Number.isFinite(at)) return;
    // setTimeout holds at most ~24.8 days; a later firing re-arms on the way.
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (Date.now() < at) return this.arm(entry, at);
      this.fire(entry, new Date(at));
      this.arm(entry, entry.schedule.next(Math.max(at, Date.now())));
    }, Math.min(2 ** 31 - 1, Math.max(0, at - Date.now())));
    this.timers.add(timer);
  }

  private fire(entry: Entry, at: Date): void {
    const { plan } = entry;
    entry.lastFiredAt = Date.now();
    for (const target of plan.targets) {
      const event = target.input !== undefined ? JSON.parse(target.input) as unknown : scheduledEvent(plan.ruleArn, this.deps.region, at);
      const run = this.deps.invoke(target.functionName, event).then(() => {
        entry.lastSucceededAt = Date.now();
        entry.okSince = entry.lastSucceededAt;
        entry.consecutiveFailures = 0;
        if (entry.notRunning) {
          entry.notRunning = false;
          this.deps.log(`schedule ${plan.ruleName} (${target.functionName}) is running again`);
        }
      }, (e: Error) => {
        entry.lastFailedAt = Date.now();
        entry.lastError = e.message;
        entry.consecutiveFailures++;
        this.deps.log(`${target.functionName} (${plan.ruleName}) failed: ${e.message}`);
        this.check();
      });
      this.inflight.add(run);
      void run.finally(() => this.inflight.delete(run));
    }
  }
}

function formatMs(ms: number): string {
  return ms % 60_000 === 0 ? `${ms / 60_000} min` : `${ms / 1000} s`;
}
