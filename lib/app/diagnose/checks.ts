import type { Check } from '../../domain/check/check';
import { checkSubject } from '../../domain/check/check';
import { checkDeadline, checkTransition } from '../../domain/check/judge';
import type { NotificationKind, Silence } from '../../domain/model';
import { NO_DEATHS } from '../../domain/host/transitions';
import { applySilence } from '../../domain/notification/silences';
import type { ChecksPort } from '../../ports';
import type { Delivery } from '../deliver';
import type { Log } from '../log';
import { Outbox, pendingNow } from '../outbox';

/**
 * Checks (scheduled jobs) judged in the diagnose pass and its deadline watch, the way hosts are
 * (docs/CHECKS.md, "Judgement"): the verdict is the pure rule (lib/domain/check/judge.ts), the
 * transition one conditional write carrying its notification (the outbox), silenced by the same
 * silences (a check is `check:<name>` with its labels), delivered by the same outbox.
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
}

/** A check whose verdict changes by itself (late, long) before the watch ends. */
export interface CheckUpcoming {
  readonly name: string;
  readonly deadline: number;
}

export interface CheckPassResult {
  readonly examined: number;
  readonly transitions: Partial<Record<NotificationKind, number>>;
  readonly errors: number;
  readonly upcoming: CheckUpcoming[];
}

/**
 * Judges one check at `now` and commits what changed. A verdict that rests on silence (late,
 * long) is held while ingest has not provably stored what was sent before it (`deadThrough`,
 * the ingest watermark): the success may be on the heartbeats queue still.
 */
export async function judgeCheck(d: CheckJudgeDeps, c: Check, now: number, deadThrough: number, silences: readonly Silence[], outbox: Outbox): Promise<NotificationKind | 'changed' | 'held' | undefined> {
  const t = checkTransition(c, now);
  if (!t) return undefined;
  if ((t.to === 'late' || t.to === 'long') && t.at > deadThrough) return 'held';
  const subject = { hostname: checkSubject(c.name), labels: c.labels };
  const notifications = t.notification ? [applySilence(t.notification, subject, silences)] : [];
  const won = await d.checks.changeState({
    keyHash: c.keyHash, from: c.state, fromSince: c.stateSince, lastPing: c.lastPing, to: t.to, at: t.at, problemSince: t.problemSince,
    ...(notifications.length > 0 ? { announce: { notifications, queuedAt: now } } : {}),
  });
  if (!won) return undefined;
  for (const p of pendingNow(notifications, now)) outbox.add(p, (id) => d.checks.settle(c.keyHash, id));
  return t.notification?.kind ?? 'changed';
}

/** Every check, judged once: the pass's share. Sweeps their outboxes into `outbox`. */
export async function judgeChecks(d: CheckJudgeDeps, now: number, deadThrough: number, silences: readonly Silence[], outbox: Outbox, watchUntil: number): Promise<CheckPassResult> {
  const transitions: Partial<Record<NotificationKind, number>> = {};
  const upcoming: CheckUpcoming[] = [];
  let errors = 0;
  const checks = await d.checks.list();
  const one = async (c: Check): Promise<void> => {
    outbox.sweep(c.pending, (id) => d.checks.settle(c.keyHash, id), now, d.sweepGraceMs);
    try {
      const kind = await judgeCheck(d, c, now, deadThrough, silences, outbox);
      if (kind !== undefined && kind !== 'changed' && kind !== 'held') transitions[kind] = (transitions[kind] ?? 0) + 1;
      // Its next deadline, whatever it was judged: a check committed now is read again at it.
      const deadline = checkDeadline(kind === undefined || kind === 'held' ? c : ((await d.checks.get(c.name)) ?? c));
      if (deadline !== undefined && deadline <= watchUntil) upcoming.push({ name: c.name, deadline: Math.max(deadline, now) });
    } catch (e) {
      errors++;
      d.log.error('could not judge check; it is judged again next pass', { check: c.name, error: String(e) });
    }
  };
  for (let i = 0; i < checks.length; i += CONCURRENCY) await Promise.all(checks.slice(i, i + CONCURRENCY).map(one));
  return { examined: checks.length, transitions, errors, upcoming };
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
  },
): Promise<CheckWatchSummary> {
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
    for (let i = 0; i < batch.length; i += CONCURRENCY) {
      await Promise.all(batch.slice(i, i + CONCURRENCY).map(async (next) => {
        try {
          const c = await d.checks.get(next.name);
          if (!c) return;
          const now = d.delivery.now();
          const kind = await judgeCheck(d, c, now, deadThrough, silences, outbox);
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
            : checkDeadline(changed ? ((await d.checks.get(next.name)) ?? c) : c);
          if (again !== undefined && again > now && again <= o.until) insert(queue, { name: next.name, deadline: again });
          if (kind !== undefined && kind !== 'changed' && kind !== 'held') {
            transitions[kind] = (transitions[kind] ?? 0) + 1;
            lateMs.push(now - (checkDeadline(c) ?? next.deadline));
          }
        } catch (e) {
          errors++;
          d.log.error('could not judge check at its deadline; the next pass does', { check: next.name, error: String(e) });
        }
      }));
    }
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
