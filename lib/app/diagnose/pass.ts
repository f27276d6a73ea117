import { judgeInChunks } from './chunks';
import { MONITOR_HOST, type Host, type HostState, type Notification, type NotificationKind, type Silence } from '../../domain/model';
import { DEFAULT_FLAP_RULE, flappingEnd, historyStep, type FlapRule } from '../../domain/host/flapping';
import { hostTransition, NO_DEATHS, type DiagnoseRule, type HostTransition } from '../../domain/host/transitions';
import { formatDuration, notification } from '../../domain/notification/notifications';
import { applySilence, isInForce, silenceAt, stillDownAfterSilence } from '../../domain/notification/silences';
import { deadlineOf } from '../../domain/host/liveness';
import { emptyTally, tallyHost, type HostTally } from '../../domain/host/counts';
import { countHost, DEFAULT_STORM_RULE, emptyPopulation, type Population, type Storm, type StormRule } from '../../domain/fleet/storm';
import type { ChecksPort, HostsPort, MonitorPort, HostCountsPort, StatusPagesPort } from '../../ports';
import { CHECK_WATCH_OVERLAP_MS, judgeChecks, type CheckStorms, type CheckUpcoming } from './checks';
import type { Delivery } from '../deliver';
import type { Log } from '../log';
import { Outbox, pendingNow, type OutboxReport } from '../outbox';
import { establishWatermark, type HeartbeatQueue } from '../ingest/watermark';
import { newHostsNotice, openStorms, stormProgress, stormsOf, type OpenStorm } from '../../domain/fleet/notices';
import { recoverySuppression } from '../../domain/fleet/storm-membership';
import { keepStatusPagesCurrent } from './status';
import { decideStorms, stormWindowMs, type Dying } from './storms';
import type { LogRulesPort } from '../../ports';
import { judgeLogRules } from './rules';

export type { Dying } from './storms';


/** Where diagnose reads silences; the silences store satisfies it. */
export interface SilenceSource {
  all(): Promise<Silence[]>;
  close(id: string, at: number): Promise<void>;
}

export interface DiagnoseDeps {
  readonly hosts: HostsPort;
  readonly stats: MonitorPort & HostCountsPort;
  readonly delivery: Delivery;
  /** The heartbeats queue: how much it holds, and where canaries go (lib/app/ingest/watermark.ts). */
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
   * (lib/app/diagnose/watch.ts); 0 or absent lists none.
   */
  readonly watchMs?: number;
  /**
   * Recent `@fleet` notifications, where open storms are found; without it, no storm's progress is
   * announced, and the recoveries of hosts held under a storm are announced one by one.
   */
  readonly fleetHistory?: (now: number) => Promise<Notification[]>;
  /** First beats in one pass from this many hosts on make one "N new hosts" notice; without it, none is grouped. */
  readonly newHostsGroup?: number;
  /**
   * Deaths are confirmed together this long after the first deadline of a batch (Alertmanager's
   * `group_wait`): the watch waits that long, and a pass leaves a death younger than this to its
   * watch. 0 or absent: each at its deadline.
   */
  readonly groupWaitMs?: number;
  /** The checks (scheduled jobs), judged in the same pass (lib/app/diagnose/checks.ts); without it, none. */
  readonly checks?: Pick<ChecksPort, 'list' | 'get' | 'changeState' | 'settle'>;
  /** Status pages, rewritten after a pass in which a member changed state; without it, none are kept. */
  readonly statusPages?: StatusPagesPort;
  /** Log rules to judge each pass (docs/RULES.md); without it, none. Read by the coordinator only. */
  readonly logRules?: LogRulesPort;
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

/**
 * A pass in which nothing changed and nothing went wrong: logged at DEBUG, so that an idle
 * monitor prints nothing each minute. Its metrics still go out (DiagnoseNotRunningAlarm needs them).
 */
export function quietPass(s: DiagnoseSummary): boolean {
  const o = s.outbox;
  return Object.values(s.transitions).every((n) => !n) && s.degraded.length === 0 && s.errors === 0 && s.storms.length === 0
    && s.suppressed === 0 && o.published === 0 && o.suppressed === 0 && o.republished === 0 && o.unpublished === 0;
}

/** How long after a storm's end its record stays on the monitor item. */
const STORM_RECORD_MS = 86_400_000;

/** Host writes in flight at once. */
const CONCURRENCY = 64;

/**
 * One liveness pass over the fleet. Before blaming a host, the monitor checks itself: a host is
 * declared dead only once ingest has provably stored every beat received before its deadline
 * (the ingest watermark), and none after the monitor's own absence longer than a deadline; the
 * monitor then records that it is degraded.
 *
 * The pass reads the whole fleet first, then writes: deaths are only known to be a storm once
 * every host has been judged. It keeps only counts per label value and the hosts that have
 * something to do (a transition, flapping, a silence ending), not the fleet. Each state change
 * is still its own conditional write, and carries its notifications in that write (the outbox);
 * the pass then delivers them, with whatever earlier passes or ingest left undelivered.
 */
export async function runDiagnose(d: DiagnoseDeps): Promise<DiagnoseSummary> {
  const { summary, context } = await runDiagnosePass(d);
  await keepStatusPagesCurrent(d, { now: summary.at, silences: context.silences, examined: summary.examined, transitions: [summary.transitions] });
  return summary;
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
  /**
   * Loud deaths of the storm window: those the pass found (whoever decided them) and those this
   * invocation decided since. Later deaths join them in a storm.
   */
  readonly died: Dying[];
  /** Storms not yet over, by incident: from their notices, and those this invocation decided or extended. */
  readonly storms: Map<string, OpenStorm>;
}

export interface JudgeResult {
  readonly transitions: Partial<Record<NotificationKind, number>>;
  readonly errors: number;
  readonly storms: Storm[];
  /** Hosts held under a storm whose leaving `dead` this judging committed, by the storm's incident. */
  readonly leftStorm: Map<string, string[]>;
}

/** A pass, and what it hands to the deadline watch. */
export async function runDiagnosePass(d: DiagnoseDeps): Promise<{ summary: DiagnoseSummary; context: PassContext; upcoming: Upcoming[]; checks: CheckUpcoming[]; checkStorms?: CheckStorms }> {
  const now = d.delivery.now();
  const outbox = new Outbox();
  // The self-check waits for its canary while the fleet is read: a pass takes the longer of the
  // two, not their sum. Deaths are decided only once it is back.
  const checking = selfCheck(d, now, outbox);
  checking.catch(() => undefined);
  const silences = d.silences ? await d.silences.all() : [];
  const ending = silences.filter((s) => s.endsAt <= now && s.closedAt === undefined);
  const hostsByState: Partial<Record<HostState, number>> = {};
  // Storms not yet over: their progress and end are decided from their hosts' states (below).
  const storming = d.fleetHistory ? openStorms(await fleetHistoryOrNone(d, now)) : [];

  const scan = await scanFleet(d, {
    now, deadThrough: now, watch: true, ending, silences, hostsByState, outbox,
    segments: { first: 0, count: d.scanSegments, total: d.scanSegments },
  });
  const { reasons: degraded, deadThrough } = await checking;
  const { examined, population, recentDeaths, stormDown } = scan;
  const held = holdDeaths(scan, deadThrough, degraded.length === 0);
  const { upcoming } = held;
  // The fleet was read while the canary travelled: beats stored meanwhile are what the watermark
  // vouches for, so the hosts about to be declared dead are read again before they are judged.
  const plans = await rereadDeaths(d, held.plans, now, deadThrough);

  const context: PassContext = { silences, population, degraded, died: recentDeaths, storms: new Map(storming.map((s) => [s.incident, s])) };
  const judged = await judgePlans(d, context, plans, now, ending, outbox);
  const { leftStorm } = judged;
  await announceStormProgress(d, stormsOf(storming, 'hosts'), stormDown, leftStorm, now, outbox);
  // Checks are judged as hosts are, into the same outbox; a late one is held back as a death is.
  const checked = d.checks ? await passChecks(d, d.checks, now, deadThrough, silences, outbox, storming) : undefined;
  const storms = [...judged.storms, ...(checked?.storms ?? [])];
  const ruled = d.logRules ? await judgeLogRules({ rules: d.logRules, log: d.log, sweepGraceMs: d.sweepGraceMs }, now, silences, outbox) : undefined;
  const transitions = { ...judged.transitions, ...ruled?.transitions };
  for (const [kind, n] of Object.entries(checked?.transitions ?? {})) transitions[kind as NotificationKind] = (transitions[kind as NotificationKind] ?? 0) + (n ?? 0);
  const errors = judged.errors + (checked?.errors ?? 0) + (ruled?.errors ?? 0);

  // After every state change is committed: a failure here delays an alert, and loses none.
  const delivered = await outbox.flush(d.delivery, d.log);
  if (errors === 0 && delivered.unpublished === 0 && d.silences) {
    for (const s of ending) await d.silences.close(s.id, now);
  }

  await d.stats.recordRun(now, examined);
  await d.stats.recordHostCounts({ ...scan.counts, at: now });
  const summary = { at: now, examined, transitions, degraded, errors, suppressed: delivered.suppressed, storms, hostsByState, outbox: delivered };
  d.log[quietPass(summary) ? 'debug' : 'info']('diagnose pass', { ...summary, silences: silences.filter((s) => isInForce(s, now)).length, watching: upcoming.length, checks: checked?.examined });
  return { summary, context, upcoming, checks: checked?.upcoming ?? [], ...(checked ? { checkStorms: checked.context } : {}) };
}

/**
 * The pass's judgement of every check, listing those whose deadline comes before the watch ends,
 * then the progress of the checks' storms among `open` (the storms not over before the pass),
 * from the checks' states as hosts' storms' is from the hosts'.
 */
export async function passChecks(d: DiagnoseDeps, checks: NonNullable<DiagnoseDeps['checks']>, now: number, deadThrough: number, silences: readonly Silence[], outbox: Outbox, open: readonly OpenStorm[]) {
  const watchMs = d.watchMs ?? 0;
  const storming = stormsOf(open, 'checks');
  const checked = await judgeChecks(
    { checks, delivery: d.delivery, log: d.log, ...(d.sweepGraceMs === undefined ? {} : { sweepGraceMs: d.sweepGraceMs }), ...(d.storm ? { storm: d.storm } : {}) },
    now, deadThrough, silences, outbox, now + (watchMs > 0 ? watchMs + CHECK_WATCH_OVERLAP_MS : 0), { storms: storming, progress: d.fleetHistory !== undefined },
  );
  await announceStormProgress(d, storming, checked.stormDown, checked.leftStorm, now, outbox);
  return checked;
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
  /** The ingest watermark: hosts whose deadline comes after it are not declared dead (lib/domain/fleet/watermark.ts). */
  readonly deadThrough: number;
  /** Whether the deadline watch follows: it lists the hosts it should watch. */
  readonly watch: boolean;
  readonly ending: readonly Silence[];
  /** The silences of the pass: a silenced death counts towards no storm. */
  readonly silences: readonly Silence[];
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
  /** Loud deaths within the storm window, whoever declared them: what new deaths may join. */
  readonly recentDeaths: Dying[];
  /** The dead hosts whose `host-down` was held back under a storm, by its incident. */
  readonly stormDown: Map<string, string[]>;
  /** The hosts read, counted as `GET /api/v1/hosts/counts` shows them at the pass's time. */
  readonly counts: HostTally;
}

/**
 * Reads the given segments of the hosts table, read-only but for the outbox entries it picks up:
 * each host counted towards the population and its state, and the hosts that have something to
 * do planned. A single pass reads every segment; a fanned-out pass gives each worker its range.
 */
export async function scanFleet(d: DiagnoseDeps, o: ScanOptions): Promise<ScanResult> {
  const population = emptyPopulation();
  const plans: Plan[] = [];
  const upcoming = new Map<string, number>();
  const watchMs = o.watch ? d.watchMs ?? 0 : 0;
  const watchUntil = o.now + watchMs;
  // A death younger than the group wait is left to the watch, which confirms it with the deaths
  // that follow it closely; without a watch, the pass declares it.
  const holdMs = watchMs > 0 ? Math.min(d.groupWaitMs ?? 0, watchMs) : 0;
  // Deaths a storm window before any this pass may declare. Those are at most about a deadline
  // late (a monitor absent longer declares none), so the window is counted back from that.
  const seedMs = stormWindowMs(d) + d.rule.defaultInterval * d.rule.tolerance * 1000;
  const recentDeaths: Dying[] = [];
  const stormDown = new Map<string, string[]>();
  const counts = emptyTally();
  let examined = 0;
  await Promise.all(Array.from({ length: o.segments.count }, async (_, i) => {
    for await (const page of d.hosts.scanSegment(o.segments.first + i, o.segments.total)) {
      examined += page.length;
      for (const host of page) {
        countHost(population, host);
        tallyHost(counts, host, o.now, d.rule, o.silences);
        o.hostsByState[host.state] = (o.hostsByState[host.state] ?? 0) + 1;
        if (host.state === 'dead' && host.stormIncident !== undefined) stormDown.set(host.stormIncident, [...(stormDown.get(host.stormIncident) ?? []), host.hostname]);
        if (host.state === 'dead' && o.now - host.stateSince <= seedMs && loudDeath(host, o.silences)) {
          recentDeaths.push({ hostname: host.hostname, labels: host.labels, deathAt: host.stateSince, ...(host.stormIncident ? { storm: host.stormIncident } : {}) });
        }
        o.outbox.sweep(host.pending, (id) => d.hosts.settle(host.hostname, id), o.now, d.sweepGraceMs);
        let t = hostTransition(host, o.now, d.rule, o.deadThrough);
        if (t?.to === 'dead' && o.now - t.at < holdMs) t = undefined;
        if (t || host.flappingSince !== undefined || (o.ending.length > 0 && host.state === 'dead')) plans.push({ host, t });
        // Alive after this pass (still, or again): watched if its deadline comes before the next.
        const alive = t ? t.to === 'alive' : host.state === 'new' || host.state === 'alive';
        if (alive && deadlineOf(host, d.rule) <= watchUntil) upcoming.set(host.hostname, deadlineOf(host, d.rule));
      }
    }
  }));
  return { examined, population, plans, upcoming: [...upcoming].map(([hostname, deadline]) => ({ hostname, deadline })), recentDeaths, stormDown, counts };
}

/** A death that was announced (alone or in a storm): neither flapping nor silenced at its time. */
export function loudDeath(host: Host, silences: readonly Silence[]): boolean {
  return host.flappingSince === undefined && silenceAt(host, silences, host.stateSince) === undefined;
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
 * The planned deaths judged again on a strongly consistent read of their hosts: one that beat
 * since the scan is no longer dead. A host the read cannot return is left to the next pass.
 */
export async function rereadDeaths(d: Pick<DiagnoseDeps, 'hosts' | 'rule'>, plans: readonly Plan[], now: number, deadThrough: number): Promise<Plan[]> {
  const dying = plans.filter((p) => p.t?.to === 'dead').map((p) => p.host.hostname);
  if (dying.length === 0) return [...plans];
  const fresh = new Map((await d.hosts.getMany(dying)).map((h) => [h.hostname, h] as const));
  return plans.flatMap((p) => {
    if (p.t?.to !== 'dead') return [p];
    const host = fresh.get(p.host.hostname);
    if (!host) return [];
    const t = hostTransition(host, now, d.rule, deadThrough);
    return t || host.flappingSince !== undefined ? [{ host, t }] : [];
  });
}

/**
 * The recent `@fleet` notifications, or none when they cannot be read: grouping recoveries is a
 * nicety, and a notifications table that fails must not stop the pass from judging the fleet.
 */
export async function fleetHistoryOrNone(d: DiagnoseDeps, now: number): Promise<Notification[]> {
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

/** What the whole fleet decides for one host: the storm its death joins, the grouped notice its own is folded into. */
export interface HostVerdict {
  readonly storm?: { readonly scope: string; readonly incident: string; readonly notice: Notification };
  readonly group?: { readonly reason: string; readonly notice: Notification };
}

export interface FleetVerdict {
  readonly storms: Storm[];
  readonly hosts: Map<string, HostVerdict>;
}

export function digestOf(d: DiagnoseDeps, silences: readonly Silence[], { host, t }: Plan): PlanDigest {
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
export function decideFleet(d: Pick<DiagnoseDeps, 'storm' | 'newHostsGroup'>, context: PassContext, digests: readonly PlanDigest[]): FleetVerdict {
  // Sorted, so that whichever order the segments came back in, the verdict is the same; and each
  // host once, should an engine return a host in two segments (DynamoDB Local ignores Segment).
  const sorted = [...new Map(digests.map((p) => [p.hostname, p] as const)).values()]
    .sort((a, b) => (a.hostname < b.hostname ? -1 : a.hostname > b.hostname ? 1 : 0));
  const dying: Dying[] = sorted.filter((p) => p.loud && p.deathAt !== undefined).map((p) => ({ hostname: p.hostname, labels: p.labels, deathAt: p.deathAt as number }));
  const { storms, members } = decideStorms(d.storm ?? DEFAULT_STORM_RULE, stormWindowMs(d), context, dying);
  const hosts = new Map<string, HostVerdict>([...members].map(([hostname, storm]) => [hostname, { storm }]));
  for (const [hostname, group] of groupedNotices(sorted, d.newHostsGroup)) {
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
export async function judgePlans(d: DiagnoseDeps, context: PassContext, plans: readonly Plan[], now: number, ending: readonly Silence[], outbox: Outbox): Promise<JudgeResult> {
  const verdict = decideFleet(d, context, plans.map((p) => digestOf(d, context.silences, p)));
  return { ...(await commitPlans(d, context.silences, plans, verdict, now, ending, outbox)), storms: verdict.storms };
}

/**
 * Commits the planned hosts with the fleet's verdict: each state change one conditional write
 * carrying its notifications (added to `outbox` once committed), then flapping's end and the
 * notices of silences that ended on hosts still down.
 */
export async function commitPlans(
  d: DiagnoseDeps, silences: readonly Silence[], plans: readonly Plan[], verdict: FleetVerdict, now: number, ending: readonly Silence[], outbox: Outbox,
): Promise<Omit<JudgeResult, 'storms'>> {
  const flapRule = d.flap ?? DEFAULT_FLAP_RULE;
  const transitions: Partial<Record<NotificationKind, number>> = {};
  const leftStorm = new Map<string, string[]>();
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
      // The end of a down held back under a storm (a recovery, or a retirement) is counted in the
      // storm's progress instead: it would close an incident no page opened.
      // Without the storms' history the pass cannot announce their progress: each is then announced alone.
      const underStorm = t.from === 'dead' && d.fleetHistory ? recoverySuppression(host) : undefined;
      let n = t.notification;
      if (flap?.flappingSince !== undefined) n = { ...n, suppressed: 'flapping' };
      else if (storm) n = { ...n, suppressed: `storm:${storm.scope}` };
      else if (underStorm) n = { ...n, suppressed: underStorm.reason };
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
        ...(notice ? { stormIncident: storm?.incident } : {}),
        announce: { notifications: announce, queuedAt: now },
      });
      if (!won) return;
      transitions[t.notification.kind] = (transitions[t.notification.kind] ?? 0) + 1;
      if (host.state === 'dead' && host.stormIncident !== undefined) leftStorm.set(host.stormIncident, [...(leftStorm.get(host.stormIncident) ?? []), host.hostname]);
      committed(host.hostname, announce);
      after = {
        ...host, state: t.to, stateSince: t.at,
        ...(t.to === 'dead' ? { outageStart: t.outageStart, ...(notice ? { stormIncident: storm?.incident } : {}) } : { stormIncident: undefined }),
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

  errors += await judgeInChunks(plans, CONCURRENCY, judge, (plan, reason) => {
    d.log.error('could not judge host; it is judged again next pass', { hostname: plan.host.hostname, error: String(reason) });
  });

  return { transitions, errors, leftStorm };
}

/**
 * A storm's progress and end, decided from its hosts' states: those still dead under it (the
 * scan), less those this pass took out of `dead`. A recovery ingest committed counts the same
 * as one the pass committed. Each notice is committed on the monitor item, conditional on what
 * it last said of that storm, so overlapping passes announce each step once.
 */
export async function announceStormProgress(
  d: DiagnoseDeps, storms: readonly OpenStorm[], stormDown: ReadonlyMap<string, readonly string[]>, leftStorm: ReadonlyMap<string, readonly string[]>, now: number, outbox: Outbox,
): Promise<void> {
  for (const s of storms) {
    const left = new Set(leftStorm.get(s.incident) ?? []);
    const n = stormProgress(s, (stormDown.get(s.incident) ?? []).filter((h) => !left.has(h)), now);
    if (!n) continue;
    try {
      const step = n.kind === 'fleet-storm-over' ? 'over' : Number(n.details.recovered);
      if (await d.stats.announceStorm(s.incident, step, now, n)) for (const p of pendingNow([n], now)) outbox.add(p, (id) => d.stats.settle(id));
    } catch (e) {
      // Decided again by the next pass, from the states then.
      d.log.warn('could not announce a storm\'s progress; the next pass does', { incident: s.incident, error: String(e) });
    }
  }
}

/**
 * The hosts of this pass whose own notice is folded into a grouped one: first beats in a burst
 * ("12 new hosts"), and recoveries of an open storm's hosts ("8 of 10 recovered", "storm over").
 * Each grouped notice rides with every member's state change, so whichever commits sends it.
 */
function groupedNotices(plans: readonly PlanDigest[], newHostsGroup: number | undefined): Map<string, { reason: string; notice: Notification }> {
  const out = new Map<string, { reason: string; notice: Notification }>();
  const firsts = plans.filter((p) => p.t?.from === 'new' && p.t.to === 'alive').map((p) => ({ hostname: p.hostname, at: (p.t as { at: number }).at }));
  const burst = newHostsGroup === undefined ? undefined : newHostsNotice(firsts, newHostsGroup);
  if (burst) for (const f of firsts) out.set(f.hostname, { reason: 'new-hosts', notice: burst });
  return out;
}

/** What the monitor concludes about itself before a pass: why it doubts its view, and the ingest watermark. */
export interface SelfCheck {
  readonly reasons: string[];
  /** Deaths whose deadline comes after this are not declared in this pass. */
  readonly deadThrough: number;
}

/**
 * Before blaming a host, the monitor checks itself: how far ingest has provably got (the ingest
 * watermark, measured in time: lib/domain/fleet/watermark.ts), and whether diagnose itself was away
 * longer than a host's deadline. Either reason makes the monitor degraded, which it announces
 * on the change; a death is then declared only up to the watermark, or not at all after the
 * monitor's own absence. Degraded is raised in the same pass that first holds a death back, so
 * it always comes before any death that would have been wrong.
 */
export async function selfCheck(d: DiagnoseDeps, now: number, outbox: Outbox): Promise<SelfCheck> {
  const reasons: string[] = [];
  const monitor = await d.stats.monitor();
  outbox.sweep(monitor.pending, (id) => d.stats.settle(id), now, d.sweepGraceMs);
  // A storm's record guards its notices against overlapping passes; a day after its end, none is left.
  const over = monitor.storms.filter((s) => s.overAt !== undefined && now - s.overAt > STORM_RECORD_MS).map((s) => s.attribute);
  if (over.length > 0) await d.stats.forgetStorms(over).catch((e: unknown) => d.log.warn('could not forget old storm records', { error: String(e) }));
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
