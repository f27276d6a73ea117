import type { Host, HostState, Notification, NotificationKind, Silence } from '../model';
import { DEFAULT_FLAP_RULE, flappingEnd, type FlapRule } from '../rules/flapping';
import { hostTransition, type DiagnoseRule, type HostTransition } from '../rules/host-transitions';
import { formatDuration, notification } from '../rules/notifications';
import { applySilence, isInForce, stillDownAfterSilence } from '../rules/silences';
import { deadlineOf } from '../rules/liveness';
import { countHost, DEFAULT_STORM_RULE, detectStorms, emptyPopulation, type Population, type Storm, type StormRule } from '../rules/storm';
import type { HostsPort, MonitorPort } from '../ports';
import type { Delivery } from './deliver';
import type { Log } from './log';
import { Outbox, pendingNow, type OutboxReport } from './outbox';
import { newHostsNotice, openStorms, stormProgress, type OpenStorm } from '../rules/fleet-notices';
import { historyStep } from '../rules/flapping';
import { establishWatermark, type HeartbeatQueue } from './ingest-watermark';
import { NO_DEATHS } from '../rules/host-transitions';

/** The name notifications about the monitor itself are filed under. */
export const MONITOR_HOST = '@monitor';
/** The name grouped (storm) notifications are filed under. */
export const FLEET_HOST = '@fleet';

/** Where diagnose reads silences; the silences store satisfies it. */
export interface SilenceSource {
  all(): Promise<Silence[]>;
  close(id: string, at: number): Promise<void>;
}

export interface Diagnosis {
  readonly hosts: HostsPort;
  readonly stats: MonitorPort;
  readonly delivery: Delivery;
  /** The heartbeats queue: how much it holds, and where canaries go (lib/service/ingest-watermark.ts). */
  readonly queue: HeartbeatQueue;
  /** How long a pass waits for its canary before it calls ingest behind. */
  readonly lagWaitMs: number;
  readonly rule: DiagnoseRule;
  readonly scanSegments: number;
  readonly log: Log;
  /** Without it, nothing is silenced. */
  readonly silences?: SilenceSource;
  readonly flap?: FlapRule;
  readonly storm?: StormRule;
  /** Outbox entries younger than this are left to whoever committed them; default 30 s. */
  readonly sweepGraceMs?: number;
  /**
   * List the hosts whose deadlines fall within this many ms of the pass, for the deadline watch
   * (lib/service/diagnose-deadlines.ts); 0 or absent lists none.
   */
  readonly watchMs?: number;
  /** Recent `@fleet` notifications, where open storms are found; without it, recoveries are not grouped. */
  readonly fleetHistory?: (now: number) => Promise<Notification[]>;
  /** First beats in one pass from this many hosts on make one "N new hosts" notice; without it, none is grouped. */
  readonly newHostsGroup?: number;
}

export interface DiagnoseSummary {
  readonly at: number;
  readonly examined: number;
  readonly transitions: Partial<Record<NotificationKind, number>>;
  /** Why the monitor did not trust itself to declare hosts dead in this pass, if it did not. */
  readonly degraded: string[];
  readonly errors: number;
  /** Notifications recorded but not published (silenced, flapping, grouped into a storm). */
  readonly suppressed: number;
  readonly storms: Storm[];
  /** Hosts seen in the pass, by their state before it. */
  readonly hostsByState: Partial<Record<HostState, number>>;
  /** What the outbox delivered, and what it still holds (docs/SEMANTICS.md, "Delivery guarantee"). */
  readonly outbox: OutboxReport;
}

/** Host writes in flight at once. */
const CONCURRENCY = 64;

/**
 * One liveness pass over the fleet. Before blaming a host, the monitor checks itself: with a
 * backlog of unprocessed beats, or after its own absence longer than a host's deadline, no
 * host is declared dead in this pass and the monitor records that it is degraded instead.
 *
 * The pass reads the whole fleet first, then writes: deaths are only known to be a storm once
 * every host has been judged. It keeps only counts per label value and the hosts that have
 * something to do (a transition, flapping, a silence ending), not the fleet. Each state change
 * is still its own conditional write, and carries its notifications in that write (the outbox);
 * the pass then delivers them, with whatever earlier passes or ingest left undelivered.
 */
export async function runDiagnose(d: Diagnosis): Promise<DiagnoseSummary> {
  return (await runDiagnosePass(d)).summary;
}

/** A host alive at the pass whose deadline comes before the watch ends. */
export interface Upcoming {
  readonly hostname: string;
  readonly deadline: number;
}

/** What one pass decided with, which judging hosts later in the same invocation reuses. */
export interface PassContext {
  readonly silences: readonly Silence[];
  /** The watched hosts of the whole fleet, in all and by label: what a storm's share is of. */
  readonly population: Population;
  readonly degraded: readonly string[];
  /** Loud deaths already decided in this invocation: later deaths join them in a storm. */
  readonly died: Dying[];
  /** Hosts of storms not yet over, and their states as this invocation knows them. */
  readonly stormMembers: ReadonlyMap<string, OpenStorm>;
  readonly memberStates: Map<string, HostState>;
}

export interface JudgeResult {
  readonly transitions: Partial<Record<NotificationKind, number>>;
  readonly errors: number;
  readonly storms: Storm[];
}

/** A pass, and what it hands to the deadline watch. */
export async function runDiagnosePass(d: Diagnosis): Promise<{ summary: DiagnoseSummary; context: PassContext; upcoming: Upcoming[] }> {
  const now = d.delivery.now();
  const outbox = new Outbox();
  // The self-check waits for its canary while the fleet is read: a pass takes the longer of the
  // two, not their sum. Deaths are decided only once it is back.
  const checking = selfCheck(d, now, outbox);
  checking.catch(() => undefined);
  const silences = d.silences ? await d.silences.all() : [];
  const ending = silences.filter((s) => s.endsAt <= now && s.closedAt === undefined);
  const hostsByState: Partial<Record<HostState, number>> = {};
  // Storms not yet over: their hosts' recoveries are grouped (lib/rules/fleet-notices.ts).
  const storming = d.fleetHistory ? openStorms(await fleetHistoryOrNone(d, now)) : [];
  const stormMembers = new Map(storming.flatMap((s) => s.hostnames.map((h) => [h, s] as const)));
  const memberStates = new Map<string, HostState>();

  const scan = await scanFleet(d, {
    now, deadThrough: now, watch: true, ending, stormMembers, memberStates, hostsByState, outbox,
    segments: { first: 0, count: d.scanSegments, total: d.scanSegments },
  });
  const { reasons: degraded, deadThrough } = await checking;
  const { examined, population } = scan;
  const { plans, upcoming } = holdDeaths(scan, deadThrough, degraded.length === 0);

  const context: PassContext = { silences, population, degraded, died: [], stormMembers, memberStates };
  const { transitions, errors, storms } = await judgePlans(d, context, plans, now, ending, outbox);

  // After every state change is committed: a failure here delays an alert, and loses none.
  const delivered = await outbox.flush(d.delivery, d.log);
  if (errors === 0 && delivered.unpublished === 0 && d.silences) {
    for (const s of ending) await d.silences.close(s.id, now);
  }

  await d.stats.recordRun(now, examined);
  const summary = { at: now, examined, transitions, degraded, errors, suppressed: delivered.suppressed, storms, hostsByState, outbox: delivered };
  d.log.info('diagnose pass', { ...summary, silences: silences.filter((s) => isInForce(s, now)).length, watching: upcoming.length });
  return { summary, context, upcoming };
}

/** Which scan segments a pass (or one worker of a fanned-out pass) reads: `count` from `first`, of `total`. */
export interface SegmentRange {
  readonly first: number;
  readonly count: number;
  readonly total: number;
}

export interface ScanOptions {
  readonly now: number;
  readonly segments: SegmentRange;
  /** The ingest watermark: hosts whose deadline comes after it are not declared dead (lib/rules/watermark.ts). */
  readonly deadThrough: number;
  /** Whether the deadline watch follows: it lists the hosts it should watch. */
  readonly watch: boolean;
  readonly ending: readonly Silence[];
  readonly stormMembers: ReadonlyMap<string, unknown> | ReadonlySet<string>;
  /** Filled with the states of the open storms' hosts seen. */
  readonly memberStates: Map<string, HostState>;
  /** Filled with the hosts seen, by their state before the pass. */
  readonly hostsByState: Partial<Record<HostState, number>>;
  /** Filled with the notifications earlier decisions left on the hosts read. */
  readonly outbox: Outbox;
}

export interface ScanResult {
  readonly examined: number;
  readonly population: Population;
  readonly plans: Plan[];
  readonly upcoming: Upcoming[];
}

/**
 * Reads the given segments of the hosts table, read-only but for the outbox entries it picks up:
 * each host counted towards the population and its state, and the hosts that have something to
 * do planned. A single pass reads every segment; a fanned-out pass gives each worker its range.
 */
export async function scanFleet(d: Diagnosis, o: ScanOptions): Promise<ScanResult> {
  const population = emptyPopulation();
  const plans: Plan[] = [];
  const upcoming = new Map<string, number>();
  const watchUntil = o.now + (o.watch ? d.watchMs ?? 0 : 0);
  let examined = 0;
  await Promise.all(Array.from({ length: o.segments.count }, async (_, i) => {
    for await (const page of d.hosts.scanSegment(o.segments.first + i, o.segments.total)) {
      examined += page.length;
      for (const host of page) {
        countHost(population, host);
        o.hostsByState[host.state] = (o.hostsByState[host.state] ?? 0) + 1;
        if (o.stormMembers.has(host.hostname)) o.memberStates.set(host.hostname, host.state);
        o.outbox.sweep(host.pending, (id) => d.hosts.settle(host.hostname, id), o.now, d.sweepGraceMs);
        const t = hostTransition(host, o.now, d.rule, o.deadThrough);
        if (t || host.flappingSince !== undefined || (o.ending.length > 0 && host.state === 'dead')) plans.push({ host, t });
        // Alive after this pass (still, or again): watched if its deadline comes before the next.
        const alive = t ? t.to === 'alive' : host.state === 'new' || host.state === 'alive';
        if (alive && deadlineOf(host, d.rule) <= watchUntil) upcoming.set(host.hostname, deadlineOf(host, d.rule));
      }
    }
  }));
  return { examined, population, plans, upcoming: [...upcoming].map(([hostname, deadline]) => ({ hostname, deadline })) };
}

/**
 * A scan's plans and watch list once the watermark is known: a death whose deadline comes after
 * it is held (it keeps whatever else its plan had to do), and watched, so that the watch
 * confirms it as soon as ingest has caught up. A degraded pass watches nothing.
 */
export function holdDeaths(scan: Pick<ScanResult, 'plans' | 'upcoming'>, deadThrough: number, watch: boolean): { plans: Plan[]; upcoming: Upcoming[] } {
  const plans: Plan[] = [];
  const upcoming = watch ? [...scan.upcoming] : [];
  for (const p of scan.plans) {
    if (p.t?.to !== 'dead' || p.t.at <= deadThrough) {
      plans.push(p);
      continue;
    }
    if (watch) upcoming.push({ hostname: p.host.hostname, deadline: p.t.at });
    if (p.host.flappingSince !== undefined) plans.push({ host: p.host, t: undefined });
  }
  return { plans, upcoming };
}

/**
 * The recent `@fleet` notifications, or none when they cannot be read: grouping recoveries is a
 * nicety, and a notifications table that fails must not stop the pass from judging the fleet.
 */
export async function fleetHistoryOrNone(d: Diagnosis, now: number): Promise<Notification[]> {
  try {
    return await (d.fleetHistory as (now: number) => Promise<Notification[]>)(now);
  } catch (e) {
    d.log.warn('open storms unknown: recoveries in this pass are not grouped', { error: String(e) });
    return [];
  }
}

/** A host a pass has something to do with, and its transition if it has one. */
export interface Plan {
  readonly host: Host;
  readonly t: HostTransition | undefined;
}

/**
 * What a pass must know of a planned host to decide for the whole fleet: storms, grouped
 * notices. Small and plain, so the workers of a fanned-out pass can hand it to their coordinator.
 */
export interface PlanDigest {
  readonly hostname: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly t?: { readonly from: HostState; readonly to: HostState; readonly at: number };
  /** When it died (its deadline), for a death. */
  readonly deathAt?: number;
  /** A death neither silenced nor flapping: one that can make a storm. */
  readonly loud: boolean;
}

/** A death already decided, which a later one can join in a storm. */
export interface Dying {
  readonly hostname: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly deathAt: number;
}

/** What the whole fleet decides for one host: the storm its death joins, the grouped notice its own is folded into. */
export interface HostVerdict {
  readonly storm?: { readonly scope: string; readonly notice: Notification };
  readonly group?: { readonly reason: string; readonly notice: Notification };
}

export interface FleetVerdict {
  readonly storms: Storm[];
  readonly hosts: Map<string, HostVerdict>;
}

export function digestOf(d: Diagnosis, silences: readonly Silence[], { host, t }: Plan): PlanDigest {
  const loud = t?.to === 'dead' && applySilence(t.notification, host, silences).suppressed === undefined && host.flappingSince === undefined;
  return {
    hostname: host.hostname, labels: host.labels, loud,
    ...(t ? { t: { from: t.from, to: t.to, at: t.at } } : {}),
    ...(t?.to === 'dead' ? { deathAt: deadlineOf(host, d.rule) } : {}),
  };
}

/**
 * The decisions that need the whole fleet, from the digests of every planned host: storms among
 * the loud deaths (with the deaths already decided in this invocation, which it then records in
 * `context.died`), and the grouped notices. Pure but for `context`; the same whether the digests
 * come from one pass or from many workers, so a fanned-out pass decides as a single one would.
 */
export function decideFleet(d: Diagnosis, context: PassContext, digests: readonly PlanDigest[], now: number): FleetVerdict {
  // Sorted, so that whichever order the segments came back in, the verdict is the same; and each
  // host once, should an engine return a host in two segments (DynamoDB Local ignores Segment).
  const sorted = [...new Map(digests.map((p) => [p.hostname, p] as const)).values()]
    .sort((a, b) => (a.hostname < b.hostname ? -1 : a.hostname > b.hostname ? 1 : 0));
  const dying: Dying[] = sorted.filter((p) => p.loud && p.deathAt !== undefined).map((p) => ({ hostname: p.hostname, labels: p.labels, deathAt: p.deathAt as number }));
  const storms = detectStorms(context.population, [...context.died, ...dying], d.storm ?? DEFAULT_STORM_RULE);
  context.died.push(...dying);
  const deathAt = new Map([...context.died.map((h) => [h.hostname, h.deathAt] as const), ...sorted.filter((p) => p.deathAt !== undefined).map((p) => [p.hostname, p.deathAt as number] as const)]);
  const hosts = new Map<string, HostVerdict>();
  // Each member's death carries its storm's notification: whichever of them commits, it is sent.
  for (const s of storms) {
    const notice = stormNotification(s, deathAt, now);
    for (const h of s.hostnames) hosts.set(h, { storm: { scope: s.scope, notice } });
  }
  for (const [hostname, group] of groupedNotices(sorted, context.stormMembers, context.memberStates, d.newHostsGroup)) {
    hosts.set(hostname, { ...hosts.get(hostname), group });
  }
  return { storms, hosts };
}

/**
 * Judges the planned hosts at `now`: storms among their deaths (with the deaths already decided
 * in this invocation), then each state change as one conditional write carrying its
 * notifications, added to `outbox` once committed. The full pass and the deadline watch both
 * judge through here, so they cannot differ.
 */
export async function judgePlans(d: Diagnosis, context: PassContext, plans: readonly Plan[], now: number, ending: readonly Silence[], outbox: Outbox): Promise<JudgeResult> {
  const verdict = decideFleet(d, context, plans.map((p) => digestOf(d, context.silences, p)), now);
  return { ...(await commitPlans(d, context.silences, plans, verdict, now, ending, outbox)), storms: verdict.storms };
}

/**
 * Commits the planned hosts with the fleet's verdict: each state change one conditional write
 * carrying its notifications (added to `outbox` once committed), then flapping's end and the
 * notices of silences that ended on hosts still down.
 */
export async function commitPlans(
  d: Diagnosis, silences: readonly Silence[], plans: readonly Plan[], verdict: FleetVerdict, now: number, ending: readonly Silence[], outbox: Outbox,
): Promise<Omit<JudgeResult, 'storms'>> {
  const flapRule = d.flap ?? DEFAULT_FLAP_RULE;
  const transitions: Partial<Record<NotificationKind, number>> = {};
  let errors = 0;

  const labelled = (n: Notification, host: Pick<Host, 'hostname' | 'labels'>): Notification =>
    applySilence({ ...n, labels: host.labels }, host, silences);
  const committed = (hostname: string, notifications: Notification[]) => {
    for (const p of pendingNow(notifications, now)) outbox.add(p, (id) => d.hosts.settle(hostname, id));
  };

  const judge = async ({ host, t }: Plan): Promise<void> => {
    let after: Host = host;
    if (t) {
      const flap = historyStep(host, t, flapRule);
      const storm = t.to === 'dead' ? verdict.hosts.get(host.hostname)?.storm : undefined;
      let n = t.notification;
      if (flap?.flappingSince !== undefined) n = { ...n, suppressed: 'flapping' };
      else if (storm) n = { ...n, suppressed: `storm:${storm.scope}` };
      const group = verdict.hosts.get(host.hostname)?.group;
      if (group && n.suppressed === undefined) n = { ...n, suppressed: group.reason };
      const announce = [labelled(n, host)];
      if (group) announce.push(group.notice);
      if (flap?.started) announce.push(labelled(flap.started, host));
      const notice = storm && flap?.flappingSince === undefined ? storm.notice : undefined;
      if (notice) announce.push(notice);
      const won = await d.hosts.changeState({
        hostname: host.hostname,
        from: host.state,
        fromSince: host.stateSince,
        to: t.to,
        at: t.at,
        lastBeat: host.lastBeat,
        requireSilence: t.to === 'dead' || t.to === 'retired',
        outageStart: t.outageStart,
        ...(flap ? { changes: flap.changes, flappingSince: flap.flappingSince } : {}),
        announce: { notifications: announce, queuedAt: now },
      });
      if (!won) return;
      transitions[t.notification.kind] = (transitions[t.notification.kind] ?? 0) + 1;
      committed(host.hostname, announce);
      after = {
        ...host, state: t.to, stateSince: t.at,
        ...(t.to === 'dead' ? { outageStart: t.outageStart } : {}),
        ...(flap ? { changes: flap.changes, flappingSince: flap.flappingSince } : {}),
      };
    }
    const settled = flappingEnd(after, now, flapRule);
    if (settled && after.flappingSince !== undefined) {
      const announce = [labelled(settled, host)];
      if (await d.hosts.endFlapping(host.hostname, after.flappingSince, { notifications: announce, queuedAt: now })) committed(host.hostname, announce);
    }
    // Not a state change: decided again every pass until the silence is closed, and one by its id.
    const stillDown = ending.map((s) => stillDownAfterSilence(after, s, silences, now)).filter((n) => n !== undefined).map((n) => labelled(n, host));
    if (stillDown.length > 0 && (await d.hosts.enqueue(host.hostname, { notifications: stillDown, queuedAt: now }))) committed(host.hostname, stillDown);
  };

  for (let i = 0; i < plans.length; i += CONCURRENCY) {
    const chunk = plans.slice(i, i + CONCURRENCY);
    const results = await Promise.allSettled(chunk.map(judge));
    for (const [j, r] of results.entries()) {
      if (r.status === 'rejected') {
        errors++;
        d.log.error('could not judge host; it is judged again next pass', { hostname: chunk[j]?.host.hostname, error: String(r.reason) });
      }
    }
  }

  return { transitions, errors };
}

/**
 * The hosts of this pass whose own notice is folded into a grouped one: first beats in a burst
 * ("12 new hosts"), and recoveries of an open storm's hosts ("8 of 10 recovered", "storm over").
 * Each grouped notice rides with every member's state change, so whichever commits sends it.
 */
function groupedNotices(
  plans: readonly PlanDigest[],
  stormMembers: ReadonlyMap<string, OpenStorm>,
  memberStates: Map<string, HostState>,
  newHostsGroup: number | undefined,
): Map<string, { reason: string; notice: Notification }> {
  const out = new Map<string, { reason: string; notice: Notification }>();
  const firsts = plans.filter((p) => p.t?.from === 'new' && p.t.to === 'alive').map((p) => ({ hostname: p.hostname, at: (p.t as { at: number }).at }));
  const burst = newHostsGroup === undefined ? undefined : newHostsNotice(firsts, newHostsGroup);
  if (burst) for (const f of firsts) out.set(f.hostname, { reason: 'new-hosts', notice: burst });

  const back = new Map<OpenStorm, Array<{ hostname: string; at: number }>>();
  for (const p of plans) {
    const storm = stormMembers.get(p.hostname);
    if (!storm || !p.t) continue;
    memberStates.set(p.hostname, p.t.to);
    if (p.t.from === 'dead' && p.t.to === 'alive') back.set(storm, [...(back.get(storm) ?? []), { hostname: p.hostname, at: p.t.at }]);
  }
  for (const [storm, recovered] of back) {
    const notice = stormProgress(storm, recovered, memberStates);
    for (const r of recovered) out.set(r.hostname, { reason: `storm:${storm.scope}`, notice });
  }
  return out;
}

/** A storm's own notification. Every run that saw it computes the same id: its scope and earliest death. */
function stormNotification(storm: Storm, deathAt: ReadonlyMap<string, number>, now: number): Notification {
  const at = Math.min(...storm.hostnames.map((h) => deathAt.get(h) ?? now));
  const cause = storm.cause ? `likely shared cause: ${storm.cause}` : 'no label shared by all of them';
  // A storm of one label value carries it, so a subscription filtering on that label gets it.
  const eq = storm.scope.indexOf('=');
  const labels = storm.scope === 'fleet' || eq < 0 ? {} : { [storm.scope.slice(0, eq)]: storm.scope.slice(eq + 1) };
  return { ...notification(
    FLEET_HOST, 'fleet-storm', 'critical', at,
    `${storm.hostnames.length} of ${storm.total} hosts${storm.scope === 'fleet' ? '' : ` with ${storm.scope}`} went down together; ${cause}`,
    { scope: storm.scope, count: String(storm.hostnames.length), total: String(storm.total), hosts: storm.hostnames.join(' ').slice(0, 2000), ...(storm.cause ? { cause: storm.cause } : {}) },
    storm.scope,
  ), labels };
}

/** What the monitor concludes about itself before a pass: why it doubts its view, and the ingest watermark. */
export interface SelfCheck {
  readonly reasons: string[];
  /** Deaths whose deadline comes after this are not declared in this pass. */
  readonly deadThrough: number;
}

/**
 * Before blaming a host, the monitor checks itself: how far ingest has provably got (the ingest
 * watermark, measured in time: lib/rules/watermark.ts), and whether diagnose itself was away
 * longer than a host's deadline. Either reason makes the monitor degraded, which it announces
 * on the change; a death is then declared only up to the watermark, or not at all after the
 * monitor's own absence. Degraded is raised in the same pass that first holds a death back, so
 * it always comes before any death that would have been wrong.
 */
export async function selfCheck(d: Diagnosis, now: number, outbox: Outbox): Promise<SelfCheck> {
  const reasons: string[] = [];
  const monitor = await d.stats.monitor();
  outbox.sweep(monitor.pending, (id) => d.stats.settle(id), now, d.sweepGraceMs);
  const watermark = await establishWatermark({ queue: d.queue, stats: d.stats, lagWaitMs: d.lagWaitMs, now: d.delivery.now });
  reasons.push(...watermark.reasons);
  let deadThrough = Math.min(now, watermark.through);
  const deadline = d.rule.defaultInterval * d.rule.tolerance * 1000;
  if (monitor.lastRun !== undefined && now - monitor.lastRun > deadline) {
    reasons.push(`diagnose last ran ${formatDuration(now - monitor.lastRun)} ago, longer than a host's ${formatDuration(deadline)} deadline`);
    deadThrough = NO_DEATHS;
  }

  const isDegraded = reasons.length > 0;
  if (isDegraded !== monitor.degraded) {
    const n = isDegraded
      ? notification(MONITOR_HOST, 'monitor-degraded', 'warning', now,
        `dts monitor degraded: no host is declared dead until it catches up (${reasons.join('; ')})`, { reasons: reasons.join('; ') })
      : notification(MONITOR_HOST, 'monitor-ok', 'info', now,
        `dts monitor caught up after ${formatDuration(now - (monitor.degradedSince ?? now))}`);
    if (await d.stats.setDegraded(isDegraded, now, n)) {
      for (const p of pendingNow([n], now)) outbox.add(p, (id) => d.stats.settle(id));
    }
  }
  return { reasons, deadThrough };
}
