import type { DiagnoseWorkers } from './fanout';
import { runFannedPass, workersFor } from './fanout';
import { passMetrics, type PassMetric } from './metrics';
import { runDiagnosePass, type DiagnoseDeps, type DiagnoseSummary } from './pass';
import { keepStatusPagesCurrent } from './status';
import { watchDeadlines, type WatchSummary } from './watch';

export interface ScheduledRun {
  /** The fan-out settings (DTS_DIAGNOSE_WORKERS and the rest). */
  readonly fanout: Parameters<typeof workersFor>[0];
  /** The workers, when the pass is worth more than one. */
  readonly workers: (count: number) => DiagnoseWorkers;
  /** When the invocation must be done, in epoch ms: the watch ends by then. */
  readonly budgetEnd: number;
  readonly publish: (metrics: readonly PassMetric[]) => void;
}

/**
 * What the scheduled diagnose does each minute: a liveness pass, fanned out to workers for a
 * large fleet (docs/SEMANTICS.md, "Diagnose fanned out"), its metrics, then the deadline watch
 * until the next pass (docs/SEMANTICS.md, "Detection at the deadline"). A host that could not be
 * judged fails the run, so it shows in the function's error metric; the pass is idempotent, so
 * EventBridge's retry, or two invocations overlapping, is harmless. A notification not delivered
 * yet does not fail it: the next pass retries it, and the UnpublishedNotifications metrics show it.
 */
export async function runScheduledDiagnose(d: DiagnoseDeps, run: ScheduledRun): Promise<DiagnoseSummary & { watch: WatchSummary }> {
  const started = d.delivery.now();
  // A fleet too small for more than one worker is judged here, with no extra invocation.
  const workers = run.fanout.workers > 1 ? workersFor(run.fanout, await d.stats.monitor()) : 1;
  const { summary, context, upcoming } = workers > 1 ? await runFannedPass(d, run.workers(workers)) : await runDiagnosePass(d);
  run.publish(passMetrics(summary, d.delivery.now() - started));
  const watch = await watchDeadlines(d, context, upcoming, {
    passAt: summary.at, until: Math.min(summary.at + (d.watchMs ?? 0), run.budgetEnd),
  });
  await keepStatusPagesCurrent(d, { now: d.delivery.now(), silences: context.silences, examined: summary.examined, transitions: [summary.transitions, watch.transitions] });
  const errors = summary.errors + watch.errors;
  if (errors > 0) throw new Error(`diagnose could not judge ${errors} host(s); see the log`);
  return { ...summary, watch };
}
