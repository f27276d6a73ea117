import { runDiagnose } from '../../app/diagnose/pass';
import { diagnoseDeps, statsStore } from '../../compose';
import type { Context } from '../context';
import { age } from '../format';
import { stderrLog } from '../log';

/**
 * `dts diagnose --now`: one liveness pass, made by the same factory as the scheduled function's
 * (silences, flapping and storms included), against the configured backend.
 */
export async function diagnoseCommand(ctx: Context, o: { now?: boolean; json?: boolean; verbose?: boolean }): Promise<number> {
  if (!o.now) return monitorStatus(ctx, o);
  const root = await ctx.root(
    ['hostsTable', 'silencesTable', 'statsTable', 'notificationsTable', 'alertsTopicArn', 'heartbeatsQueueUrl'],
    { log: stderrLog(ctx, o.verbose === true && !o.json) },
  );
  // No deadline watch follows this pass: it holds no death back for one (the group wait).
  const summary = await runDiagnose({ ...diagnoseDeps(root), watchMs: 0 });
  if (o.json) ctx.io.out(JSON.stringify(summary, null, 2) + '\n');
  else {
    const changes = Object.entries(summary.transitions).map(([k, n]) => `${n} ${k}`).join(', ') || 'no state changes';
    ctx.io.out(`diagnose: ${summary.examined} host(s) examined, ${changes}${summary.errors ? `, ${summary.errors} error(s)` : ''}\n`);
    for (const reason of summary.degraded) ctx.io.out(`monitor degraded: ${reason}\n`);
    if (summary.outbox.unpublished > 0) ctx.io.out(`${summary.outbox.unpublished} notification(s) not delivered yet; the next pass retries them\n`);
  }
  return summary.errors > 0 ? 1 : 0;
}

async function monitorStatus(ctx: Context, o: { json?: boolean }): Promise<number> {
  const m = await statsStore(await ctx.root(['statsTable'])).monitor();
  if (o.json) {
    ctx.io.out(JSON.stringify(m, null, 2) + '\n');
    return 0;
  }
  const now = Date.now();
  ctx.io.out(m.lastRun === undefined ? 'diagnose has never run here\n' : `diagnose last ran ${age(m.lastRun, now)} (${new Date(m.lastRun).toISOString()})\n`);
  if (m.degraded) ctx.io.out(`monitor degraded since ${new Date(m.degradedSince ?? now).toISOString()}\n`);
  ctx.io.err('run a pass now with `dts diagnose --now`\n');
  return 0;
}
