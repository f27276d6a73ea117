import type { Beat, Host, HostState, Notification, Silence } from '../../domain/model';
import { hostTransition, NO_DEATHS, type DiagnoseRule } from '../../domain/host/transitions';
import { historyStep, type FlapRule } from '../../domain/host/flapping';
import { recoverySuppression } from '../../domain/fleet/storm-membership';
import { applySilence } from '../../domain/notification/silences';
import { skewTransition } from '../../domain/host/skew';
import { assessBeat, goodbyeNotification } from '../../domain/host/beat';
import { isSkewed } from '../../domain/host/skew';
import { extendsCpuStreak, thresholdsFor, type MetricRule } from '../../domain/host/metrics';
import type { DiagnoseTrigger, HostsPort, MonitorPort, QuarantinePort } from '../../ports';
import type { Limits } from '../../wire/validate';
import { validateHeartbeat } from '../../wire/validate';
import { fail } from '../../wire/result';
import { decodeRecord, receivedAtOf } from '../../wire/sqs-record';
import type { Delivery } from '../deliver';
import type { Log } from '../log';
import { Outbox, pendingNow } from '../outbox';
import { isPoison, quarantine, refusalReason, type PoisonRecord } from './poison';
import type { SqsRecordLike } from '../../wire/sqs-record';
import { encodeBody } from '../../wire/codec';
import { TYPE_ATTRIBUTE } from '../../wire/attributes';
import type { dts } from '../../wire/generated/dts';
import { relayedReceiveTime } from '../../domain/host/relay-stamp';
import { effectiveInterval } from '../../domain/host/liveness';
import { validateCheckPing } from '../../wire/validate';
import { recordPing, type PingDeps } from '../checks/ping';

export interface HeartbeatIngest {
  readonly hosts: HostsPort;
  readonly delivery: Delivery;
  readonly quarantine: QuarantinePort | undefined;
  readonly levels: MetricRule;
  readonly limits: Limits;
  readonly log: Log;
  /** Clock skew beyond this gets a warning, on transition; undefined: no skew warnings. */
  readonly skewThresholdMs?: number;
  /**
   * The silences, read only when a beat has a notification to deliver (rare), so a beat in
   * steady state stays one write and no read. Undefined: nothing is silenced.
   */
  readonly silences?: () => Promise<Silence[]>;
  /**
   * How a dead host that beats again is judged: ingest then retracts its death when the beat
   * was received before it, at once and through the same conditional change and outbox as
   * diagnose would. Without it, the next diagnose pass does.
   */
  readonly liveness?: {
    readonly rule: DiagnoseRule;
    readonly flap: FlapRule;
    /**
     * Whether diagnose announces storms' progress (it reads the storms' history, as deployed);
     * default true. Only then is a recovery from a down held back under a storm recorded
     * suppressed here, as the pass would: otherwise each is announced alone, as the pass would.
     */
    readonly stormProgress?: boolean;
  };
  /**
   * New hosts between passes: a host whose first beat comes with a deadline no later than
   * `withinMs` away (the watch's span) starts a pass at once, claimed on the monitor item at most
   * once every `gapMs`, so that its deadline is watched (docs/SEMANTICS.md, "New hosts between
   * passes"). Without it, such a host waits for the next scheduled pass.
   */
  readonly arrivals?: {
    readonly monitor: Pick<MonitorPort, 'noteArrival' | 'claimArrivalPass'>;
    readonly trigger: DiagnoseTrigger;
    readonly withinMs: number;
    readonly gapMs: number;
  };
  /** Where a CheckPing goes (docs/CHECKS.md); without it, a CheckPing is refused. */
  readonly pings?: PingDeps;
}

export type BeatOutcome = 'stored' | 'stale' | 'quarantined';

/**
 * One heartbeat: decode, validate, store with one conditional write, then commit whatever
 * level, skew or goodbye transition it caused with its notifications, and deliver them. Throws
 * only on a transient failure of a write, so SQS retries this record alone; a refusal of its
 * content by DynamoDB, SNS or the SDK is poison, and the beat goes to the DLQ at once with the
 * refusal as its reason. A delivery that fails is left in the host's outbox for the next
 * diagnose pass.
 */
export async function ingestHeartbeat(d: HeartbeatIngest, record: SqsRecordLike & PoisonRecord): Promise<BeatOutcome> {
  const decoded = decodeRecord(record, 'dts.HeartbeatMessage', ['dts.HeartbeatMessage', 'dts.HeartbeatBatch', 'dts.CheckPing']);
  if (decoded.ok && decoded.value.type === 'dts.HeartbeatBatch') return ingestHeartbeatBatch(d, record, decoded.value.message);
  if (decoded.ok && decoded.value.type === 'dts.CheckPing') return ingestCheckPing(d, record, decoded.value.message);
  const valid = decoded.ok ? validateHeartbeat(decoded.value.message as dts.HeartbeatMessage, receivedAtOf(record, d.delivery.now()), d.limits) : decoded;
  if (!valid.ok) {
    await quarantine(d.quarantine, d.log, record, valid.error);
    return 'quarantined';
  }
  try {
    return await storeBeat(d, valid.value);
  } catch (error) {
    if (!isPoison(error)) throw error;
    await quarantine(d.quarantine, d.log, record, { field: 'store', reason: `refused: ${refusalReason(error)}` });
    return 'quarantined';
  }
}

/**
 * A check's signal on the heartbeats queue: one write on the check (lib/app/checks/ping.ts). A
 * ping that is invalid, or names no check, goes to the DLQ at once with its reason and changes
 * nothing; a transient failure comes back.
 */
export async function ingestCheckPing(d: HeartbeatIngest, record: SqsRecordLike & PoisonRecord, message: dts.CheckPing): Promise<BeatOutcome> {
  const valid = validateCheckPing(message);
  const refuse = async (field: string, reason: string): Promise<BeatOutcome> => {
    await quarantine(d.quarantine, d.log, record, { field, reason });
    return 'quarantined';
  };
  if (!valid.ok) return refuse(valid.error.field, valid.error.reason);
  if (!d.pings) return refuse('check', 'this deployment has no checks table');
  try {
    const outcome = await recordPing(d.pings, valid.value, receivedAtOf(record, d.delivery.now()));
    return outcome.ok ? 'stored' : refuse('check', outcome.reason);
  } catch (error) {
    if (!isPoison(error)) throw error;
    return refuse('store', `refused: ${refusalReason(error)}`);
  }
}

export async function storeBeat(d: HeartbeatIngest, beat: Beat): Promise<BeatOutcome> {
  const cpuThresholds = thresholdsFor('cpu', beat.labels, d.levels.cpu).thresholds;
  const streakExtends = beat.cpu !== undefined && extendsCpuStreak(beat.cpu.percent, cpuThresholds);
  const now = d.delivery.now();
  const silences = async () => (d.silences ? d.silences() : []);
  const announce = async (notifications: Notification[]) => {
    const list = await silences();
    return { notifications: notifications.map((n) => applySilence({ ...n, labels: beat.labels }, beat, list)), queuedAt: now };
  };
  // A goodbye (rare) carries its notification in the beat's own write, which moves the host to `left`.
  const goodbye = beat.goodbye ? await announce([goodbyeNotification(beat)]) : undefined;
  const write = await d.hosts.recordBeat(beat, streakExtends, goodbye);
  if (write.stale) return 'stale';
  const outbox = new Outbox();
  const settle = (id: string) => d.hosts.settle(beat.hostname, id);
  if (write.left && goodbye) for (const p of pendingNow(goodbye.notifications, now)) outbox.add(p, settle);
  if (write.previous === undefined && !beat.goodbye) await watchArrival(d, beat, now);

  if (write.previous && RETURNS.has(write.previous.state) && !beat.goodbye && d.liveness) {
    const back = await returnToLife(d, write.previous, beat, now, announce);
    if (back) for (const p of pendingNow(back.notifications, now)) outbox.add(p, settle);
  }

  const assessment = assessBeat(write.previous, beat, d.levels);
  for (const problem of assessment.problems) d.log.warn(problem, { hostname: beat.hostname });
  const before = write.previous?.levels;
  const levelsChanged = before === undefined
    ? Object.values(assessment.levels).some((l) => l !== 'ok')
    : (Object.keys(before) as (keyof typeof before)[]).some((r) => before[r] !== assessment.levels[r]);
  const skew = d.skewThresholdMs === undefined ? undefined : skewTransition(write.previous?.skewMs, beat, d.skewThresholdMs, write.previous?.skewed);
  const due = [...assessment.notifications.filter((n) => n.kind !== 'host-left'), ...(skew ? [skew] : [])];
  if (levelsChanged || skew) {
    // Only the beat that is still the host's newest may move its levels or its skew warning, and
    // it commits the notifications that announce the move in the same write. If this write never
    // happens, nothing moved: the next beat decides again.
    const skewed = skew && d.skewThresholdMs !== undefined ? isSkewed(beat.sentAt - beat.receivedAt, d.skewThresholdMs) : undefined;
    const changes = due.length > 0 ? await announce(due) : { notifications: [], queuedAt: now };
    if (await d.hosts.commitLevels(beat.hostname, beat.receivedAt, assessment.levels, changes, skewed)) {
      for (const p of pendingNow(changes.notifications, now)) outbox.add(p, settle);
    }
  }
  if (outbox.size > 0) {
    const report = await outbox.flush(d.delivery, d.log);
    if (report.unpublished > 0) d.log.warn('notifications left for the next diagnose pass', { hostname: beat.hostname, unpublished: report.unpublished });
  }
  return 'stored';
}

/** A watch that says it runs at least this much longer will look at the monitor item again in time. */
const WATCH_POLL_MARGIN_MS = 2000;

/**
 * A host's first beat: when its deadline would come before the next scheduled pass could list
 * it, it is noted on the monitor item for the running deadline watch to list, and when no watch
 * runs, a pass is started now (one at most every `gapMs`, whoever claims it), whose watch lists
 * it: the host is watched from its first beat on. A failure here loses nothing but that head start: the beat is
 * stored, and the next scheduled pass lists the host.
 */
async function watchArrival(d: HeartbeatIngest, beat: Beat, now: number): Promise<void> {
  const a = d.arrivals;
  if (!a || !d.liveness) return;
  const limitMs = effectiveInterval(beat.interval, d.liveness.rule) * d.liveness.rule.tolerance * 1000;
  if (limitMs > a.withinMs) return;
  try {
    // A watch running now lists it from the monitor item within a second: no pass needed.
    const { watchingUntil } = await a.monitor.noteArrival(beat.hostname);
    if ((watchingUntil ?? 0) > now + WATCH_POLL_MARGIN_MS) return;
    if (await a.monitor.claimArrivalPass(now, a.gapMs)) await a.trigger.runPass(`first beat of ${beat.hostname}`);
  } catch (e) {
    d.log.warn('could not start a pass for a new host; the next scheduled pass lists it', { hostname: beat.hostname, error: String(e) });
  }
}

/** The states a beat ends at once: a death (recovered or retracted), a goodbye, a retirement. */
const RETURNS: ReadonlySet<HostState> = new Set(['dead', 'left', 'retired']);

/**
 * A dead, departed or retired host beat again: the transition diagnose would decide for it
 * (lib/domain/host/transitions), decided now on the host as this beat left it, so a recovery is
 * announced seconds after the first beat back rather than at the next pass (docs/SEMANTICS.md,
 * "Recovery at ingest"). One conditional write on the state it ends, carrying its notification:
 * of ingest, a redelivery, a later beat and a diagnose pass, exactly one commits it, with the same
 * id. A recovery from a down held back under a storm is recorded suppressed and counted in the
 * storm's progress by the next pass; one while flapping is recorded suppressed. Returns what it
 * committed.
 */
async function returnToLife(
  d: HeartbeatIngest,
  previous: Host,
  beat: Beat,
  now: number,
  announce: (n: Notification[]) => Promise<{ notifications: Notification[]; queuedAt: number }>,
): Promise<{ notifications: Notification[] } | undefined> {
  const liveness = d.liveness as NonNullable<HeartbeatIngest['liveness']>;
  const host: Host = { ...previous, lastBeat: beat.receivedAt, interval: beat.interval, labels: beat.labels, resumedAt: previous.resumedAt ?? beat.receivedAt };
  const t = hostTransition(host, now, liveness.rule, NO_DEATHS);
  if (t?.to !== 'alive') return undefined;
  const history = historyStep(host, t, liveness.flap);
  // A death held back under a storm ends in the storm's count, not on its own.
  const storm = liveness.stormProgress === false ? undefined : recoverySuppression(previous);
  const n = history?.flappingSince !== undefined ? { ...t.notification, suppressed: 'flapping' }
    : storm ? { ...t.notification, suppressed: storm.reason } : t.notification;
  const changes = await announce([n, ...(history?.started ? [history.started] : [])]);
  const won = await d.hosts.changeState({
    hostname: host.hostname,
    from: previous.state,
    fromSince: previous.stateSince,
    to: 'alive',
    at: t.at,
    lastBeat: host.lastBeat,
    requireSilence: false,
    outageStart: undefined,
    ...(history ? { changes: history.changes, flappingSince: history.flappingSince } : {}),
    announce: changes,
  });
  return won ? changes : undefined;
}

/**
 * Hosts whose beats of one relayed batch are written at once; one host's beats go in order. A
 * relay's flush carries tens to hundreds of hosts, and each round of writes is a DynamoDB round
 * trip that the invocation is billed for while it waits: 32 at once halves the rounds of 16 and
 * stays under the SDK's 50 sockets with two batches in flight (docs/RELAY.md, Cost).
 */
export const BATCH_HOST_CONCURRENCY = 32;

/**
 * A relay's HeartbeatBatch: each beat is ingested as if it had come alone, with one write, and
 * judged on the relay's receive time bounded by SentTimestamp (rules/relay). A beat that is
 * invalid goes to the DLQ on its own, as a HeartbeatMessage, and its neighbours are stored. A
 * transient failure fails the whole message after every other beat was tried; its redelivery
 * rewrites nothing (the writes are conditional on the receive time) but may quarantine an
 * invalid beat a second time.
 */
export async function ingestHeartbeatBatch(d: HeartbeatIngest, record: SqsRecordLike & PoisonRecord, batch: dts.HeartbeatBatch): Promise<BeatOutcome> {
  if (batch.beats.length === 0) {
    // Acknowledging it would hide a sender's mistake, as an empty LogBatch would (#10).
    await quarantine(d.quarantine, d.log, record, { field: 'beats', reason: 'a HeartbeatBatch with no beats: nothing to store' });
    return 'quarantined';
  }
  const sentAt = receivedAtOf(record, d.delivery.now());
  const byHost = new Map<string, { beat: dts.IRelayedBeat; index: number }[]>();
  batch.beats.forEach((beat, index) => {
    const key = beat.beat?.hostname ?? '';
    byHost.set(key, [...(byHost.get(key) ?? []), { beat, index }]);
  });
  const outcomes: BeatOutcome[] = [];
  let transient: unknown;
  const one = async ({ beat, index }: { beat: dts.IRelayedBeat; index: number }): Promise<BeatOutcome> => {
    const at = relayedReceiveTime(beat.receivedAt ?? 0, sentAt);
    const valid = !beat.beat ? fail('beat', 'missing') : at.ok ? validateHeartbeat(beat.beat as dts.HeartbeatMessage, at.value, d.limits) : at;
    const alone = {
      messageId: `${record.messageId}#${index}`,
      body: encodeBody('dts.HeartbeatMessage', beat.beat ?? {}),
      messageAttributes: { [TYPE_ATTRIBUTE]: { stringValue: 'dts.HeartbeatMessage', dataType: 'String' } },
    };
    if (valid.ok) {
      try {
        return await storeBeat(d, valid.value);
      } catch (error) {
        // A refusal is a verdict on this beat alone (lib/domain/ingest/refusal.ts); anything else comes back.
        if (!isPoison(error)) throw error;
        await quarantine(d.quarantine, d.log, alone, { field: `beats[${index}].store`, reason: `refused: ${refusalReason(error)}` });
        return 'quarantined';
      }
    }
    await quarantine(d.quarantine, d.log, alone, { field: `beats[${index}].${valid.error.field}`, reason: valid.error.reason });
    return 'quarantined';
  };
  const hosts = [...byHost.values()];
  const worker = async (): Promise<void> => {
    for (let group = hosts.shift(); group; group = hosts.shift()) {
      for (const item of group) {
        try {
          outcomes.push(await one(item));
        } catch (e) {
          transient ??= e;
        }
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(BATCH_HOST_CONCURRENCY, hosts.length) }, worker));
  if (transient !== undefined) throw transient;
  return outcomes.includes('stored') ? 'stored' : outcomes.includes('stale') ? 'stale' : 'quarantined';
}
