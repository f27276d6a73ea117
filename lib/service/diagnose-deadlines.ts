import type { NotificationKind } from '../model';
import { hostTransition } from '../rules/host-transitions';
import { deadlineOf } from '../rules/liveness';
import { judgePlans, loudDeath, type Diagnosis, type PassContext, type Plan, type Upcoming } from './diagnose';
import { Outbox } from './outbox';

export interface WatchOptions {
  /** When the pass that listed the deadlines started: a pass recorded after it takes over. */
  readonly passAt: number;
  /** Stop watching at this time (ms): the next pass's start, or the invocation's time budget. */
  readonly until: number;
  /**
   * Deadlines this close after a batch's first one are confirmed with it, when the last of them
   * comes; default 250 ms. With a group wait (`Diagnosis.groupWaitMs`), the batch is every
   * deadline within it of the first, confirmed together when it has passed.
   */
  readonly batchMs?: number;
  /** While waiting, how often to look for a newer pass; default 1 s. */
  readonly pollMs?: number;
}

export interface WatchSummary {
  /** Hosts listed by the pass, and listed again when a confirm found their deadline moved. */
  readonly watched: number;
  /** BatchGetItem requests, and hosts they read. */
  readonly reads: number;
  readonly confirmed: number;
  readonly transitions: Partial<Record<NotificationKind, number>>;
  /** How long after its deadline each `host-down` was committed, in ms. */
  readonly lateMs: number[];
  readonly errors: number;
  /** Why the watch stopped before `until`, if it did. */
  readonly stopped?: string;
}

const sleepFor = (ms: number) => new Promise<void>((r) => setTimeout(r, Math.max(0, ms)));

/**
 * Acts at each listed host's deadline within the same invocation as the pass, so a death is
 * declared seconds after its deadline rather than at the next one-minute pass
 * (docs/SEMANTICS.md, "Detection at the deadline"). Deadlines close together are confirmed
 * together: one strongly consistent BatchGetItem when the last of them comes, then the hosts
 * are judged by `judgePlans`, the pass's own path, with the pass's population, silences and
 * the deaths already decided in this invocation (so they can still join a storm), and their
 * notifications are committed with the state change and delivered through a fresh outbox.
 * A host that beat since is listed again at its new deadline if that comes before `until`.
 * Before each batch, the backlog guard of the pass is checked again: with beats waiting, the
 * watch stops and leaves the fleet to the next pass. It also stops as soon as a newer pass has
 * recorded its run (the monitor item, read once a second while waiting): that pass has listed
 * the deadlines from its own start, so two invocations overlap by one pass at most, and even
 * then each state change is one conditional write: whichever commits, the other does nothing.
 */
export async function watchDeadlines(d: Diagnosis, context: PassContext, upcoming: readonly Upcoming[], options: WatchOptions): Promise<WatchSummary> {
  const groupWaitMs = d.groupWaitMs ?? 0;
  const batchMs = Math.max(options.batchMs ?? 250, groupWaitMs);
  const pollMs = options.pollMs ?? 1000;
  // Waits until `at`, unless a newer pass has recorded its run: its own list then covers the
  // deadlines from its start, so this invocation ends rather than overlap it.
  const waitUntil = async (at: number): Promise<boolean> => {
    for (;;) {
      if (((await d.stats.monitor()).lastRun ?? 0) > options.passAt) return false;
      const left = at - d.delivery.now();
      if (left <= 0) return true;
      await sleepFor(Math.min(left, pollMs));
    }
  };
  const queue = upcoming.filter((u) => u.deadline <= options.until).sort((a, b) => a.deadline - b.deadline);
  const transitions: Partial<Record<NotificationKind, number>> = {};
  const lateMs: number[] = [];
  let watched = queue.length;
  let reads = 0;
  let confirmed = 0;
  let errors = 0;
  let stopped: string | undefined;
  if (context.degraded.length > 0) return { watched: 0, reads, confirmed, transitions, lateMs, errors, stopped: 'the monitor is degraded' };

  while (queue.length > 0) {
    const first = queue[0] as Upcoming;
    let n = 1;
    while (n < queue.length && (queue[n] as Upcoming).deadline <= first.deadline + batchMs) n++;
    const batch = queue.splice(0, n);
    // Dead from the deadline on (liveness: alive while now < deadline); held for the group wait
    // from the first, so that deaths close together are judged, and announced, together.
    // The hold never outlasts the watch: the invocation's time budget ends soon after it.
    const lastDeadline = (batch[batch.length - 1] as Upcoming).deadline;
    const last = Math.max(lastDeadline, Math.min(first.deadline + groupWaitMs, options.until));
    if (!(await waitUntil(last))) {
      stopped = 'a newer pass took over';
      break;
    }
    try {
      const backlog = await d.backlog();
      const threshold = Math.max(d.backlogThreshold, context.population.total);
      if (backlog > threshold) {
        stopped = `${backlog} beats waiting on the heartbeats queue (threshold ${threshold})`;
        break;
      }
    } catch (e) {
      stopped = `the heartbeats queue backlog is unknown: ${(e as Error).message}`;
      break;
    }

    let hosts;
    try {
      hosts = await d.hosts.getMany(batch.map((u) => u.hostname));
      reads++;
    } catch (e) {
      errors++;
      d.log.error('could not read hosts at their deadline; the next pass judges them', { hosts: batch.length, error: String(e) });
      continue;
    }
    confirmed += hosts.length;
    const now = d.delivery.now();
    const plans: Plan[] = [];
    for (const host of hosts) {
      // Declared dead since the pass by an invocation overlapping this one: a death the deaths
      // judged now may join in a storm, as if this invocation had declared it.
      if (host.state === 'dead' && loudDeath(host, context.silences) && !context.died.some((h) => h.hostname === host.hostname)) {
        context.died.push({ hostname: host.hostname, labels: host.labels, deathAt: host.stateSince, ...(host.stormIncident ? { storm: host.stormIncident } : {}) });
      }
      const t = hostTransition(host, now, d.rule, true);
      if (t) plans.push({ host, t });
      else if ((host.state === 'new' || host.state === 'alive') && deadlineOf(host, d.rule) <= options.until) {
        insert(queue, { hostname: host.hostname, deadline: deadlineOf(host, d.rule) });
        watched++;
      }
    }
    if (plans.length === 0) continue;
    const outbox = new Outbox();
    const judged = await judgePlans(d, context, plans, now, [], outbox);
    errors += judged.errors;
    for (const [kind, count] of Object.entries(judged.transitions)) {
      transitions[kind as NotificationKind] = (transitions[kind as NotificationKind] ?? 0) + (count ?? 0);
    }
    for (const p of plans) if (p.t?.to === 'dead') lateMs.push(now - p.t.at);
    await outbox.flush(d.delivery, d.log);
  }
  const summary = { watched, reads, confirmed, transitions, lateMs, errors, ...(stopped ? { stopped } : {}) };
  d.log.info('diagnose deadline watch', { ...summary, lateMs: undefined, maxLateMs: Math.max(0, ...lateMs) });
  return summary;
}

/** Into the queue, kept sorted by deadline. */
function insert(queue: Upcoming[], u: Upcoming): void {
  const i = queue.findIndex((q) => q.deadline > u.deadline);
  if (i < 0) queue.push(u);
  else queue.splice(i, 0, u);
}
