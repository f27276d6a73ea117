import type { DiagnoseWorkers } from './fanout';
import { runFannedPass, workersFor } from './fanout';
import { passMetrics, type PassMetric } from './metrics';
import { passChecks, runDiagnosePass, type DiagnoseDeps, type DiagnoseSummary } from './pass';
import { anyTransition, keepPagesThroughWatch, PAGE_REWRITE_GAP_MS } from './status';
import { watchDeadlines, type WatchSummary } from './watch';
import { CHECK_WATCH_OVERLAP_MS, watchChecks, type CheckUpcoming, type CheckWatchSummary } from './checks';
import { establishWatermark } from '../ingest/watermark';
import { NO_DEATHS } from '../../domain/host/transitions';
import { Outbox } from '../outbox';
import type { MonitorState } from '../../ports';

export interface ScheduledRun {
  /** The fan-out settings (DTS_DIAGNOSE_WORKERS and the rest). */
  readonly fanout: Parameters<typeof workersFor>[0];
  /** The workers, when the pass is worth more than one. */
  readonly workers: (count: number) => DiagnoseWorkers;
  /** When the invocation must be done, in epoch ms: the watch ends by then. */
  readonly budgetEnd: number;
  readonly publish: (metrics: readonly PassMetric[]) => void;
  /** The least time between two rewrites of the status pages during the watch; PAGE_REWRITE_GAP_MS by default. */
  readonly pageRewriteGapMs?: number;
}

/**
 * What the scheduled diagnose does each minute: a liveness pass, fanned out to workers for a
 * large fleet (docs/SEMANTICS.md, "Diagnose fanned out"), its metrics, then the deadline watch
 * until the next pass (docs/SEMANTICS.md, "Detection at the deadline"). The status pages are
 * rewritten after the pass and after each watch batch that changed a member, at most every
 * 15 s (docs/STATUS.md). A host that could not be judged fails the run, so it shows in the
 * function's error metric; the pass is idempotent, so two invocations overlapping is harmless
 * (a failed one is not retried: the next pass is its retry). A notification not delivered yet
 * does not fail it: the next pass retries it, and the UnpublishedNotifications metrics show it.
 */
export async function runScheduledDiagnose(d: DiagnoseDeps, run: ScheduledRun): Promise<DiagnoseSummary & { watch: WatchSummary; checkWatch?: CheckWatchSummary }> {
  const started = d.delivery.now();
  // A fleet too small for more than one worker is judged here, with no extra invocation.
  const workers = run.fanout.workers > 1 ? workersFor(run.fanout, await d.stats.monitor()) : 1;
  const { summary, context, upcoming, checks, checkStorms } = workers > 1 ? await fannedWithChecks(d, run.workers(workers)) : await runDiagnosePass(d);
  run.publish(passMetrics(summary, d.delivery.now() - started));
  const until = Math.min(summary.at + (d.watchMs ?? 0), run.budgetEnd);
  const pages = keepPagesThroughWatch(d, { now: d.delivery.now, silences: context.silences, examined: summary.examined }, anyTransition(summary.transitions), run.pageRewriteGapMs ?? PAGE_REWRITE_GAP_MS);
  // The checks' watch overlaps the next pass until that pass has recorded its run (`stop`).
  const checksUntil = (d.watchMs ?? 0) > 0 ? Math.min(summary.at + (d.watchMs ?? 0) + CHECK_WATCH_OVERLAP_MS, run.budgetEnd) : until;
  // The monitor item read once a second by the checks' watch says both whether a newer pass has
  // taken over and which checks were added since (`noted` follows `stop`, and reuses its read).
  let seen: MonitorState | undefined;
  const [watch, checkWatch] = await Promise.all([
    watchDeadlines(d, context, upcoming, { passAt: summary.at, until, onCommitted: pages.changed }),
    d.checks && context.degraded.length === 0 ? watchChecks({ checks: d.checks, delivery: d.delivery, log: d.log, ...(d.storm ? { storm: d.storm } : {}) }, context.silences, checks, {
      until: checksUntil,
      ...(checkStorms ? { storms: checkStorms } : {}),
      onCommitted: pages.changed,
      stop: async () => {
        seen = await d.stats.monitor();
        return (seen.lastRun ?? 0) > summary.at;
      },
      arrivals: {
        noted: async () => {
          const m = seen ?? (await d.stats.monitor());
          seen = undefined;
          return m.checkArrivals;
        },
        forget: (names) => d.stats.forgetArrivals(names, 'checks'),
        watching: (at, ended) => d.stats.watching(at, ended, 'checks'),
      },
      deadThrough: async () => {
        const w = await establishWatermark({ queue: d.queue, stats: d.stats, lagWaitMs: d.lagWaitMs, now: d.delivery.now });
        return w.reasons.length > 0 ? NO_DEATHS : Math.min(d.delivery.now(), w.through);
      },
    }) : undefined,
  ]);
  await pages.settle();
  const errors = summary.errors + watch.errors + (checkWatch?.errors ?? 0);
  if (errors > 0) throw new Error(`diagnose could not judge ${errors} host(s) or check(s); see the log`);
  return { ...summary, watch, ...(checkWatch ? { checkWatch } : {}) };
}

/** The fanned-out pass judges hosts in its workers; the checks, few and small, the coordinator judges alone. */
async function fannedWithChecks(d: DiagnoseDeps, workers: DiagnoseWorkers): Promise<Awaited<ReturnType<typeof runDiagnosePass>>> {
  const pass = await runFannedPass(d, workers);
  if (!d.checks) return { ...pass, checks: [] as CheckUpcoming[] };
  const outbox = new Outbox();
  const deadThrough = pass.context.degraded.length === 0 ? pass.summary.at : NO_DEATHS;
  const checked = await passChecks(d, d.checks, pass.summary.at, deadThrough, pass.context.silences, outbox, [...pass.context.storms.values()]);
  await outbox.flush(d.delivery, d.log);
  const transitions = { ...pass.summary.transitions };
  for (const [kind, n] of Object.entries(checked.transitions)) transitions[kind as keyof typeof transitions] = (transitions[kind as keyof typeof transitions] ?? 0) + (n ?? 0);
  const storms = [...pass.summary.storms, ...checked.storms];
  return { ...pass, summary: { ...pass.summary, transitions, storms, errors: pass.summary.errors + checked.errors }, checks: checked.upcoming, checkStorms: checked.context };
}
