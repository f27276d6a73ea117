/**
 * #12 part 3: diagnose fanned out to 4 workers (docs/SEMANTICS.md, "Diagnose fanned out"), on a
 * real engine (dynalite, and DynamoDB Local with DTS_TEST_ENGINE=dynamodb-local). The workers are
 * the worker handler's own service functions, called in process, each with its own credentials
 * so that the edge's fault injector (tools/local/faults) can tell them apart and kill one; every
 * request and reply goes through JSON, as through Lambda's Invoke.
 *
 * The same fleet, at the same instants, is judged once by the single pass and once fanned out:
 * the summed result, the host items and the notifications must be the same.
 */
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { PurgeQueueCommand } from '@aws-sdk/client-sqs';
import { DeleteCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config';
import type { Log } from '../../lib/app/log';
import { runDiagnosePass, type DiagnoseSummary, type DiagnoseDeps, type Upcoming } from '../../lib/app/diagnose/pass';
import {
  commitSegment, judgeSegment, runFannedPass, workersFor,
  type CommitReply, type CommitRequest, type DiagnoseWorkers, type JudgeReply, type JudgeRequest, type WorkerRequest,
} from '../../lib/app/diagnose/fanout';
import { diagnoseDeps, fixedNames } from '../../lib/compose';
import { createClients } from '../../lib/adapters/clients';
import { encodeBody } from '../../lib/wire/codec';
import { ENGINE, startTestCloud, type TestCloud } from '../../tools/harness/cloud';
import { lambdaContext, sqsEvent, sqsRecord } from '../support/events';
import { allItems, drain } from '../support/then';

const WORKERS = 4;
const SEGMENTS_EACH = 2;
let cloud: TestCloud;
let ingest: (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

const quiet: Log = { info: () => undefined, warn: () => undefined, error: () => undefined, debug: () => undefined } as unknown as Log;


/** A Diagnosis on the test cloud at a fixed `now`, signing its calls with `accessKeyId`. */
function diagnosisAt(now: number, accessKeyId = 'test', dead: () => boolean = () => false): DiagnoseDeps {
  const config = loadConfig(process.env);
  const clients = createClients({ region: 'us-east-1', credentials: { accessKeyId, secretAccessKey: 'test' } });
  // A killed environment makes no further call, not even the SDK's retry of the call it died in.
  for (const client of [clients.ddb, clients.sns, clients.sqs] as Array<{ middlewareStack: { add: (m: unknown, o: unknown) => void } }>) {
    client.middlewareStack.add((next: (a: unknown) => Promise<unknown>) => async (args: unknown) => {
      if (dead()) throw new Error(`${accessKeyId} was killed`);
      return next(args);
    }, { step: 'deserialize', priority: 'high' });
  }
  return diagnoseDeps({ config, clients, names: fixedNames(cloud.names), log: quiet, now: () => now });
}

/**
 * The workers, in process, as Lambda would run them: a JSON request, a JSON reply, and an
 * invocation that fails when the fault injector kills its worker.
 */
function inProcessWorkers(now: number, count = WORKERS, maxReplyBytes?: number): DiagnoseWorkers & { invocations: WorkerRequest[]; replyBytes: number[] } {
  const kills = new Map<string, (e: Error) => void>();
  const dead = new Set<string>();
  cloud.faults.attach({
    functionOf: (key) => {
      const worker = /^fanout(\d+)x/.exec(key)?.[1];
      return worker === undefined ? undefined : `dts-test-diagnoseWorker-w${worker}`;
    },
    kill: async (key, reason) => {
      dead.add(key);
      kills.get(key)?.(new Error(`environment killed (${reason})`));
      return kills.has(key);
    },
  });
  const invocations: WorkerRequest[] = [];
  const replyBytes: number[] = [];
  const invoke = async <T>(request: WorkerRequest): Promise<T> => {
    invocations.push(request);
    const worker = request.phase === 'judge' ? Math.floor(request.segments.first / SEGMENTS_EACH) + 1 : invocations.length;
    // One environment per invocation: its access key names its function's worker, and is its own
    // (letters and digits only, which DynamoDB Local requires of a key).
    const key = `fanout${worker}x${now}x${invocations.length}`;
    const event = JSON.parse(JSON.stringify({ ...request, ...(request.phase === 'judge' && maxReplyBytes ? { maxReplyBytes } : {}) })) as WorkerRequest;
    const d = diagnosisAt(now, key, () => dead.has(key));
    const killed = new Promise<never>((_, reject) => kills.set(key, reject));
    try {
      const reply = await Promise.race([event.phase === 'judge' ? judgeSegment(d, event) : commitSegment(d, event), killed]);
      const json = JSON.stringify(reply);
      if (event.phase === 'judge') replyBytes.push(Buffer.byteLength(json));
      return JSON.parse(json) as T;
    } finally {
      kills.delete(key);
    }
  };
  return {
    count, invocations, replyBytes,
    judge: (r: JudgeRequest) => invoke<JudgeReply>(r),
    commit: (r) => invoke<CommitReply>(r),
  };
}

/** Notifications committed on an item and not delivered yet (its outbox, docs/DATA-MODEL.md). */
const pendingOf = (item: Record<string, unknown>): number => Object.keys(item).filter((k) => k.startsWith('outbox_')).length;

async function clearTable(table: string): Promise<void> {
  const { Table } = await cloud.clients.ddb.send(new DescribeTableCommand({ TableName: table }));
  const keys = (Table?.KeySchema ?? []).map((k) => k.AttributeName as string);
  for (;;) {
    const { Items = [] } = await cloud.clients.ddb.send(new ScanCommand({ TableName: table }));
    if (Items.length === 0) return;
    await Promise.all(Items.map((i) => cloud.clients.ddb.send(new DeleteCommand({ TableName: table, Key: Object.fromEntries(keys.map((k) => [k, i[k]])) }))));
  }
}

async function reset(): Promise<void> {
  await Promise.all([cloud.names.hostsTable, cloud.names.notificationsTable, cloud.names.statsTable].map(clearTable));
  await drain(cloud, cloud.names.alertsQueueUrl);
  await cloud.clients.sqs.send(new PurgeQueueCommand({ QueueUrl: cloud.names.alertsQueueUrl })).catch(() => undefined);
}

/** Beats, as the queue accepted them at `sentAt`, through the ingest handler. */
async function beats(list: ReadonlyArray<{ hostname: string; sentAt: number; labels?: Record<string, string> }>): Promise<void> {
  for (let i = 0; i < list.length; i += 100) {
    const records = list.slice(i, i + 100).map((b) => sqsRecord(
      encodeBody('dts.HeartbeatMessage', { hostname: b.hostname, timestamp: b.sentAt / 1000, interval: 60, labels: b.labels ?? {} }), { sentAt: b.sentAt }));
    expect((await ingest(sqsEvent(records), lambdaContext('ingestHeartbeats'))).batchItemFailures).toEqual([]);
  }
}

/**
 * 24 hosts on 4 racks of 6. At the first pass: rack r3 has been silent for 5 minutes (a storm of
 * its 6 hosts, spread over the segments), 2 hosts of r1 too (not a storm); the rest beat a
 * second ago. Before the second pass, 4 of r3 come back: their beats' ingest recovers them (held
 * under the storm, so suppressed), and the second pass announces the storm's recovery, grouped.
 */
const T0 = Date.now();
const fleet = Array.from({ length: 24 }, (_, i) => ({ hostname: `fan-${String(i).padStart(3, '0')}`, labels: { rack: `r${i % 4}`, env: 'prod' } }));
const silent = (h: { hostname: string; labels: { rack: string } }, i: number) => h.labels.rack === 'r3' || (h.labels.rack === 'r1' && i < 8);

async function scenario(pass: (now: number) => Promise<{ summary: DiagnoseSummary; upcoming: Upcoming[] }>): Promise<{ summaries: DiagnoseSummary[]; upcoming: Upcoming[][]; hosts: unknown[]; notifications: string[]; published: string[] }> {
  await reset();
  await beats(fleet.map((h, i) => ({ ...h, sentAt: silent(h, i) ? T0 - 300_000 : T0 - 1_000 })));
  const first = await pass(T0);
  await beats(fleet.filter((h) => h.labels.rack === 'r3').slice(0, 4).map((h) => ({ ...h, sentAt: T0 + 2_000 })));
  const second = await pass(T0 + 3_000);
  const hosts = (await allItems(cloud, cloud.names.hostsTable))
    .map((h) => ({ hostname: h.hostname, state: h.state, stateSince: h.stateSince, outageStart: h.outageStart, pending: pendingOf(h) }))
    .sort((a, b) => String(a.hostname).localeCompare(String(b.hostname)));
  const notifications = (await allItems(cloud, cloud.names.notificationsTable)).map((n) => `${String(n.id)} ${String(n.kind)} ${String(n.message)}`).sort();
  const published = (await drain(cloud, cloud.names.alertsQueueUrl))
    .map((m) => (JSON.parse(m.Body as string) as { MessageAttributes: { id: { Value: string } } }).MessageAttributes.id.Value).sort();
  const byName = (u: Upcoming[]) => [...u].sort((x, y) => x.hostname.localeCompare(y.hostname));
  return { summaries: [first.summary, second.summary], upcoming: [byName(first.upcoming), byName(second.upcoming)], hosts, notifications, published: [...new Set(published)] };
}

/** What must match between the two ways of passing (not `at`'s bookkeeping, which is the same by construction). */
const comparable = (s: DiagnoseSummary) => ({
  examined: s.examined, transitions: s.transitions, degraded: s.degraded, errors: s.errors, suppressed: s.suppressed,
  storms: s.storms, hostsByState: s.hostsByState, published: s.outbox.published, unpublished: s.outbox.unpublished,
});

// Fan-out splits the scan by Segment, which DynamoDB Local ignores (each worker would read the
// whole table), and its calls bypass the edge, so its faults cannot be injected: this suite runs
// on dynalite. (Run with DTS_TEST_ENGINE=dynamodb-local, the degraded-guard and commit-kill tests
// pass there too; the suite is skipped to keep npm test's time, docs/BENCHMARKS.md.)
describe.skipIf(ENGINE === 'dynamodb-local')('diagnose fanned out to 4 workers', () => {
  beforeAll(async () => {
    cloud = await startTestCloud();
    Object.assign(process.env, cloud.env, { DTS_SCAN_SEGMENTS: String(SEGMENTS_EACH), DTS_WATCH_SECONDS: '0', DTS_SWEEP_GRACE_SECONDS: '0', DTS_BACKLOG_THRESHOLD: '50' });
    ({ handler: ingest } = await import('../../functions/ingest-heartbeats'));
  }, 60_000);
  afterAll(async () => cloud?.stop());
  beforeEach(() => cloud.faults.clear());

  it('sums to what the single pass decides on the same fleet: transitions, storms across segments, grouped notices, writes', async () => {
    // With a watch long enough to list every alive host's deadline (the pass's `upcoming`).
    process.env.DTS_WATCH_SECONDS = '900';
    const single = await scenario((now) => runDiagnosePass(diagnosisAt(now)));
    const passes: Array<ReturnType<typeof inProcessWorkers>> = [];
    const fanned = await scenario((now) => {
      const workers = inProcessWorkers(now);
      passes.push(workers);
      return runFannedPass(diagnosisAt(now), workers);
    });
    process.env.DTS_WATCH_SECONDS = '0';
    const workers = passes[0];

    // The scenario does what it says: a storm of rack r3, 2 lone deaths, 16 new hosts grouped, then
    // 4 recoveries, committed by ingest and grouped by the second pass.
    const [first, second] = single.summaries as [DiagnoseSummary, DiagnoseSummary];
    expect(first.storms.map((s) => [s.scope, s.hostnames.length])).toEqual([['rack=r3', 6]]);
    expect(first.transitions).toEqual({ 'host-up': 16, 'host-down': 8 });
    expect(second.transitions).toEqual({});
    expect(single.notifications.filter((n) => / host-recovered /.test(n))).toHaveLength(4);
    expect(single.notifications.map((n) => / (fleet-[a-z-]+) /.exec(n)?.[1]).filter(Boolean).sort()).toEqual(['fleet-new-hosts', 'fleet-storm', 'fleet-storm-recovering']);

    // Fanned out, the same.
    expect(fanned.summaries.map(comparable)).toEqual(single.summaries.map(comparable));
    // The deadline watch gets the same list from the workers as from the single pass.
    expect(single.upcoming[0]?.length).toBe(16);
    expect(fanned.upcoming).toEqual(single.upcoming);
    expect(fanned.hosts).toEqual(single.hosts);
    expect(fanned.notifications).toEqual(single.notifications);
    expect(fanned.published).toEqual(single.published);

    // The storm's hosts were judged by several workers, and each worker read a quarter of the segments.
    const judges = (workers?.invocations ?? []).filter((r): r is JudgeRequest => r.phase === 'judge');
    expect(judges.map((r) => r.segments)).toEqual([0, 1, 2, 3].map((i) => ({ first: i * SEGMENTS_EACH, count: SEGMENTS_EACH, total: WORKERS * SEGMENTS_EACH })));
    // The storm's members were committed by more than one worker, each carrying the same storm notice.
    const commits = (workers?.invocations ?? []).filter((r): r is CommitRequest => r.phase === 'commit');
    const carrying = commits.filter((r) => r.hosts.some((h) => h.storm?.scope === 'rack=r3'));
    expect(carrying.length).toBeGreaterThan(1);
    expect(new Set(carrying.map((r) => r.notices[r.hosts.find((h) => h.storm)?.storm?.notice ?? -1]?.id)).size).toBe(1);
  }, 60_000);

  it('keeps the degraded guard fleet-wide: after the monitor\'s own absence, no worker declares a death, and the pass says why', async () => {
    await reset();
    await beats(fleet.map((h, i) => ({ ...h, sentAt: silent(h, i) ? T0 - 300_000 : T0 - 1_000 })));
    await runFannedPass(diagnosisAt(T0), inProcessWorkers(T0));
    // 400 s later every host is past its 180 s deadline, but so is the monitor's last pass.
    const later = T0 + 400_000;
    const workers = inProcessWorkers(later);
    const { summary, context } = await runFannedPass(diagnosisAt(later), workers);
    expect(summary.degraded.join(' ')).toMatch(/diagnose last ran 6m 40s ago/);
    expect(context.degraded).toEqual(summary.degraded);
    expect(summary.transitions['host-down'] ?? 0).toBe(0);
    const judges = workers.invocations.filter((r): r is JudgeRequest => r.phase === 'judge');
    expect(judges.length).toBe(WORKERS);
    expect(judges.every((r) => r.deadThrough === 0 && !r.watch)).toBe(true);
    expect((await allItems(cloud, cloud.names.hostsTable)).filter((h) => h.state === 'alive').length).toBe(16);

    // The next pass, a moment later, trusts itself again and declares them all, in every segment.
    const next = await runFannedPass(diagnosisAt(later + 1_000), inProcessWorkers(later + 1_000));
    expect(next.summary.degraded).toEqual([]);
    expect(next.summary.transitions['host-down']).toBe(16);
  }, 60_000);

  it('a worker killed while committing: the pass counts its hosts as errors, and their notifications still go out next pass', async () => {
    await reset();
    await beats(fleet.map((h, i) => ({ ...h, sentAt: silent(h, i) ? T0 - 300_000 : T0 - 1_000 })));
    // The first publish of one committing worker kills it: its writes are in, its deliveries are not.
    cloud.faults.add('sns:Publish=kill-before,count=1');
    const { summary } = await runFannedPass(diagnosisAt(T0), inProcessWorkers(T0));
    expect(cloud.faults.list()[0]?.injected).toBe(1);
    expect(summary.errors).toBeGreaterThan(0);
    let hosts = await allItems(cloud, cloud.names.hostsTable);
    expect(hosts.filter((h) => h.state === 'dead').length).toBe(8);
    expect(hosts.filter((h) => pendingOf(h) > 0).length).toBeGreaterThan(0);

    // The next pass finds nothing left to decide, and delivers what the killed worker had committed.
    const next = await runFannedPass(diagnosisAt(T0 + 1_000), inProcessWorkers(T0 + 1_000));
    expect(next.summary.errors).toBe(0);
    expect(next.summary.transitions).toEqual({});
    expect(next.summary.outbox.unpublished).toBe(0);
    hosts = await allItems(cloud, cloud.names.hostsTable);
    expect(hosts.filter((h) => pendingOf(h) > 0)).toEqual([]);
    // Every notification recorded and not suppressed was published.
    const loud = (await allItems(cloud, cloud.names.notificationsTable)).filter((n) => n.suppressed === undefined).map((n) => String(n.id)).sort();
    const published = new Set((await drain(cloud, cloud.names.alertsQueueUrl)).map((m) => (JSON.parse(m.Body as string) as { MessageAttributes: { id: { Value: string } } }).MessageAttributes.id.Value));
    expect(loud.length).toBeGreaterThan(0);
    expect(loud.filter((id) => !published.has(id))).toEqual([]);
  }, 60_000);

  it('a worker killed while judging: no host is declared dead in that pass, the pass reports it, and the next pass covers its segments', async () => {
    await reset();
    await beats(fleet.map((h, i) => ({ ...h, sentAt: silent(h, i) ? T0 - 300_000 : T0 - 1_000 })));
    cloud.faults.add('dynamodb:Scan=kill-before,count=1,function=w2');
    const sizeBefore = (await diagnosisAt(T0).stats.monitor()).lastHosts;
    const { summary, context } = await runFannedPass(diagnosisAt(T0), inProcessWorkers(T0));
    expect(cloud.faults.list()[0]?.injected).toBe(1);
    expect(summary.errors).toBe(1);
    expect(summary.degraded.join(' ')).toMatch(/not the whole fleet was read: worker 2 of 4 \(segments 2-3 of 8\) failed: environment killed/);
    expect(context.degraded).toEqual(summary.degraded);
    expect(summary.transitions['host-down'] ?? 0).toBe(0);
    expect(summary.storms).toEqual([]);
    // The other segments' first beats are still taken: only deaths wait for the whole fleet.
    expect(summary.transitions['host-up']).toBeGreaterThan(0);
    expect(summary.examined).toBeLessThan(24);
    // A partial count is not the fleet's size: the one that sizes the fan-out is kept.
    expect((await diagnosisAt(T0).stats.monitor()).lastHosts).toBe(sizeBefore);

    const next = await runFannedPass(diagnosisAt(T0 + 1_000), inProcessWorkers(T0 + 1_000));
    expect(next.summary.errors).toBe(0);
    expect(next.summary.degraded).toEqual([]);
    expect(next.summary.examined).toBe(24);
    expect((await diagnosisAt(T0 + 1_000).stats.monitor()).lastHosts).toBe(24);
    expect(next.summary.transitions['host-down']).toBe(8);
    expect(next.summary.storms.map((s) => [s.scope, s.hostnames.length])).toEqual([['rack=r3', 6]]);
  }, 60_000);

  it('a judge reply too large to send is asked again in halves of its segments, and the pass still equals the single one', async () => {
    process.env.DTS_WATCH_SECONDS = '900';
    const single = await scenario((now) => runDiagnosePass(diagnosisAt(now)));
    // First, the replies' sizes as they are; then a limit that the largest two-segment reply passes.
    const sized: Array<ReturnType<typeof inProcessWorkers>> = [];
    await scenario((now) => {
      const w = inProcessWorkers(now);
      sized.push(w);
      return runFannedPass(diagnosisAt(now), w);
    });
    const limit = Math.max(...(sized[0]?.replyBytes ?? [])) - 1;
    const passes: Array<ReturnType<typeof inProcessWorkers>> = [];
    const fanned = await scenario((now) => {
      const w = inProcessWorkers(now, WORKERS, limit);
      passes.push(w);
      return runFannedPass(diagnosisAt(now), w);
    });
    process.env.DTS_WATCH_SECONDS = '0';
    const judges = (passes[0]?.invocations ?? []).filter((r): r is JudgeRequest => r.phase === 'judge');
    expect(judges.filter((r) => r.segments.count === 1).length, 'a range judged again in halves').toBeGreaterThanOrEqual(2);
    expect(Math.max(...(passes[0]?.replyBytes ?? []))).toBeLessThanOrEqual(limit);
    expect(fanned.summaries.map(comparable)).toEqual(single.summaries.map(comparable));
    expect(fanned.upcoming).toEqual(single.upcoming);
    expect(fanned.hosts).toEqual(single.hosts);
    expect(fanned.notifications).toEqual(single.notifications);
  });

  it('the commit phase counts a planned host it could not read as an error, so the pass closes no silence it still owes notices for', async () => {
    const reply = await commitSegment(diagnosisAt(T0), {
      phase: 'commit', at: T0, deadThrough: T0, silences: [], hosts: [{ hostname: 'planned-then-gone' }], notices: [],
    });
    expect(reply).toMatchObject({ errors: 1, transitions: {} });
  });
});

describe('how many workers a pass uses', () => {
  const c = { workers: 8, hostsPerWorker: 50_000, workerFunction: 'dts-dev-diagnoseWorker' };
  it('none for a small fleet, enough for a large one, all while the fleet is unknown, none without a worker function', () => {
    expect(workersFor(c, { lastHosts: 1_000 })).toBe(1);
    expect(workersFor(c, { lastHosts: 120_000 })).toBe(3);
    expect(workersFor(c, { lastHosts: 10_000_000 })).toBe(8);
    expect(workersFor(c, { lastHosts: undefined })).toBe(8);
    expect(workersFor({ ...c, workerFunction: undefined }, { lastHosts: 10_000_000 })).toBe(1);
    expect(workersFor({ ...c, workers: 1 }, { lastHosts: 10_000_000 })).toBe(1);
  });
});
