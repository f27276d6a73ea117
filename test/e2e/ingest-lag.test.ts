/**
 * Issue 26, "Proof": no false death while ingest lags. A fleet of 100 hosts beats every 3 s
 * (tolerance 3: a 9 s deadline) into the local cloud, diagnose runs every second, and the
 * hosts table is throttled at run time for longer than a deadline, so that ingest falls behind
 * the beats. A subscriber on the alerts topic must get no `host-down` for any host that kept
 * beating, while the one host that really stopped during the fault is paged exactly once, no
 * earlier than its deadline. The fleet beats on until that page has come, so that a slow machine
 * makes the test slower, not wrong.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { subscribeToAlerts, type ReceivedAlert } from '../../bench/support/alert-subscriber';
import { Fleet, type FleetEvent } from '../../bench/support/fleet';
import { judgeFleet } from '../../bench/support/fleet-verdict';
import { createClients, type Clients } from '../../lib/adapters/clients';
import { startCloudProcess, type CloudProcess } from './support/local-cloud-process';
import { faults } from './support/faults';
import { EXTERNAL_ENDPOINT } from './support/target';
import { E2E_PARAMS, paramArgs } from './support/params';

const STAGE = 'lag';
const HOSTS = 100;
const RACKS = 4;
const INTERVAL = 3;
const TOLERANCE = Number(E2E_PARAMS.ingestLag.tolerance);
const TICK = 1;
/** Seconds from the fleet's first beat. */
const FAULT_AT = 10;
const FAULT_FOR = 25;
const STOP_AT = 13;
/** The fleet beats at least until ingest has had time to catch up after the fault, and at most this long. */
const MIN_RUN_FOR = FAULT_AT + FAULT_FOR + 5;
// A beat ingest failed comes back after 5 s per receive, and a death waits the group wait (10 s)
// once ingest has caught up: on a loaded 2-core machine the page can come a minute after the fault.
const MAX_RUN_FOR = 120;
const FAULT = `dynamodb:*@dts-${STAGE}-hosts=throttle,rate=0.5,for=${FAULT_FOR}s`;

describe.skipIf(EXTERNAL_ENDPOINT !== undefined)('a throttled hosts table makes ingest lag (its own process only)', () => {
  let cloud: CloudProcess;
  let dataDir: string;
  let clients: Clients;

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'dts-e2e-ingest-lag-'));
    cloud = await startCloudProcess({ dataDir, inMemory: true, tick: TICK, stage: STAGE, extraArgs: ['--quiet', ...paramArgs(E2E_PARAMS.ingestLag)] });
    clients = createClients({ region: 'us-east-1', endpoint: cloud.endpoint, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  }, 120_000);
  afterAll(async () => {
    for (const c of [clients?.ddb, clients?.sqs, clients?.sns]) c?.destroy();
    if (cloud) expect(await cloud.stop('SIGINT')).toBe(0);
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('pages no host that kept beating, and pages the one that stopped once, after its deadline', async () => {
    const run = randomUUID().slice(0, 6);
    const subscriber = await subscribeToAlerts(clients.sqs, clients.sns, `arn:aws:sns:us-east-1:000000000000:dts-${STAGE}-alerts`, `lag-alerts-${run}`);
    const fleet = new Fleet({
      sqs: clients.sqs, heartbeatsQueueUrl: `${cloud.endpoint}/000000000000/dts-${STAGE}-heartbeats`, endpoint: cloud.endpoint,
      hosts: HOSTS, racks: RACKS, interval: INTERVAL, prefix: `lag-${run}`,
    });
    const victim = fleet.rack(1)[7] as string;
    const startedAt = Date.now();
    const events: FleetEvent[] = [
      { at: FAULT_AT, kind: 'fault', spec: FAULT },
      { at: STOP_AT, kind: 'stop', hosts: [victim] },
    ];
    const victimPaged = (alerts: readonly ReceivedAlert[]) => alerts.some((a) => a.kind === 'host-down' && a.hostname === victim);
    // The fleet beats on until the death is paged (once ingest has caught up, however slow this
    // machine is), and a few seconds more for a second page to show.
    let pagedAt: number | undefined;
    const result = await fleet.run(MAX_RUN_FOR, events, {
      stopWhen: () => {
        pagedAt ??= victimPaged(subscriber.alerts) ? Date.now() : undefined;
        return Date.now() - startedAt >= MIN_RUN_FOR * 1000 && pagedAt !== undefined && Date.now() - pagedAt >= 3000;
      },
    });
    const alerts = await subscriber.stop({ quietMs: 1000, maxMs: 3000 });
    const verdict = judgeFleet(result.hosts, alerts, { tolerance: TOLERANCE, graceMs: (TICK + 5) * 1000, observedUntil: Date.now() });

    // The fault did bite: the throttle refused calls on the hosts table.
    const rules = await faults.list(cloud.endpoint);
    expect(rules.at(-1)?.injected, JSON.stringify(rules)).toBeGreaterThan(0);
    const figures = JSON.stringify({ ...verdict, falsePageHosts: verdict.falsePageHosts.slice(0, 5) });
    expect(verdict.failedSends, figures).toBe(0);
    expect(verdict.falsePages, figures).toBe(0);
    expect(verdict.falseStormNames, figures).toBe(0);

    const victimDeadline = (result.hosts.find((h) => h.hostname === victim)?.sends.at(-1)?.start ?? 0) + INTERVAL * TOLERANCE * 1000;
    const victimPages = alerts.filter((a) => a.kind === 'host-down' && a.hostname === victim);
    expect(victimPages, figures).toHaveLength(1);
    expect(victimPages[0]?.receivedAt).toBeGreaterThanOrEqual(victimDeadline);
    expect(verdict.missed, figures).toEqual([]);
    // Publishing is at least once (docs/SEMANTICS.md, "Delivery guarantee"): with a 1 s tick,
    // passes overlap, and a grouped notice both commit can go out twice, which subscribers drop
    // by its id. A page never does.
    const pages = alerts.filter((a) => a.kind === 'host-down' || a.kind === 'fleet-storm').map((a) => a.id);
    expect(new Set(pages).size, figures).toBe(pages.length);
  }, 180_000);
});
