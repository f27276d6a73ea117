import type { HostState, Notification, NotificationKind, Silence } from '../../domain/model';
import { judgeLogRules } from './rules';
import { hostTransition, NO_DEATHS } from '../../domain/host/transitions';
import { isInForce } from '../../domain/notification/silences';
import { emptyPopulation, type Population } from '../../domain/fleet/storm';
import { openStorms, stormsOf } from '../../domain/fleet/notices';
import {
  announceStormProgress, commitPlans, decideFleet, digestOf, fleetHistoryOrNone, quietPass, scanFleet, selfCheck,
  type DiagnoseSummary, type DiagnoseDeps, type Dying, type FleetVerdict, type HostVerdict, type PassContext, type Plan, type PlanDigest, type SegmentRange, type Upcoming,
} from './pass';
import { Outbox, type OutboxReport } from '../outbox';
import { emptyTally, sumTallies, type HostTally } from '../../domain/host/counts';

/**
 * Diagnose fanned out (docs/SEMANTICS.md, "Diagnose fanned out"): a coordinator splits the
 * host scan into ranges of segments, one per worker invocation, in two phases.
 *
 * 1. `judge`: each worker reads its range, read-only but for delivering what earlier passes
 *    left in the outbox, and returns counts (hosts by state, the storm population) and a small
 *    digest of each host that has something to do.
 * 2. The coordinator, which alone ran the self-check, decides for the whole fleet from the sum:
 *    storms, grouped notices, and whether deaths may be declared at all.
 * 3. `commit`: each worker with planned hosts re-reads them (BatchGetItem, strongly consistent)
 *    and commits each with the fleet's verdict, as the single pass does: one conditional write
 *    per host, carrying its notifications.
 *
 * A worker that fails is counted: its segment is not judged in this pass (errors, and the
 * pass is degraded: it declares no death, since storms and shares need the whole fleet), and
 * the next pass, which reads every segment again, covers it.
 */

/** The worker's first phase: judge a range of segments at the coordinator's `at`. */
export interface JudgeRequest {
  readonly phase: 'judge';
  readonly at: number;
  readonly segments: SegmentRange;
  /** The coordinator's ingest watermark: deaths whose deadline comes after it are not declared. */
  readonly deadThrough: number;
  /** Whether the coordinator watches deadlines after the pass: the worker lists them. */
  readonly watch: boolean;
  readonly silences: readonly Silence[];
  /** The largest reply the worker may send; MAX_REPLY_BYTES by default (tests set it lower). */
  readonly maxReplyBytes?: number;
}

export interface JudgeReply {
  readonly examined: number;
  readonly hostsByState: Partial<Record<HostState, number>>;
  readonly population: { readonly total: number; readonly byLabel: ReadonlyArray<readonly [string, number]> };
  readonly plans: readonly PlanDigest[];
  readonly upcoming: readonly Upcoming[];
  readonly outbox: OutboxReport;
  /** Loud deaths of the storm window in its segments. */
  readonly recentDeaths: readonly Dying[];
  /** Its dead hosts held under a storm, by the storm's incident. */
  readonly stormDown: ReadonlyArray<readonly [string, readonly string[]]>;
  /** Its hosts counted as the API shows them at `at`: the coordinator sums them into the fleet's. */
  readonly counts: HostTally;
}

/** The worker's second phase: commit its planned hosts with the fleet's verdict. */
export interface CommitRequest {
  readonly phase: 'commit';
  readonly at: number;
  readonly deadThrough: number;
  readonly silences: readonly Silence[];
  /** Each planned host, and the indexes in `notices` of its storm's and its group's notice. */
  readonly hosts: ReadonlyArray<{ readonly hostname: string; readonly storm?: { scope: string; incident: string; notice: number }; readonly group?: { reason: string; notice: number } }>;
  readonly notices: readonly Notification[];
}

export interface CommitReply {
  readonly transitions: Partial<Record<NotificationKind, number>>;
  readonly errors: number;
  readonly outbox: OutboxReport;
  /** Hosts held under a storm that it took out of `dead`, by the storm's incident. */
  readonly leftStorm?: ReadonlyArray<readonly [string, readonly string[]]>;
}

export type WorkerRequest = JudgeRequest | CommitRequest;

/** How the coordinator reaches its workers: a synchronous invocation each (lib/adapters/lambda/workers.ts). */
export interface DiagnoseWorkers {
  readonly count: number;
  judge(request: JudgeRequest): Promise<JudgeReply>;
  commit(request: CommitRequest): Promise<CommitReply>;
}

/** The scan segments of worker `index` of `workers`, each reading `segmentsEach` in parallel. */
export function segmentsOf(index: number, workers: number, segmentsEach: number): SegmentRange {
  return { first: index * segmentsEach, count: segmentsEach, total: workers * segmentsEach };
}

/** Phase 1, in the worker. */
export async function judgeSegment(d: DiagnoseDeps, r: JudgeRequest): Promise<JudgeReply> {
  const outbox = new Outbox();
  const hostsByState: Partial<Record<HostState, number>> = {};
  const ending = r.silences.filter((s) => s.endsAt <= r.at && s.closedAt === undefined);
  const scan = await scanFleet(d, {
    now: r.at, segments: r.segments, deadThrough: r.deadThrough, watch: r.watch, ending, silences: r.silences, hostsByState, outbox,
  });
  const delivered = await outbox.flush(d.delivery, d.log);
  const reply: JudgeReply = {
    examined: scan.examined, hostsByState,
    population: { total: scan.population.total, byLabel: [...scan.population.byLabel] },
    plans: scan.plans.map((p) => digestOf(d, r.silences, p)),
    upcoming: scan.upcoming, outbox: delivered, recentDeaths: scan.recentDeaths, stormDown: [...scan.stormDown], counts: scan.counts,
  };
  const bytes = Buffer.byteLength(JSON.stringify(reply));
  if (bytes > (r.maxReplyBytes ?? MAX_REPLY_BYTES)) {
    throw new ReplyTooLarge(`a judge reply of ${bytes} bytes (${reply.plans.length} hosts to act on in segments ${r.segments.first}-${r.segments.first + r.segments.count - 1}): over Lambda's answer size`);
  }
  return reply;
}

/** Phase 2, in the worker. A host whose beat arrived since phase 1 is judged on what it is now. */
export async function commitSegment(d: DiagnoseDeps, r: CommitRequest): Promise<CommitReply> {
  const verdict: FleetVerdict = { storms: [], hosts: new Map() };
  for (const h of r.hosts) {
    const v: { -readonly [K in keyof HostVerdict]: HostVerdict[K] } = {};
    if (h.storm) v.storm = { scope: h.storm.scope, incident: h.storm.incident, notice: r.notices[h.storm.notice] as Notification };
    if (h.group) v.group = { reason: h.group.reason, notice: r.notices[h.group.notice] as Notification };
    verdict.hosts.set(h.hostname, v);
  }
  const ending = r.silences.filter((s) => s.endsAt <= r.at && s.closedAt === undefined);
  const plans: Plan[] = (await d.hosts.getMany(r.hosts.map((h) => h.hostname)))
    .map((host) => ({ host, t: hostTransition(host, r.at, d.rule, r.deadThrough) }));
  const outbox = new Outbox();
  const { transitions, errors, leftStorm } = await commitPlans(d, r.silences, plans, verdict, r.at, ending, outbox);
  // A planned host the read did not return (throttled past its retries, or deleted since) was not
  // committed: an error, so that the pass does not close a silence whose notices it still owes.
  const unread = r.hosts.length - plans.length;
  return { transitions, errors: errors + unread, outbox: await outbox.flush(d.delivery, d.log), leftStorm: [...leftStorm] };
}

/**
 * The coordinator's pass: the self-check, then the two phases over `workers`. Returns what
 * `runDiagnosePass` returns, so the deadline watch works from it unchanged.
 */
export async function runFannedPass(d: DiagnoseDeps, workers: DiagnoseWorkers): Promise<{ summary: DiagnoseSummary; context: PassContext; upcoming: Upcoming[] }> {
  const now = d.delivery.now();
  const outbox = new Outbox();
  const { reasons: degraded, deadThrough } = await selfCheck(d, now, outbox);
  const silences = d.silences ? await d.silences.all() : [];
  const ending = silences.filter((s) => s.endsAt <= now && s.closedAt === undefined);
  const storming = d.fleetHistory ? openStorms(await fleetHistoryOrNone(d, now)) : [];

  // Phase 1: every range judged at the same `now`, with the self-check's verdict. A reply too
  // large for Lambda (a mass death's digests) is asked again in halves, down to one segment.
  const ranges = Array.from({ length: workers.count }, (_, i) => segmentsOf(i, workers.count, d.scanSegments));
  const judgeRange = async (segments: SegmentRange): Promise<JudgeReply> => {
    try {
      return await workers.judge({ phase: 'judge', at: now, segments, deadThrough, watch: degraded.length === 0, silences });
    } catch (e) {
      if (segments.count < 2 || !isReplyTooLarge(e)) throw e;
      const half = Math.floor(segments.count / 2);
      d.log.warn('a diagnose worker\'s reply was too large; its segments are judged again in halves', { segments });
      const [a, b] = await Promise.all([
        judgeRange({ first: segments.first, count: half, total: segments.total }),
        judgeRange({ first: segments.first + half, count: segments.count - half, total: segments.total }),
      ]);
      return mergeReplies(a, b);
    }
  };
  const judged = await Promise.allSettled(ranges.map(judgeRange));
  let errors = 0;
  const failed: string[] = [];
  const population: Population = emptyPopulation();
  const hostsByState: Partial<Record<HostState, number>> = {};
  const recentDeaths: Dying[] = [];
  const stormDown = new Map<string, string[]>();
  const outboxes: OutboxReport[] = [];
  const upcoming: Upcoming[] = [];
  const segmentOf = new Map<string, number>();
  const digests: PlanDigest[] = [];
  let counts = emptyTally();
  let examined = 0;
  for (const [i, r] of judged.entries()) {
    if (r.status === 'rejected') {
      errors++;
      failed.push(`worker ${i + 1} of ${workers.count} (segments ${ranges[i]?.first}-${(ranges[i]?.first ?? 0) + d.scanSegments - 1} of ${ranges[i]?.total}) failed: ${r.reason instanceof Error ? r.reason.message : String(r.reason)}`);
      continue;
    }
    const j = r.value;
    examined += j.examined;
    counts = sumTallies(counts, j.counts);
    population.total += j.population.total;
    for (const [scope, n] of j.population.byLabel) population.byLabel.set(scope, (population.byLabel.get(scope) ?? 0) + n);
    for (const [state, n] of Object.entries(j.hostsByState)) hostsByState[state as HostState] = (hostsByState[state as HostState] ?? 0) + (n ?? 0);
    recentDeaths.push(...j.recentDeaths);
    for (const [incident, hosts] of j.stormDown) stormDown.set(incident, [...(stormDown.get(incident) ?? []), ...hosts]);
    outboxes.push(j.outbox);
    upcoming.push(...j.upcoming);
    for (const p of j.plans) {
      digests.push(p);
      segmentOf.set(p.hostname, i);
    }
  }
  if (failed.length > 0) {
    d.log.error('diagnose workers failed; their segments are judged again next pass, and no host is declared dead in this one', { failed });
  }
  // Without the whole fleet, neither a storm nor a share can be judged: no death in this pass.
  const passDegraded = failed.length === 0 ? degraded : [...degraded, ...failed.map((f) => `not the whole fleet was read: ${f}`)];
  const passDeadThrough = failed.length === 0 ? deadThrough : NO_DEATHS;
  const kept = failed.length === 0 ? digests : digests.filter((p) => p.t?.to !== 'dead');

  const context: PassContext = { silences, population, degraded: passDegraded, died: recentDeaths, storms: new Map(storming.map((s) => [s.incident, s])) };
  const verdict = decideFleet(d, context, kept);

  // Phase 2: each worker commits its own planned hosts, with the verdict on them.
  const byWorker = new Map<number, PlanDigest[]>();
  for (const p of kept) {
    const worker = segmentOf.get(p.hostname) as number;
    const list = byWorker.get(worker);
    if (list) list.push(p);
    else byWorker.set(worker, [p]);
  }
  const transitions: Partial<Record<NotificationKind, number>> = {};
  const leftStorm = new Map<string, string[]>();
  const committed = await Promise.allSettled([...byWorker].map(async ([, plans]) => {
    try {
      return await workers.commit(commitRequest(now, passDeadThrough, silences, plans, verdict));
    } catch (e) {
      d.log.error('a diagnose worker failed to commit; its hosts are judged again next pass', { hosts: plans.length, error: String(e) });
      throw Object.assign(new Error(String(e)), { hosts: plans.length });
    }
  }));
  for (const r of committed) {
    if (r.status === 'rejected') {
      errors += (r.reason as { hosts?: number }).hosts ?? 1;
      continue;
    }
    errors += r.value.errors;
    outboxes.push(r.value.outbox);
    for (const [incident, hosts] of r.value.leftStorm ?? []) leftStorm.set(incident, [...(leftStorm.get(incident) ?? []), ...hosts]);
    for (const [kind, n] of Object.entries(r.value.transitions)) transitions[kind as NotificationKind] = (transitions[kind as NotificationKind] ?? 0) + (n ?? 0);
  }

  // A storm's end is decided from every one of its hosts: only when every worker answered.
  if (failed.length === 0) await announceStormProgress(d, stormsOf(storming, 'hosts'), stormDown, leftStorm, now, outbox);
  // Log rules are few and read whole: the coordinator judges them, not the workers.
  if (d.logRules) {
    const ruled = await judgeLogRules({ rules: d.logRules, log: d.log, sweepGraceMs: d.sweepGraceMs }, now, silences, outbox);
    Object.assign(transitions, ruled.transitions);
    errors += ruled.errors;
  }
  outboxes.push(await outbox.flush(d.delivery, d.log));
  const delivered = sumOutboxes(outboxes);
  if (errors === 0 && delivered.unpublished === 0 && d.silences) {
    for (const s of ending) await d.silences.close(s.id, now);
  }
  // Workers that failed read nothing: `examined` is then not the fleet's size, so it is not recorded.
  await d.stats.recordRun(now, failed.length > 0 ? undefined : examined);
  // Nor are the counts: the last whole pass's stay, with their own time.
  if (failed.length === 0) await d.stats.recordHostCounts({ ...counts, at: now });
  const summary: DiagnoseSummary = {
    at: now, examined, transitions, degraded: passDegraded, errors, suppressed: delivered.suppressed, storms: verdict.storms, hostsByState, outbox: delivered,
  };
  d.log[quietPass(summary) ? 'debug' : 'info']('diagnose pass', { ...summary, workers: workers.count, silences: silences.filter((s) => isInForce(s, now)).length, watching: upcoming.length });
  return { summary, context, upcoming };
}

function commitRequest(at: number, deadThrough: number, silences: readonly Silence[], plans: readonly PlanDigest[], verdict: FleetVerdict): CommitRequest {
  const notices: Notification[] = [];
  const index = new Map<string, number>();
  const ref = (n: Notification): number => {
    let i = index.get(n.id);
    if (i === undefined) {
      i = notices.push(n) - 1;
      index.set(n.id, i);
    }
    return i;
  };
  const hosts = plans.map((p) => {
    const v = verdict.hosts.get(p.hostname);
    return {
      hostname: p.hostname,
      ...(v?.storm ? { storm: { scope: v.storm.scope, incident: v.storm.incident, notice: ref(v.storm.notice) } } : {}),
      ...(v?.group ? { group: { reason: v.group.reason, notice: ref(v.group.notice) } } : {}),
    };
  });
  return { phase: 'commit', at, deadThrough, silences, hosts, notices };
}

/**
 * Lambda's synchronous answer holds 6 MB (6,291,556 bytes); a judge reply stays under this, so a
 * mass death's digests make the worker fail with ReplyTooLarge rather than Lambda refuse them.
 */
export const MAX_REPLY_BYTES = 5_500_000;

export class ReplyTooLarge extends Error {
  override readonly name = 'ReplyTooLarge';
}

/** The worker's own refusal, or Lambda's (`Function.ResponseSizeTooLarge`), as the adapter reports it. */
function isReplyTooLarge(e: unknown): boolean {
  return e instanceof Error && (e.name === 'ReplyTooLarge' || /ReplyTooLarge|ResponseSizeTooLarge/.test(e.message));
}

/** Two halves' judge replies as one. */
function mergeReplies(a: JudgeReply, b: JudgeReply): JudgeReply {
  const byLabel = new Map(a.population.byLabel);
  for (const [scope, n] of b.population.byLabel) byLabel.set(scope, (byLabel.get(scope) ?? 0) + n);
  const hostsByState: Partial<Record<HostState, number>> = { ...a.hostsByState };
  for (const [state, n] of Object.entries(b.hostsByState)) hostsByState[state as HostState] = (hostsByState[state as HostState] ?? 0) + (n ?? 0);
  return {
    examined: a.examined + b.examined,
    hostsByState,
    population: { total: a.population.total + b.population.total, byLabel: [...byLabel] },
    plans: [...a.plans, ...b.plans],
    recentDeaths: [...a.recentDeaths, ...b.recentDeaths],
    stormDown: [...a.stormDown, ...b.stormDown],
    upcoming: [...a.upcoming, ...b.upcoming],
    outbox: sumOutboxes([a.outbox, b.outbox]),
    counts: sumTallies(a.counts, b.counts),
  };
}

function sumOutboxes(reports: readonly OutboxReport[]): OutboxReport {
  const oldest = reports.map((r) => r.oldestQueuedAt).filter((t): t is number => t !== undefined);
  return {
    published: reports.reduce((a, r) => a + r.published, 0),
    suppressed: reports.reduce((a, r) => a + r.suppressed, 0),
    republished: reports.reduce((a, r) => a + r.republished, 0),
    unpublished: reports.reduce((a, r) => a + r.unpublished, 0),
    oldestQueuedAt: oldest.length > 0 ? Math.min(...oldest) : undefined,
  };
}

/**
 * How many workers a pass uses: enough for `hostsPerWorker` each of the fleet the last pass saw,
 * at most `workers`; all of them while the fleet's size is unknown (no pass has recorded it),
 * since a first pass that timed out alone would never record it. 1 means the pass runs in the
 * coordinator alone, as before fan-out; so does a configured worker count without a worker function.
 */
export function workersFor(
  c: { readonly workers: number; readonly hostsPerWorker: number; readonly workerFunction: string | undefined },
  monitor: { readonly lastHosts?: number | undefined },
): number {
  if (c.workers <= 1 || c.workerFunction === undefined) return 1;
  if (monitor.lastHosts === undefined) return c.workers;
  return Math.max(1, Math.min(c.workers, Math.ceil(monitor.lastHosts / c.hostsPerWorker)));
}
