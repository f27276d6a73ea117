import type { Host, NotificationKind } from '../model';
import { hostTransition, type DiagnoseRule } from '../rules/host-transitions';
import { formatDuration, notification } from '../rules/notifications';
import type { HostStore } from '../store/hosts';
import type { StatsStore } from '../store/stats';
import { deliver, type Delivery } from './deliver';
import type { Log } from './log';

/** The name notifications about the monitor itself are filed under. */
export const MONITOR_HOST = '@monitor';

export interface Diagnosis {
  readonly hosts: HostStore;
  readonly stats: StatsStore;
  readonly delivery: Delivery;
  /** Visible messages waiting on the heartbeats queue. */
  readonly backlog: () => Promise<number>;
  readonly rule: DiagnoseRule;
  readonly scanSegments: number;
  readonly backlogThreshold: number;
  readonly log: Log;
}

export interface DiagnoseSummary {
  readonly at: number;
  readonly examined: number;
  readonly transitions: Partial<Record<NotificationKind, number>>;
  /** Why the monitor did not trust itself to declare hosts dead in this pass, if it did not. */
  readonly degraded: string[];
  readonly errors: number;
}

/**
 * One liveness pass over the fleet. Before blaming a host, the monitor checks itself: with a
 * backlog of unprocessed beats, or after its own absence longer than a host's deadline, no
 * host is declared dead in this pass and the monitor records that it is degraded instead.
 */
export async function runDiagnose(d: Diagnosis): Promise<DiagnoseSummary> {
  const now = d.delivery.now();
  const degraded = await selfCheck(d, now);
  const transitions: Partial<Record<NotificationKind, number>> = {};
  let examined = 0;
  let errors = 0;

  const judge = async (host: Host) => {
    const t = hostTransition(host, now, d.rule, degraded.length === 0);
    if (!t) return;
    const won = await d.hosts.changeState({
      hostname: host.hostname,
      from: host.state,
      fromSince: host.stateSince,
      to: t.to,
      at: t.at,
      lastBeat: host.lastBeat,
      requireSilence: t.to === 'dead' || t.to === 'retired',
      outageStart: t.outageStart,
    });
    if (!won) return;
    transitions[t.notification.kind] = (transitions[t.notification.kind] ?? 0) + 1;
    await deliver(d.delivery, t.notification);
  };

  await Promise.all(Array.from({ length: d.scanSegments }, async (_, segment) => {
    for await (const page of d.hosts.scanSegment(segment, d.scanSegments)) {
      examined += page.length;
      const results = await Promise.allSettled(page.map(judge));
      for (const [i, r] of results.entries()) {
        if (r.status === 'rejected') {
          errors++;
          d.log.error('could not judge host; it is judged again next pass', { hostname: page[i]?.hostname, error: String(r.reason) });
        }
      }
    }
  }));

  await d.stats.recordRun(now);
  const summary = { at: now, examined, transitions, degraded, errors };
  d.log.info('diagnose pass', { ...summary });
  return summary;
}

async function selfCheck(d: Diagnosis, now: number): Promise<string[]> {
  const reasons: string[] = [];
  const monitor = await d.stats.monitor();
  try {
    const backlog = await d.backlog();
    if (backlog > d.backlogThreshold) reasons.push(`${backlog} beats waiting on the heartbeats queue (threshold ${d.backlogThreshold})`);
  } catch (e) {
    reasons.push(`the heartbeats queue backlog is unknown: ${(e as Error).message}`);
  }
  const deadline = d.rule.defaultInterval * d.rule.tolerance * 1000;
  if (monitor.lastRun !== undefined && now - monitor.lastRun > deadline) {
    reasons.push(`diagnose last ran ${formatDuration(now - monitor.lastRun)} ago, longer than a host's ${formatDuration(deadline)} deadline`);
  }

  const isDegraded = reasons.length > 0;
  if (isDegraded !== monitor.degraded && (await d.stats.setDegraded(isDegraded, now))) {
    const n = isDegraded
      ? notification(MONITOR_HOST, 'monitor-degraded', 'warning', now,
        `dts monitor degraded: no host is declared dead until it catches up (${reasons.join('; ')})`, { reasons: reasons.join('; ') })
      : notification(MONITOR_HOST, 'monitor-ok', 'info', now,
        `dts monitor caught up after ${formatDuration(now - (monitor.degradedSince ?? now))}`);
    await deliver(d.delivery, n);
  }
  return reasons;
}
