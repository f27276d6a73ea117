import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Message } from '@aws-sdk/client-sqs';
import { loadConfig } from '../../lib/config';
import type { Beat } from '../../lib/domain/model';
import { runDiagnose, type DiagnoseSummary, type DiagnoseDeps } from '../../lib/app/diagnose/pass';
import { diagnoseDeps, fixedNames } from '../../lib/compose';
import { storeBeat, type HeartbeatIngest } from '../../lib/app/ingest/heartbeats';
import { silentLog } from '../../lib/app/log';
import { AlertPublisher } from '../../lib/adapters/sns/alerts';
import { createClients } from '../../lib/adapters/clients';
import { HostStore } from '../../lib/adapters/dynamodb/hosts';
import { NotificationStore } from '../../lib/adapters/dynamodb/notifications';
import { startTestCloud, type TestCloud } from '../../tools/harness/cloud';
import { Faults, type FaultRule } from '../support/faults';
import { drain, hostItem, notificationsOf } from '../support/then';

/**
 * Every step of the alert path fails in turn (the state write, the notification write, the
 * publish, the mark; a table or the topic unavailable, throttling, the function dying between
 * two steps) while hosts die and a beat raises a resource level. Whatever fails, every
 * transition ends recorded exactly once and published at least once with its id attribute.
 */
let cloud: TestCloud;
let faults: Faults;
let diagnose: DiagnoseDeps;
let ingest: HeartbeatIngest;
/** The services' clock: passes are 20-40 s apart, never long enough for the monitor to doubt itself. */
let clock = Date.now();
const published: Message[] = [];

beforeAll(async () => {
  cloud = await startTestCloud();
  // Storms are off here: a storm holds its members' downs back, and this test wants each published.
  const env = { ...process.env, ...cloud.env, DTS_STORM_MIN_HOSTS: '1000', DTS_SCAN_SEGMENTS: '2' };
  const config = loadConfig(env);
  faults = new Faults();
  const base = { region: cloud.env.AWS_REGION ?? 'us-east-1', credentials: cloud.credentials };
  const edge = createClients({ ...base, endpoint: cloud.env.AWS_ENDPOINT_URL_SQS });
  const clients = faults.attach({ ddb: createClients({ ...base, endpoint: cloud.env.AWS_ENDPOINT_URL_DYNAMODB }).ddb, sqs: edge.sqs, sns: edge.sns });
  const now = () => clock;
  const { silencesTable: _none, ...names } = cloud.names;
  diagnose = diagnoseDeps({ config, clients, names: fixedNames(names), log: silentLog, now });
  ingest = {
    hosts: new HostStore(clients.ddb, cloud.names.hostsTable),
    delivery: {
      notifications: new NotificationStore(clients.ddb, cloud.names.notificationsTable, 90),
      alerts: new AlertPublisher(clients.sns, cloud.names.alertsTopicArn),
      now,
    },
    quarantine: undefined,
    levels: config.levels,
    limits: { maxFutureSeconds: 86_400, textMaxBytes: 32_768 },
    log: silentLog,
  };
});
afterAll(async () => cloud?.stop());

const beatAt = (hostname: string, receivedAt: number, disk = 40): Beat => ({
  hostname, receivedAt, sentAt: receivedAt, interval: 60, labels: {}, goodbye: false, disk: { percent: disk },
});

/** A pass; a pass that "dies" throws, as the function would fail. */
async function pass(): Promise<DiagnoseSummary | Error> {
  try {
    return await runDiagnose(diagnose);
  } catch (e) {
    return e as Error;
  }
}

/** A beat as SQS delivers it: false when the function failed on it, and SQS will deliver it again. */
async function deliverBeat(beat: Beat): Promise<boolean> {
  try {
    await storeBeat(ingest, beat);
    return true;
  } catch {
    return false;
  }
}

const HOSTS = 4;
const hasOutbox = (input: Record<string, unknown>) =>
  Object.values((input.ExpressionAttributeNames ?? {}) as Record<string, string>).some((n) => n.startsWith('outbox_'));

/**
 * `HOSTS` hosts come up, then die while the fault is in force, and one host's disk rises to
 * critical; then the fault is gone and diagnose keeps its schedule. Returns what to check.
 */
async function scenario(name: string, inject: () => void) {
  const hosts = Array.from({ length: HOSTS }, (_, i) => `${name}-${i + 1}`);
  const disk = `${name}-disk`;
  for (const h of hosts) await storeBeat(ingest, beatAt(h, clock - 170_000));
  await storeBeat(ingest, beatAt(disk, clock));
  expect(await pass()).not.toBeInstanceOf(Error);

  clock += 20_000;
  const rise = beatAt(disk, clock, 97);
  inject();
  const stored = await deliverBeat(rise);
  faults.clear();
  inject();
  const during = await pass();
  faults.clear();
  if (!stored) await storeBeat(ingest, rise);
  clock += 40_000;
  const after = await pass();
  expect(after).not.toBeInstanceOf(Error);
  clock += 30_000;
  const settled = await pass();
  expect(settled).toMatchObject({ outbox: { unpublished: 0 } });
  clock += 30_000;
  published.push(...await drain(cloud, cloud.names.alertsQueueUrl));

  const down = await Promise.all(hosts.map(async (h) => (await notificationsOf(cloud, h)).filter((n) => n.kind === 'host-down')));
  const critical = (await notificationsOf(cloud, disk)).filter((n) => n.kind === 'resource-critical');
  const items = await Promise.all([...hosts, disk].map((h) => hostItem(cloud, h)));
  return { during, after, down, critical, items };
}

/** How often each id was published on the alerts topic, read from its `id` message attribute. */
function publishes(id: unknown): number {
  return published.filter((m) => {
    const body = JSON.parse(m.Body ?? '{}') as { MessageAttributes?: Record<string, { Value: string }> };
    return body.MessageAttributes?.id?.Value === id;
  }).length;
}

function expectEveryAlert(r: Awaited<ReturnType<typeof scenario>>, republishAllowed: boolean) {
  for (const list of [...r.down, r.critical]) {
    expect(list).toHaveLength(1);
    expect(list[0]?.publishedAt).toEqual(expect.any(Number));
    // Whatever path delivered it (at once, or the sweep from the outbox), it keeps its incident key.
    expect(list[0]?.incident).toEqual(expect.any(String));
    const times = publishes(list[0]?.id);
    if (republishAllowed) expect(times).toBeGreaterThanOrEqual(1);
    else expect(times).toBe(1);
  }
  // Nothing is left in any outbox.
  for (const item of r.items) expect(Object.keys(item ?? {}).filter((k) => k.startsWith('outbox_'))).toEqual([]);
}

const notificationsTable = () => cloud.names.notificationsTable;
const hostsTable = () => cloud.names.hostsTable;
const rule = (r: FaultRule) => r;

describe('no alert is lost, whatever single step of its path fails', () => {
  it('the notifications table unavailable while hosts die and a level rises: recorded and published by the next pass', async () => {
    const r = await scenario('nt', () => faults.fail({ service: 'dynamodb', table: notificationsTable() }));
    expect(r.during).toMatchObject({ transitions: { 'host-down': HOSTS }, outbox: { unpublished: HOSTS } });
    expect(r.after).toMatchObject({ outbox: { published: HOSTS + 1 } });
    expectEveryAlert(r, false);
  });

  it('the alerts topic unavailable: recorded once, published by the next pass', async () => {
    const r = await scenario('sns', () => faults.fail({ service: 'sns', command: 'PublishCommand' }));
    expect(r.during).toMatchObject({ outbox: { unpublished: HOSTS } });
    expect(r.after).toMatchObject({ outbox: { republished: HOSTS + 1 } });
    expectEveryAlert(r, false);
  });

  it('the hosts table throttling the state writes: the transitions are decided again, and announced once', async () => {
    const r = await scenario('thr', () => faults.fail({ service: 'dynamodb', table: hostsTable(), command: 'UpdateItemCommand' }, 'throttling'));
    expect(r.during).toMatchObject({ errors: HOSTS });
    expect(r.after).toMatchObject({ transitions: { 'host-down': HOSTS } });
    expectEveryAlert(r, false);
  });

  it('the function dies right after a state write, before any notification write', async () => {
    const r = await scenario('k1', () => faults.killAfter(rule({ service: 'dynamodb', table: hostsTable(), command: 'UpdateItemCommand', when: hasOutbox })));
    expect(r.during).toBeInstanceOf(Error);
    expectEveryAlert(r, false);
  });

  it('the function dies between recording a notification and publishing it', async () => {
    const r = await scenario('k2', () => faults.killAfter({ service: 'dynamodb', table: notificationsTable(), command: 'PutItemCommand' }));
    expect(r.during).toBeInstanceOf(Error);
    // Another delivery in flight may have published before the death and missed its mark.
    expectEveryAlert(r, true);
    const id = (faults.killedAfter?.Item as { id?: string } | undefined)?.id;
    expect(id).toMatch(/^k2-/);
    expect(publishes(id)).toBe(1);
  });

  it('the function dies between publishing and marking it published: published again with the same id', async () => {
    const r = await scenario('k3', () => faults.killAfter({ service: 'sns', command: 'PublishCommand' }));
    expect(r.during).toBeInstanceOf(Error);
    expectEveryAlert(r, true);
    // The one that was published before the death went out twice, with the same id.
    expect([...r.down, r.critical].some((l) => publishes(l[0]?.id) === 2)).toBe(true);
  });

  it('the function dies after the mark, before the outbox entry is removed: not published again', async () => {
    const r = await scenario('k4', () => faults.killAfter({ service: 'dynamodb', table: notificationsTable(), command: 'UpdateItemCommand' }));
    expect(r.during).toBeInstanceOf(Error);
    // The others in flight when it died may have been published and not marked: at least once.
    expectEveryAlert(r, true);
    const marked = String((faults.killedAfter?.Key as { sk?: string } | undefined)?.sk ?? '');
    const id = marked.slice(marked.indexOf('#') + 1);
    expect(id).toMatch(/^k4-/);
    expect(publishes(id)).toBe(1);
  });
});
