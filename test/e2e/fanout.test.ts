/**
 * Diagnose fanned out in the local cloud of `npm start`, from the same template: four
 * `diagnoseWorker` invocations through the edge's Lambda Invoke API on every pass, and a rack
 * that goes silent is declared down as one storm (one incident, each host named once) decided over their replies (docs/SEMANTICS.md,
 * "Diagnose fanned out"). The equality with the single pass is test/integration/diagnose-fanout.test.ts.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Notification } from '../../lib/domain/model';
import { notificationFromItem } from '../../lib/adapters/dynamodb/notification-item';
import { startCloudProcess, type CloudProcess } from './support/local-cloud-process';
import { beat, entry, eventually, notificationsOf, sleep } from './support/steps';
import { resourcesFromOutput, targetAt, type Target } from './support/target';
import { E2E_PARAMS, paramArgs } from './support/params';

const RUN = randomUUID().slice(0, 8);
const HOSTS = Array.from({ length: 8 }, (_, i) => `fan-${RUN}-${i}`);
let cloud: CloudProcess;
let dataDir: string;
let t: Target;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'dts-e2e-fanout-'));
  cloud = await startCloudProcess({
    dataDir, inMemory: true, tick: 2, stage: 'fanout',
    // One worker per host up to four: the eight hosts take all four.
    extraArgs: paramArgs(E2E_PARAMS.fanout),
  });
  t = targetAt(cloud.endpoint, resourcesFromOutput(cloud.output()));
}, 180_000);

afterAll(async () => {
  t?.destroy();
  if (cloud) await cloud.stop('SIGINT');
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

/** The `diagnose pass` lines the coordinator logged, parsed. */
const passes = (): Array<{ workers?: number; examined: number; errors: number }> => cloud.output()
  .split('\n')
  .filter((l) => l.includes('"message":"diagnose pass"'))
  .map((l) => JSON.parse(l.slice(l.indexOf('{'))) as { workers?: number; examined: number; errors: number });

describe('diagnose fanned out in the local cloud', () => {
  it('judges the fleet through four worker invocations, and a silent rack goes down as one storm', async () => {
    // A rack of eight hosts beating every 2 s (a 6 s deadline) for a few seconds, then silent.
    for (let round = 0; round < 4; round++) {
      await t.sqs.send(new SendMessageBatchCommand({
        QueueUrl: t.resources.heartbeatsQueueUrl,
        Entries: HOSTS.map((hostname, i) => ({ Id: String(i), ...entry('dts.HeartbeatMessage', { ...beat({ hostname, interval: 2 }), labels: { rack: `r-${RUN}` } }, 'protobuf') })),
      }));
      await sleep(1_000);
    }
    const seen = await eventually(async () => passes().filter((p) => p.examined === HOSTS.length), (p) => p.length > 0, 60_000, 250);
    expect(seen[0], 'a pass over the eight hosts, fanned out').toMatchObject({ workers: 4, examined: HOSTS.length, errors: 0 });

    // One storm: its first notice, and a follow-up on the same incident for deaths that a busy
    // machine spread over the next pass (docs/SEMANTICS.md, "Storms"). Each host is named once.
    // (A host paged alone just before the storm was named is named as already paged.)
    const hostsOf = (s: Notification[]) => s.flatMap((n) => [n.details.hosts, n.details.alreadyPaged].flatMap((h) => (h ?? '').split(' ').filter(Boolean)));
    const named = async () => (await notificationsOf(t, '@fleet')).filter((n) => n.kind === 'fleet-storm').map((n) => notificationFromItem(n));
    const storm = await eventually(named, (s) => hostsOf(s).length >= HOSTS.length, 60_000, 500);
    const said = storm.map((n) => `${n.id}: ${n.message}`);
    expect(storm.filter((n) => n.details.followUp === undefined), `one storm for the rack: ${said.join(' | ')}`).toHaveLength(1);
    expect(new Set(storm.map((n) => n.incident)).size, `on one incident: ${said.join(' | ')}`).toBe(1);
    expect(hostsOf(storm).sort(), 'every host of the rack named once').toEqual([...HOSTS].sort());
    // The outbox delivers a pass's notices side by side (lib/app/outbox.ts), and one it could not
    // deliver goes with the next pass: a host's record may land just after the storm's.
    const downsOf = () => Promise.all(HOSTS.map(async (h) => (await notificationsOf(t, h)).filter((n) => n.kind === 'host-down')));
    const downs = await eventually(downsOf, (all) => all.every((d) => d.length > 0), 20_000, 250);
    for (const [i, d] of downs.entries()) expect(d, `${HOSTS[i]}'s death is recorded, once`).toHaveLength(1);
    // Every fanned-out pass had all four replies: a worker that failed would count as an error
    // (and declare no death in that pass).
    expect(passes().filter((p) => p.workers === 4).every((p) => p.errors === 0)).toBe(true);
  }, 150_000);
});
