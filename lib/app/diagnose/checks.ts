import type { Check } from '../../domain/check/check';
import { checkSubject } from '../../domain/check/check';
import { checkDeadline, checkTransition, type CheckTransition } from '../../domain/check/judge';
import { countCheck, DEFAULT_STORM_RULE, emptyCheckPopulation, type Storm, type StormRule } from '../../domain/fleet/storm';
import { checkRecoverySuppression } from '../../domain/fleet/storm-membership';
import type { OpenStorm } from '../../domain/fleet/notices';
import type { NotificationKind, Silence } from '../../domain/model';
import { NO_DEATHS } from '../../domain/host/transitions';
import { applySilence, silenceAt } from '../../domain/notification/silences';
import type { ChecksPort } from '../../ports';
import type { Delivery } from '../deliver';
import type { Log } from '../log';
import { Outbox, pendingNow } from '../outbox';
import { decideStorms, stormWindowMs, type Dying, type StormContext, type StormMembership } from './storms';

/**
 * Checks (scheduled jobs) judged in the diagnose pass and its deadline watch, the way hosts are
 * (docs/CHECKS.md, "Judgement"): the verdict is the pure rule (lib/domain/check/judge.ts), the
 * transition one conditional write carrying its notification (the outbox), silenced by the same
 * silences (a check is `check:<name>` with its labels), grouped into storms by the same rule
 * among the checks (docs/CHECKS.md, "Storms"), delivered by the same outbox.
 */
/** Deadlines this close after a batch's first are judged with it: one watermark, then each check read again. */
const BATCH_MS = 250;
/**
 * The checks' watch goes on this long past the next pass's expected start (the pass and its watch
 * otherwise end together), until that pass has recorded its run: the next invocation's cold start
 * and its pass (the ingest watermark's canary alone may take `lagWaitSeconds`) come before its
 * own watch starts, and a deadline in between would wait for it (docs/BENCHMARKS.md, part 17).
 * Two invocations judging one check commit once: each change is one conditional write.
 */
export const CHECK_WATCH_OVERLAP_MS = 20_000;
/** Checks judged at once. */
const CONCURRENCY = 32;
/** A late or long verdict held for the ingest watermark is looked at again this much later, in the same watch (as a held death is). */
const HELD_RETRY_MS = 1000;

export interface CheckJudgeDeps {
  readonly checks: Pick<ChecksPort, 'list' | 'get' | 'changeState' | 'settle'>;
  readonly delivery: Delivery;
  readonly log: Log;
  readonly sweepGraceMs?: number;
  /** When many checks go late together (docs/CHECKS.md, "Storms"); default DEFAULT_STORM_RULE, as for hosts. */
  readonly storm?: StormRule;
}

/** A check whose verdict changes by itself (late, long) before the watch ends. */
export interface CheckUpcoming {
  readonly name: string;
  readonly deadline: number;
}

/**
 * What checks' storms are decided with (docs/CHECKS.md, "Storms"): the unpaused checks by label
 * (the share's denominator), the loud lates of the storm window (those the pass read, then those
 * decided since), and the storms not over. The pass builds it; its watch carries it on.
 */
export interface CheckStorms extends StormContext {
  /**
   * Whether a storm's progress is announced (the pass reads the storms' history): a check-ok of a
   * check held under a storm is then counted in it; otherwise each is announced alone.
   */
  readonly progress: boolean;
}

export interface CheckPassResult {
  readonly examined: number;
  readonly transitions: Partial<Record<NotificationKind, number>>;
  readonly errors: number;
  readonly upcoming: CheckUpcoming[];
  /** Storms among this pass's lates. */
  readonly storms: Storm[];
  /** What the checks' watch decides storms with. */
  readonly context: CheckStorms;
  /** Unpaused checks late under a storm, by its incident, as the pass read them. */
  readonly stormDown: Map<string, string[]>;
  /** Checks held under a storm whose leaving late this pass committed, by its incident. */
  readonly leftStorm: Map<string, string[]>;
}

/** A check with a transition to commit. */
interface CheckPlan {
  readonly c: Check;
  readonly t: CheckTransition;
}

const subjectOf = (c: Check) => ({ hostname: checkSubject(c.name), labels: c.labels });

/**
 * What a check at `now` has to commit: nothing, `held` (a verdict that rests on silence, late or
 * long, while ingest has not provably stored what was sent before it, `deadThrough`: the success
 * may be on the heartbeats queue still), or its transition.
 */
function planCheck(c: Check, now: number, deadThrough: number): CheckPlan | 'held' | undefined {
  const t = checkTransition(c, now);
  if (!t) return undefined;
  if ((t.to === 'late' || t.to === 'long') && t.at > deadThrough) return 'held';
  return { c, t };
}

/** Lates announced if alone (not silenced): those that may make a storm. */
function loudLates(plans: readonly CheckPlan[], silences: readonly Silence[]): Dying[] {
  return plans
    .filter(({ c, t }) => t.to === 'late' && t.notification && applySilence(t.notification, subjectOf(c), silences).suppressed === undefined)
    .map(({ c, t }) => ({ hostname: c.name, labels: c.labels, deathAt: t.at }))
    .sort((a, b) => (a.hostname < b.hostname ? -1 : a.hostname > b.hostname ? 1 : 0));
}

/** A late read as it is (decided by this or another invocation) that was announced or held under a storm: not silenced at its time. */
function loudLate(c: Check, silences: readonly Silence[]): Dying | undefined {
  if (c.paused || c.state !== 'late' || silenceAt(subjectOf(c), silences, c.stateSince) !== undefined) return undefined;
  return { hostname: c.name, labels: c.labels, deathAt: c.stateSince, ...(c.stormIncident ? { storm: c.stormIncident } : {}) };
}

/**
 * Commits a planned transition: one conditional write carrying its notification (the outbox). A
 * late that joins a storm is recorded with `suppressed: storm:<scope>`, carries the storm's notice
 * and records the storm on the check; the check-ok of a check held under a storm is recorded
 * with the same reason, since the storm's progress counts it.
 */
async function commitCheck(
  d: CheckJudgeDeps, { c, t }: CheckPlan, storm: StormMembership | undefined, storms: CheckStorms, now: number, silences: readonly Silence[], outbox: Outbox,
): Promise<NotificationKind | 'changed' | undefined> {
  const back = storms.progress ? checkRecoverySuppression(c, t.to) : undefined;
  let n = t.notification;
  if (n && storm) n = { ...n, suppressed: `storm:${storm.scope}` };
  else if (n && back) n = { ...n, suppressed: back.reason };
  const notifications = n ? [applySilence(n, subjectOf(c), silences)] : [];
  if (storm) notifications.push(storm.notice);
  const won = await d.checks.changeState({
    keyHash: c.keyHash, from: c.state, fromSince: c.stateSince, lastPing: c.lastPing, to: t.to, at: t.at, problemSince: t.problemSince,
    ...(storm ? { stormIncident: storm.incident } : {}),
    ...(notifications.length > 0 ? { announce: { notifications, queuedAt: now } } : {}),
  });
  if (!won) return undefined;
  for (const p of pendingNow(notifications, now)) outbox.add(p, (id) => d.checks.settle(c.keyHash, id));
  return t.notification?.kind ?? 'changed';
}

/**
 * Judges checks at `now` and commits what changed: storms among their lates first (with the
 * lates of the window in `storms`, which it then holds), then each change. The pass and the
 * watch both judge through here.
 */
async function judgeMany(
  d: CheckJudgeDeps, read: readonly Check[], now: number, deadThrough: number, silences: readonly Silence[], outbox: Outbox, storms: CheckStorms,
  settled: (c: Check, kind: NotificationKind | 'changed' | 'held' | undefined) => Promise<void>, failed: (c: Check, e: unknown) => void,
): Promise<{ storms: Storm[]; leftStorm: Map<string, string[]> }> {
  const plans: CheckPlan[] = [];
  const held: Check[] = [];
  const quiet: Check[] = [];
  for (const c of read) {
    try {
      const plan = planCheck(c, now, deadThrough);
      if (plan === 'held') held.push(c);
      else if (plan) plans.push(plan);
      else quiet.push(c);
    } catch (e) {
      failed(c, e);
    }
  }
  const verdict = decideStorms(d.storm ?? DEFAULT_STORM_RULE, stormWindowMs(d), storms, loudLates(plans, silences));
  const leftStorm = new Map<string, string[]>();
  const one = async (c: Check, plan: CheckPlan | undefined, held: boolean): Promise<void> => {
    try {
      const kind = plan ? await commitCheck(d, plan, verdict.members.get(c.name), storms, now, silences, outbox) : held ? 'held' : undefined;
      if (plan && kind !== undefined && c.state === 'late' && c.stormIncident !== undefined) {
        leftStorm.set(c.stormIncident, [...(leftStorm.get(c.stormIncident) ?? []), c.name]);
      }
      await settled(c, kind);
    } catch (e) {
      failed(c, e);
    }
  };
  const work = [...plans.map((p) => () => one(p.c, p, false)), ...held.map((c) => () => one(c, undefined, true)), ...quiet.map((c) => () => one(c, undefined, false))];
  for (let i = 0; i < work.length; i += CONCURRENCY) await Promise.all(work.slice(i, i + CONCURRENCY).map((w) => w()));
  return { storms: verdict.storms, leftStorm };
}

/**
 * Every check, judged once: the pass's share. Sweeps their outboxes into `outbox`. `open`: the
 * checks' storms not over (from their notices), and whether their progress is announced.
 */
export async function judgeChecks(
  d: CheckJudgeDeps, now: number, deadThrough: number, silences: readonly Silence[], outbox: Outbox, watchUntil: number,
  open: { readonly storms: readonly OpenStorm[]; readonly progress: boolean } = { storms: [], progress: false },
): Promise<CheckPassResult> {
  const transitions: Partial<Record<NotificationKind, number>> = {};
  const upcoming: CheckUpcoming[] = [];
  let errors = 0;
  const checks = await d.checks.list();
  const population = emptyCheckPopulation();
  const died: Dying[] = [];
  const stormDown = new Map<string, string[]>();
  for (const c of checks) {
    outbox.sweep(c.pending, (id) => d.checks.settle(c.keyHash, id), now, d.sweepGraceMs);
    countCheck(population, c);
    if (!c.paused && c.state === 'late' && c.stormIncident !== undefined) stormDown.set(c.stormIncident, [...(stormDown.get(c.stormIncident) ?? []), c.name]);
    const late = loudLate(c, silences);
    if (late) died.push(late);
  }
  const context: CheckStorms = { population, died, storms: new Map(open.storms.map((s) => [s.incident, s])), progress: open.progress };
  const judged = await judgeMany(d, checks, now, deadThrough, silences, outbox, context, async (c, kind) => {
    if (kind !== undefined && kind !== 'changed' && kind !== 'held') transitions[kind] = (transitions[kind] ?? 0) + 1;
    // Its next deadline, whatever it was judged: a check committed now is read again at it.
    const deadline = checkDeadline(kind === undefined || kind === 'held' ? c : ((await d.checks.get(c.name)) ?? c));
    if (deadline !== undefined && deadline <= watchUntil) upcoming.push({ name: c.name, deadline: Math.max(deadline, now) });
  }, (c, e) => {
    errors++;
    d.log.error('could not judge check; it is judged again next pass', { check: c.name, error: String(e) });
  });
  return { examined: checks.length, transitions, errors, upcoming, storms: judged.storms, context, stormDown, leftStorm: judged.leftStorm };
}

const sleepFor = (ms: number) => new Promise<void>((r) => setTimeout(r, Math.max(0, ms)));

/** Checks noted on the monitor item since the pass (`noteNewCheck`), and the checks' watch's word that it runs. */
export interface CheckArrivals {
  noted(): Promise<readonly string[]>;
  forget(names: readonly string[]): Promise<void>;
  /** The watch runs until `until`; `ended`: it stopped early. */
  watching(until: number, ended?: boolean): Promise<void>;
}

export interface CheckWatchSummary {
  readonly watched: number;
  readonly transitions: Partial<Record<NotificationKind, number>>;
  /** How long after its deadline each check-late or check-long was committed, in ms. */
  readonly lateMs: number[];
  readonly errors: number;
}

/**
 * The checks' deadline watch: at each listed deadline, the checks due then (those within 250 ms
 * of the first) are read again (strongly consistent) and judged, so a late or long check is
 * announced within about a second of its deadline rather than at the next pass. A thousand
 * checks due at 02:00 cost one watermark, not a thousand. It stops when `until` comes or `stop()`
 * says a newer pass has taken over; every change is one conditional write, so an overlap
 * commits once.
 */
export async function watchChecks(
  d: CheckJudgeDeps, silences: readonly Silence[], upcoming: readonly CheckUpcoming[],
  o: {
    readonly until: number; readonly deadThrough: () => Promise<number>; readonly stop: () => Promise<boolean>; readonly pollMs?: number;
    /** Told after each batch that committed a transition (the status pages show it). */
    readonly onCommitted?: () => void;
    /** Checks added or resumed since the pass, noted on the monitor item: listed at their deadline. */
    readonly arrivals?: CheckArrivals;
    /** What the pass decided checks' storms with (its lates, its storms): lates found here join them. Without it, none is grouped. */
    readonly storms?: CheckStorms;
  },
): Promise<CheckWatchSummary> {
  const storms: CheckStorms = o.storms ?? { population: emptyCheckPopulation(), died: [], storms: new Map(), progress: false };
  const queue = upcoming.filter((u) => u.deadline <= o.until).sort((a, b) => a.deadline - b.deadline);
  const transitions: Partial<Record<NotificationKind, number>> = {};
  const lateMs: number[] = [];
  let errors = 0;
  let watched = queue.length;
  const summary = (): CheckWatchSummary => ({ watched, transitions, lateMs, errors });
  // A check added or resumed after the pass listed its deadlines (docs/CHECKS.md, "New checks
  // between passes"): read again (strongly consistent) and listed at its deadline if that comes
  // within the watch, then taken off the monitor item. True if any was listed.
  const arrivals = o.arrivals;
  const listArrivals = async (): Promise<boolean> => {
    if (!arrivals) return false;
    let listed = false;
    try {
      const names = await arrivals.noted();
      if (names.length === 0) return false;
      for (const name of names) {
        const c = await d.checks.get(name);
        const deadline = c ? checkDeadline(c) : undefined;
        if (deadline === undefined || deadline > o.until || queue.some((q) => q.name === name)) continue;
        insert(queue, { name, deadline: Math.max(deadline, d.delivery.now()) });
        watched++;
        listed = true;
      }
      await arrivals.forget(names);
    } catch (e) {
      d.log.warn('could not list new checks; the watch looks again', { error: String(e) });
    }
    return listed;
  };
  // `dts checks add` reads this to know that a new check will be listed without a pass of its own.
  const said = arrivals !== undefined && await arrivals.watching(o.until).then(() => true, (e: unknown) => {
    d.log.warn('could not record the checks\' watch on the monitor item', { error: String(e) });
    return false;
  });
  await listArrivals();
  for (;;) {
    if (queue.length === 0) {
      if (!said || d.delivery.now() >= o.until) break;
      // Nothing left to watch: a new check needs a pass of its own again. One noted just before
      // the end was said is still listed here.
      await arrivals?.watching(o.until, true).catch((e: unknown) => d.log.warn('could not record the checks\' watch\'s end', { error: String(e) }));
      if (!(await listArrivals())) break;
      await arrivals?.watching(o.until).catch(() => undefined);
    }
    const first = queue[0] as CheckUpcoming;
    let n = 1;
    while (n < queue.length && (queue[n] as CheckUpcoming).deadline <= first.deadline + BATCH_MS) n++;
    const last = (queue[n - 1] as CheckUpcoming).deadline;
    let relist = false;
    for (;;) {
      if (await o.stop()) return summary();
      // A new check listed: the batch is formed again (its deadline may come first).
      if (await listArrivals()) {
        relist = true;
        break;
      }
      const left = last - d.delivery.now();
      if (left <= 0) break;
      await sleepFor(Math.min(left, o.pollMs ?? 1000));
    }
    if (relist) continue;
    // Every deadline already passed joins the batch: a watermark takes a canary's round trip
    // through ingest (a second or more), and checks due a second apart, each waiting for its own,
    // would fall further behind with each one (BENCHMARKS part 17). One watermark covers them all.
    const due = d.delivery.now();
    while (n < queue.length && (queue[n] as CheckUpcoming).deadline <= due) n++;
    const batch = queue.splice(0, n);
    let deadThrough: number;
    try {
      deadThrough = await o.deadThrough();
    } catch (e) {
      errors++;
      d.log.error('could not establish the ingest watermark at checks\' deadlines; the next pass judges them', { checks: batch.length, error: String(e) });
      continue;
    }
    const outbox = new Outbox();
    const before = Object.values(transitions).reduce((a, n) => a + (n ?? 0), 0);
    const listed = new Map<string, CheckUpcoming>();
    for (const next of batch) if (!listed.has(next.name)) listed.set(next.name, next);
    const read: Check[] = [];
    const names = [...listed.keys()];
    for (let i = 0; i < names.length; i += CONCURRENCY) {
      await Promise.all(names.slice(i, i + CONCURRENCY).map(async (name) => {
        try {
          const c = await d.checks.get(name);
          if (c) read.push(c);
        } catch (e) {
          errors++;
          d.log.error('could not judge check at its deadline; the next pass does', { check: name, error: String(e) });
        }
      }));
    }
    // Read late, and not by this invocation: an overlapping one declared it since the pass. Later
    // lates may join it in a storm, as if this invocation had declared it.
    for (const c of read) {
      const late = loudLate(c, silences);
      if (late && !storms.died.some((h) => h.hostname === c.name)) storms.died.push(late);
    }
    read.sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0));
    const now = d.delivery.now();
    await judgeMany(d, read, now, deadThrough, silences, outbox, storms, async (c, kind) => {
      const next = listed.get(c.name) as CheckUpcoming;
      // Held for the watermark (its messages may be on the queue still): looked at again a
      // moment later in this watch, not left to the next pass a minute on. A check pinged
      // since is watched at its new deadline if that comes before the watch ends.
      // With no watermark at all (ingest degraded), the next pass decides, as it does for hosts.
      // A check whose state changed here has a deadline of its new state: a first success
      // (new → up, committed at the deadline counted from its creation) is late at its
      // success plus period plus grace, which may come before the watch ends (BENCHMARKS part 17).
      const changed = kind !== undefined && kind !== 'held';
      const again = kind === 'held'
        ? (deadThrough > NO_DEATHS ? now + HELD_RETRY_MS : undefined)
        : checkDeadline(changed ? ((await d.checks.get(c.name)) ?? c) : c);
      if (again !== undefined && again > now && again <= o.until) insert(queue, { name: c.name, deadline: again });
      if (kind !== undefined && kind !== 'changed' && kind !== 'held') {
        transitions[kind] = (transitions[kind] ?? 0) + 1;
        lateMs.push(now - (checkDeadline(c) ?? next.deadline));
      }
    }, (c, e) => {
      errors++;
      d.log.error('could not judge check at its deadline; the next pass does', { check: c.name, error: String(e) });
    });
    await outbox.flush(d.delivery, d.log);
    if (Object.values(transitions).reduce((a, n) => a + (n ?? 0), 0) > before) o.onCommitted?.();
  }
  return summary();
}

/** Into the queue, kept sorted by deadline. */
function insert(queue: CheckUpcoming[], u: CheckUpcoming): void {
  const i = queue.findIndex((q) => q.deadline > u.deadline);
  if (i < 0) queue.push(u);
  else queue.splice(i, 0, u);
}
