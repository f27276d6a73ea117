import type { Host, NotificationKind } from '../../domain/model';
import { hostTransition } from '../../domain/host/transitions';
import { deadlineOf } from '../../domain/host/liveness';
import { judgePlans, loudDeath, type DiagnoseDeps, type PassContext, type Plan, type Upcoming } from './pass';
import { establishWatermark } from '../ingest/watermark';
import { Outbox } from '../outbox';

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
  /** Told after each batch that committed a transition (the status pages show it). */
  readonly onCommitted?: () => void;
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

/** A death held for the watermark (its canary stamped just before the deadline) is looked at again this much later. */
const HELD_RETRY_MS = 1000;

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
 * Before a batch's deaths are declared, the ingest watermark must have passed their deadlines
 * (lib/domain/fleet/watermark.ts): if ingest is behind, the watch stops and leaves the fleet to the next
 * pass. It also stops as soon as a newer pass has
 * recorded its run (the monitor item, read once a second while waiting): that pass has listed
 * the deadlines from its own start, so two invocations overlap by one pass at most, and even
 * then each state change is one conditional write: whichever commits, the other does nothing.
 */
export async function watchDeadlines(d: DiagnoseDeps, context: PassContext, upcoming: readonly Upcoming[], options: WatchOptions): Promise<WatchSummary> {
  const groupWaitMs = d.groupWaitMs ?? 0;
  const batchMs = Math.max(options.batchMs ?? 250, groupWaitMs);
  const pollMs = options.pollMs ?? 1000;
  const queue = upcoming.filter((u) => u.deadline <= options.until).sort((a, b) => a.deadline - b.deadline);
  const transitions: Partial<Record<NotificationKind, number>> = {};
  const lateMs: number[] = [];
  let watched = queue.length;
  let reads = 0;
  let confirmed = 0;
  let errors = 0;
  let stopped: string | undefined;
  if (context.degraded.length > 0) return { watched: 0, reads, confirmed, transitions, lateMs, errors, stopped: 'the monitor is degraded' };

  // Hosts first seen since the pass (docs/SEMANTICS.md, "New hosts between passes"): listed at
  // their deadline if it falls within the watch, then taken off the monitor item. True if any was.
  const listArrivals = async (names: readonly string[]): Promise<boolean> => {
    let listed = false;
    try {
      for (const host of await d.hosts.getMany(names)) {
        const deadline = deadlineOf(host, d.rule);
        if ((host.state !== 'new' && host.state !== 'alive') || deadline > options.until || queue.some((q) => q.hostname === host.hostname)) continue;
        insert(queue, { hostname: host.hostname, deadline });
        watched++;
        listed = true;
      }
      reads++;
      await d.stats.forgetArrivals(names);
    } catch (e) {
      d.log.warn('could not list new hosts; the watch looks again', { hosts: names.length, error: String(e) });
    }
    return listed;
  };
  // Waits until `at`, unless a newer pass has recorded its run (its own list then covers the
  // deadlines from its start, so this invocation ends rather than overlap it), or new hosts were
  // listed (the batch is then formed again).
  const waitUntil = async (at: number): Promise<'due' | 'newer' | 'arrivals'> => {
    for (;;) {
      const monitor = await d.stats.monitor();
      if ((monitor.lastRun ?? 0) > options.passAt) return 'newer';
      if (monitor.arrivals.length > 0 && (await listArrivals(monitor.arrivals))) return 'arrivals';
      const left = at - d.delivery.now();
      if (left <= 0) return 'due';
      await sleepFor(Math.min(left, pollMs));
    }
  };
  if (queue.length === 0) {
    const { arrivals } = await d.stats.monitor();
    if (arrivals.length > 0) await listArrivals(arrivals);
  }
  // Ingest reads this to know that new hosts will be listed without a pass of their own.
  const said = queue.length > 0 && await d.stats.watching(options.until).then(() => true, (e: unknown) => {
    d.log.warn('could not record the watch on the monitor item', { error: String(e) });
    return false;
  });

  while (queue.length > 0) {
    const first = queue[0] as Upcoming;
    let n = 1;
    while (n < queue.length && (queue[n] as Upcoming).deadline <= first.deadline + batchMs) n++;
    // Dead from the deadline on (liveness: alive while now < deadline); held for the group wait
    // from the first, so that deaths close together are judged, and announced, together.
    // The hold never outlasts the watch: the invocation's time budget ends soon after it.
    const lastDeadline = (queue[n - 1] as Upcoming).deadline;
    const last = Math.max(lastDeadline, Math.min(first.deadline + groupWaitMs, options.until));
    const waited = await waitUntil(last);
    if (waited === 'newer') {
      stopped = 'a newer pass took over';
      break;
    }
    if (waited === 'arrivals') continue;
    const batch = queue.splice(0, n);
    let hosts: Host[];
    try {
      hosts = await d.hosts.getMany(batch.map((u) => u.hostname));
      reads++;
    } catch (e) {
      errors++;
      d.log.error('could not read hosts at their deadline; the next pass judges them', { hosts: batch.length, error: String(e) });
      continue;
    }
    let now = d.delivery.now();
    const planned = (at: number, deadThrough: number): Plan[] => hosts.flatMap((host) => {
      const t = hostTransition(host, at, d.rule, deadThrough);
      return t ? [{ host, t }] : [];
    });
    let plans = planned(now, Infinity);
    if (plans.some((p) => p.t?.to === 'dead')) {
      // A death is declared only once ingest has provably stored every beat received before its
      // deadline (lib/domain/fleet/watermark.ts). Otherwise the watch stops, and leaves the fleet to the
      // next pass, which raises monitor-degraded if ingest is still behind.
      const watermark = await establishWatermark({ queue: d.queue, stats: d.stats, lagWaitMs: d.lagWaitMs, now: d.delivery.now });
      if (watermark.reasons.length > 0) {
        stopped = watermark.reasons.join('; ');
        break;
      }
      // Beats stored while the canary travelled count: the dying hosts are read again.
      const dying = plans.filter((p) => p.t?.to === 'dead').map((p) => p.host.hostname);
      try {
        const fresh = new Map((await d.hosts.getMany(dying)).map((h) => [h.hostname, h] as const));
        reads++;
        hosts = hosts.map((h) => fresh.get(h.hostname) ?? h);
      } catch (e) {
        errors++;
        d.log.error('could not read hosts at their deadline; the next pass judges them', { hosts: dying.length, error: String(e) });
        continue;
      }
      now = d.delivery.now();
      plans = planned(now, Math.min(now, watermark.through));
    }
    confirmed += hosts.length;
    const judging = new Set(plans.map((p) => p.host.hostname));
    for (const host of hosts) {
      // Declared dead since the pass by an invocation overlapping this one: a death the deaths
      // judged now may join in a storm, as if this invocation had declared it.
      if (host.state === 'dead' && loudDeath(host, context.silences) && !context.died.some((h) => h.hostname === host.hostname)) {
        context.died.push({ hostname: host.hostname, labels: host.labels, deathAt: host.stateSince, ...(host.stormIncident ? { storm: host.stormIncident } : {}) });
      }
      if (judging.has(host.hostname) || (host.state !== 'new' && host.state !== 'alive')) continue;
      // It beat since (a later deadline), or its death waits a moment for the watermark.
      const next = Math.max(deadlineOf(host, d.rule), now + HELD_RETRY_MS);
      if (next <= options.until) {
        insert(queue, { hostname: host.hostname, deadline: next });
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
    if (Object.values(judged.transitions).some((n) => (n ?? 0) > 0)) options.onCommitted?.();
  }
  // Ended before its time with nothing left to watch: new hosts need a pass of their own again.
  if (said && stopped === undefined && d.delivery.now() < options.until) {
    await d.stats.watching(options.until, true).catch((e: unknown) => d.log.warn('could not record the watch\'s end', { error: String(e) }));
  }
  const summary = { watched, reads, confirmed, transitions, lateMs, errors, ...(stopped ? { stopped } : {}) };
  // A watch that confirmed nothing is an idle minute's: DEBUG, as a quiet pass is. (Its stop
  // when the next pass takes over is routine; a degraded monitor is told by the pass itself.)
  const quiet = confirmed === 0 && errors === 0 && Object.values(transitions).every((n) => !n);
  d.log[quiet ? 'debug' : 'info']('diagnose deadline watch', { ...summary, lateMs: undefined, maxLateMs: Math.max(0, ...lateMs) });
  return summary;
}

/** Into the queue, kept sorted by deadline. */
function insert(queue: Upcoming[], u: Upcoming): void {
  const i = queue.findIndex((q) => q.deadline > u.deadline);
  if (i < 0) queue.push(u);
  else queue.splice(i, 0, u);
}
