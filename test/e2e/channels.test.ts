/**
 * Channels end to end, on one local cloud with short intervals: `dts channels add` for every kind,
 * a host dies, each service's stand-in (test/support/receivers.ts) receives the right request,
 * and the recovery resolves it. Along the way: a 429 with Retry-After, a 500, a receiver that is
 * down while the alert goes out (delivered after, through the notifier queue's redelivery), and
 * no secret in any output.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../lib/cli/main';
import { entry, eventually } from './support/steps';
import { startCloudProcess, type CloudProcess } from './support/local-cloud-process';
import { resourcesFromOutput, targetAt, type Target } from './support/target';
import { startReceiver, type Receiver, type Received, type ServiceKind } from '../support/receivers';
import { E2E_PARAMS, paramArgs } from './support/params';

const RUN = randomUUID().slice(0, 6);
const HOST = `ch-${RUN}-db-1`;
const PD_KEY = randomBytes(16).toString('hex');
const OG_KEY = `og-${randomBytes(12).toString('hex')}`;
const SIGNING_KEY = `sk-${randomBytes(12).toString('hex')}`;
const PATH_SECRET = randomBytes(12).toString('hex');
const SECRETS = [PD_KEY, OG_KEY, SIGNING_KEY, PATH_SECRET];

let cloud: CloudProcess;
let dataDir: string;
let t: Target;
const r = {} as Record<ServiceKind, Receiver>;
let beating: NodeJS.Timeout | undefined;
const RACK = [1, 2, 3].map((i) => `ch-${RUN}-r9-${i}`);
let rackUp: readonly string[] = [];
let rackBeating: NodeJS.Timeout | undefined;
const cliOutput: string[] = [];

async function dts(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(args, {
    out: (s) => void (out += s), err: (s) => void (err += s), isTTY: false,
    env: { AWS_ENDPOINT_URL: cloud.endpoint, DTS_STAGE: 'local', NO_COLOR: '1' },
  });
  cliOutput.push(out, err);
  return { code, out, err };
}

async function sendBeat(hostname: string, labels: Record<string, string>, interval = 1): Promise<void> {
  const beat = { hostname, timestamp: Date.now() / 1000, interval, cpu: { percent: 5 }, labels };
  await t.sqs.send(new SendMessageCommand({ QueueUrl: t.resources.heartbeatsQueueUrl, ...entry('dts.HeartbeatMessage', beat, 'json') }));
}

function beat(on: boolean): void {
  if (beating) clearInterval(beating);
  beating = undefined;
  if (on) {
    // Dead after 15 s of silence: a loaded machine's slow ingest must not kill it early.
    void sendBeat(HOST, { role: 'db' }, 5);
    beating = setInterval(() => void sendBeat(HOST, { role: 'db' }, 5).catch(() => undefined), 400);
  }
}

/** The rack's hosts that are up beat every 400 ms. */
function rack(up: readonly string[]): void {
  rackUp = up;
  rackBeating ??= setInterval(() => {
    for (const h of rackUp) void sendBeat(h, { rack: 'r9' }).catch(() => undefined);
  }, 400);
}

/** The requests a receiver accepted (2xx) that are about the host, by what they say. */
function about(rec: Receiver, kindWord: RegExp): Received[] {
  return rec.received.filter((q) => q.raw.includes(HOST) && kindWord.test(q.raw));
}

beforeAll(async () => {
  for (const kind of ['slack', 'discord', 'teams', 'pagerduty', 'opsgenie', 'webhook'] as const) {
    r[kind] = await startReceiver(kind, { key: kind === 'pagerduty' ? PD_KEY : kind === 'opsgenie' ? OG_KEY : kind === 'webhook' ? SIGNING_KEY : undefined });
  }
  dataDir = await mkdtemp(path.join(tmpdir(), 'dts-e2e-channels-'));
  cloud = await startCloudProcess({
    dataDir, inMemory: true, tick: 1,
    // A failed delivery comes back after 4 s instead of 2 minutes.
    extraArgs: paramArgs(E2E_PARAMS.channels),
  });
  t = targetAt(cloud.endpoint, resourcesFromOutput(cloud.output()));
}, 180_000);

afterAll(async () => {
  beat(false);
  if (rackBeating) clearInterval(rackBeating);
  t?.destroy();
  if (cloud) {
    await cloud.stop('SIGINT');
    if (process.env.DTS_E2E_SHOW_CLOUD) console.log(cloud.output().split('\n').filter((l) => /\[notify\]|timed out/.test(l)).join('\n'));
  }
  for (const rec of Object.values(r)) await rec.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('dts channels', () => {
  it('adds one channel of each kind; a bad filter or a plain-http URL is refused', async () => {
    const add = (...args: string[]) => dts('channels', 'add', ...args);
    expect((await add('slack', '--name', 'chat', '--url', `${r.slack.url}/services/T0/B0/${PATH_SECRET}`)).code).toBe(0);
    expect((await add('discord', '--name', 'disc', '--url', `${r.discord.url}/api/webhooks/1/${PATH_SECRET}`)).code).toBe(0);
    expect((await add('teams', '--name', 'msteams', '--url', `${r.teams.url}/workflows/${PATH_SECRET}/triggers/manual/paths/invoke`)).code).toBe(0);
    expect((await add('pagerduty', '--name', 'pd', '--url', `${r.pagerduty.url}/v2/enqueue`, '--key', PD_KEY, '--filter', 'label.role=db')).code).toBe(0);
    expect((await add('opsgenie', '--name', 'og', '--url', r.opsgenie.url, '--key', OG_KEY, '--filter', 'severity>=warning|info')).code).not.toBe(0);
    expect((await add('opsgenie', '--name', 'og', '--url', r.opsgenie.url, '--key', OG_KEY)).code).toBe(0);
    expect((await add('webhook', '--name', 'hook', '--url', `${r.webhook.url}/in/${PATH_SECRET}`, '--key', SIGNING_KEY)).code).toBe(0);
    const refused = await add('slack', '--name', 'bad', '--url', 'http://example.com/hook');
    expect(refused.code).toBe(2);
    expect(refused.err).toMatch(/https/);
    const typo = await add('slack', '--name', 'bad', '--url', `${r.slack.url}/x`, '--filter', 'sevrity=critical');
    expect(typo.code).toBe(2);
    expect(typo.err).toMatch(/unknown field "sevrity"/);
    const list = JSON.parse((await dts('channels', 'list', '--json')).out) as Array<{ name: string; kind: string }>;
    expect(list.map((c) => `${c.name}:${c.kind}`).sort()).toEqual(['chat:slack', 'disc:discord', 'hook:webhook', 'msteams:teams', 'og:opsgenie', 'pd:pagerduty']);
  });

  it('a first beat reaches chat as a notice, and no pager', async () => {
    beat(true);
    await Promise.all((['slack', 'discord', 'teams', 'webhook'] as const).map((kind) =>
      eventually(async () => about(r[kind], /is up/), (xs) => xs.length > 0, 110_000)));
    expect(about(r.pagerduty, /is up/)).toEqual([]);
    expect(about(r.opsgenie, /is up/)).toEqual([]);
  }, 120_000);

  it('a host dies: every channel gets it, through a 429, a 500 and a receiver that was down', async () => {
    r.slack.queue({ when: new RegExp(`${HOST} is down`), status: 429, headers: { 'retry-after': '1' }, body: 'rate_limited' });
    r.discord.queue({ when: new RegExp(`${HOST} is down`), status: 500, body: 'oops' });
    await r.webhook.down();
    beat(false);

    const down = /is down/;
    for (const kind of ['slack', 'discord', 'teams', 'pagerduty', 'opsgenie'] as const) {
      await eventually(async () => about(r[kind], down).filter((q) => q.status < 300), (xs) => xs.length > 0, 30_000);
    }
    // Slack asked to wait a second and was obeyed; Discord's 500 was retried.
    const slack = about(r.slack, down);
    expect(slack.map((q) => q.status).slice(0, 2)).toEqual([429, 200]);
    expect((slack[1] as Received).at - (slack[0] as Received).at).toBeGreaterThanOrEqual(900);
    expect(about(r.discord, down).map((q) => q.status).slice(0, 2)).toEqual([500, 204]);

    const trigger = about(r.pagerduty, down)[0]?.body as { event_action: string; dedup_key: string; payload: { severity: string; source: string } };
    expect(trigger).toMatchObject({ event_action: 'trigger', payload: { severity: 'critical', source: HOST } });
    expect(trigger.dedup_key).toMatch(new RegExp(`^${HOST}/down/`));
    const create = about(r.opsgenie, down)[0];
    expect(create?.path).toBe('/v2/alerts');
    expect((create?.body as { alias: string }).alias).toBe(trigger.dedup_key);

    // The webhook was down: its failure shows in `dts channels`, then it is delivered after.
    const failing = await eventually(async () => JSON.parse((await dts('channels', 'list', '--json')).out) as Array<{ name: string; failing: number; lastError: string | null }>,
      (cs) => (cs.find((c) => c.name === 'hook')?.failing ?? 0) > 0, 30_000);
    expect(failing.find((c) => c.name === 'hook')?.lastError).toMatch(/ECONNREFUSED/);
    const text = (await dts('channels')).out;
    expect(text).toMatch(/hook\s+webhook\s+127\.0\.0\.1:\d+\/…/);
    expect(text).toMatch(/failing: connection failed: ECONNREFUSED/);
    await r.webhook.up();
    const hooked = await eventually(async () => about(r.webhook, down), (xs) => xs.length > 0, 30_000);
    expect(hooked[0]?.problems).toEqual([]);
    expect(hooked[0]?.headers['x-dts-delivery']).toMatch(new RegExp(`^${HOST}\\|host-down\\|`));
    expect(hooked[0]?.body).toMatchObject({ kind: 'host-down', action: 'open', incident: trigger.dedup_key, labels: { role: 'db' } });

    for (const kind of Object.keys(r) as ServiceKind[]) {
      expect(r[kind].received.filter((q) => q.problems.length > 0).map((q) => q.problems), kind).toEqual([]);
    }
  }, 90_000);

  it('the recovery resolves what the down opened, on every channel', async () => {
    beat(true);
    const trigger = about(r.pagerduty, /is down/)[0]?.body as { dedup_key: string };
    // Chat and the webhook say "recovered"; PagerDuty and Opsgenie resolve and close by the key.
    const resolved: Record<ServiceKind, () => Received[]> = {
      slack: () => about(r.slack, /recovered/), discord: () => about(r.discord, /recovered/),
      teams: () => about(r.teams, /recovered/), webhook: () => about(r.webhook, /recovered/),
      pagerduty: () => r.pagerduty.received.filter((q) => (q.body as { event_action?: string }).event_action === 'resolve' && (q.body as { dedup_key?: string }).dedup_key === trigger.dedup_key),
      opsgenie: () => r.opsgenie.received.filter((q) => q.path === `/v2/alerts/${encodeURIComponent(trigger.dedup_key)}/close?identifierType=alias`),
    };
    for (const kind of Object.keys(r) as ServiceKind[]) {
      const got = await eventually(async () => resolved[kind]().filter((q) => q.status < 300), (xs) => xs.length > 0, 60_000);
      expect(got.length, `${kind} got the recovery`).toBeGreaterThan(0);
    }
    expect(about(r.webhook, /recovered/)[0]?.body).toMatchObject({ action: 'close', incident: trigger.dedup_key });
    // The webhook's redeliveries skipped the channels already reached: with its receiver down
    // for several rounds, the others still hold one down each (not one per round).
    const rounds = about(r.webhook, /is down/).length;
    expect(rounds).toBeGreaterThanOrEqual(1);
    for (const kind of ['teams', 'pagerduty', 'opsgenie'] as const) {
      expect(about(r[kind], /is down/).filter((q) => q.status < 300).length, kind).toBeLessThanOrEqual(2);
    }
  }, 90_000);

  it('a storm: one grouped alert, a grouped recovery, and "storm over" closing its incident', async () => {
    rack(RACK);
    await eventually(async () => about(r.slack, /is up/).length + r.slack.received.filter((q) => RACK.every((h) => q.raw.includes(h))).length, (n) => n > 0, 60_000);
    await new Promise((done) => setTimeout(done, 2_000));
    rack([]);
    const storm = await eventually(async () => r.opsgenie.received.filter((q) => q.path === '/v2/alerts' && /went down together/.test(q.raw)), (xs) => xs.length > 0, 60_000);
    const alias = (storm[0]?.body as { alias: string }).alias;
    expect(alias).toMatch(/^@fleet\/storm\//);
    expect(r.slack.received.filter((q) => RACK.some((h) => q.raw.includes(h)) && /is down/.test(q.raw))).toEqual([]);
    rack(RACK.slice(0, 2));
    const progress = await eventually(async () => r.slack.received.filter((q) => /recovered; 1 still down/.test(q.raw)), (xs) => xs.length > 0, 60_000);
    expect(progress[0]?.raw).toContain(RACK[2]);
    rack(RACK);
    await eventually(async () => r.slack.received.filter((q) => /storm over/.test(q.raw)), (xs) => xs.length > 0, 60_000);
    const close = await eventually(async () => r.opsgenie.received.filter((q) => q.path === `/v2/alerts/${encodeURIComponent(alias)}/close?identifierType=alias`), (xs) => xs.length > 0, 30_000);
    expect(close[0]?.problems).toEqual([]);
    expect(r.slack.received.filter((q) => RACK.some((h) => q.raw.includes(h)) && /recovered after/.test(q.raw))).toEqual([]);
  }, 240_000);

  it('dts channels test sends a real alert and its resolve, and reports the HTTP result', async () => {
    const before = r.pagerduty.received.length;
    const run = await dts('channels', 'test', 'pd');
    expect(run.code).toBe(0);
    expect(run.out).toMatch(/pd \(pagerduty\) test alert: ok, HTTP 202 after 1 attempt/);
    expect(run.out).toMatch(/test resolve: ok, HTTP 202/);
    const sent = r.pagerduty.received.slice(before).map((q) => (q.body as { event_action: string }).event_action);
    expect(sent).toEqual(['trigger', 'resolve']);
    r.slack.queue({ when: /dts-test is down/, status: 404, body: 'no_service' });
    const failed = await dts('channels', 'test', 'chat');
    expect(failed.code).toBe(1);
    expect(failed.out).toMatch(/FAILED, HTTP 404 after 1 attempt\(s\): HTTP 404: no_service/);
  });

  it('no secret is in the table, the CLI\'s output or the cloud\'s logs', async () => {
    await dts('channels', 'list');
    await dts('channels', 'list', '--json');
    const table = await t.ddb.send(new ScanCommand({ TableName: 'dts-local-channels' }));
    const places = { table: JSON.stringify(table.Items), cli: cliOutput.join('\n'), logs: cloud.output() };
    expect(table.Items?.length).toBeGreaterThan(6);
    expect(places.logs).toMatch(/\[notify\]|notify/);
    for (const [where, text] of Object.entries(places)) {
      for (const secret of SECRETS) expect(text.includes(secret), `a secret is in the ${where}`).toBe(false);
    }
  });

  it('removes a channel and its secret', async () => {
    expect((await dts('channels', 'remove', 'disc')).code).toBe(0);
    expect((await dts('channels', 'remove', 'disc')).code).toBe(3);
    expect((await dts('channels', 'test', 'disc')).code).toBe(3);
  });
});
