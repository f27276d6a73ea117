/**
 * The alert lifecycle through the local cloud (`npm start` in a child process), in real time:
 * its functions, schedule and tables as provisioned from the template. The scripted day on a
 * controlled clock is day.test.ts; this checks the same pieces are wired in the local cloud.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reportCommand } from '../../lib/cli/commands/report';
import { makeContext } from '../../lib/cli/context';
import type { FleetReport } from '../../lib/domain/report/report';
import { silenceId } from '../../lib/domain/notification/silences';
import { SilenceStore } from '../../lib/adapters/dynamodb/silences';
import { startCloudProcess, type CloudProcess } from './support/local-cloud-process';
import { beat, entry, eventually, notificationsOf, sleep } from './support/steps';
import { resourcesFromOutput, targetAt, type Target } from './support/target';

const RUN = randomUUID().slice(0, 8);
let cloud: CloudProcess;
let dataDir: string;
let t: Target;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'dts-e2e-day-local-'));
  cloud = await startCloudProcess({ dataDir, inMemory: true, tick: 1 });
  t = targetAt(cloud.endpoint, resourcesFromOutput(cloud.output()));
}, 120_000);

afterAll(async () => {
  t?.destroy();
  if (cloud) await cloud.stop('SIGINT');
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

async function send(hostname: string, labels: Record<string, string>): Promise<void> {
  await t.sqs.send(new SendMessageCommand({
    QueueUrl: t.resources.heartbeatsQueueUrl,
    ...entry('dts.HeartbeatMessage', { ...beat({ hostname, interval: 1 }), labels }, 'protobuf'),
  }));
}

describe('the alert lifecycle in the local cloud', () => {
  it('a silenced host\'s death is recorded as suppressed and not published; the other\'s goes out; `dts report --now` sees both', async () => {
    const loud = `loud-${RUN}`;
    const quiet = `quiet-${RUN}`;
    const silences = new SilenceStore(t.ddb, t.resources.hostsTable.replace(/-hosts$/, '-silences'));
    const now = Date.now();
    const target = { label: 'role', value: `maint-${RUN}` };
    await silences.create({ id: silenceId(target, now), target, startsAt: now, endsAt: now + 3_600_000, reason: 'e2e' });

    for (let i = 0; i < 3; i++) {
      await send(loud, { role: `web-${RUN}` });
      await send(quiet, { role: `maint-${RUN}` });
      await sleep(700);
    }
    const down = (n: { kind: string }) => n.kind === 'host-down';
    const [l, q] = await eventually(
      () => Promise.all([notificationsOf(t, loud), notificationsOf(t, quiet)]),
      // The loud one is published after it is recorded: wait for both steps, not just the first.
      ([a, b]) => a.some((n) => down(n) && n.publishedAt !== undefined) && b.some(down),
      30_000,
    );
    expect(l.find(down)).toMatchObject({ labels: { role: `web-${RUN}` } });
    expect(l.find(down)?.suppressed).toBeUndefined();
    expect(l.find(down)?.publishedAt).toBeDefined();
    expect(q.find(down)).toMatchObject({ suppressed: `silence:${silenceId(target, now)}` });
    expect(q.find(down)?.publishedAt).toBeUndefined();

    let out = '';
    const ctx = makeContext({ endpoint: cloud.endpoint, stage: 'local' }, {
      out: (s) => { out += s; }, err: () => {}, isTTY: false,
      // No credentials: the backend locator gives a local endpoint dummy ones.
      env: { PATH: process.env.PATH },
    });
    const code = await reportCommand(ctx, { now: true, publish: false, format: 'json' }).finally(() => ctx.close());
    expect(code).toBe(0);
    const report = JSON.parse(out) as FleetReport;
    expect(report.hosts.downNow.map((d) => d.hostname)).toEqual(expect.arrayContaining([loud, quiet]));
    expect(report.notifications.suppressed).toBeGreaterThanOrEqual(1);
  });
});
