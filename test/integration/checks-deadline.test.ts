import type { Context, ScheduledEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CheckWatchSummary } from '../../lib/app/diagnose/checks';
import type { DiagnoseSummary } from '../../lib/app/diagnose/pass';
import { buildApi } from '../../lib/api/app';
import { apiDeps, fixedNames, statsStore } from '../../lib/compose';
import { loadConfig } from '../../lib/config';
import { startTestCloud, type TestCloud } from '../../tools/harness/cloud';
import { cliIn } from '../support/cli';
import { lambdaContext, scheduledEvent } from '../support/events';
import { drain, expectOneLateAtFirstDeadline } from '../support/then';

/**
 * A check pinged once over HTTP at the URL `dts checks add` printed, then left silent, gets
 * exactly one check-late on the alerts topic, from the scheduled diagnose's deadline watch
 * within 5 s of its deadline (next expected plus grace), with kind, severity and id attributes.
 */
let cloud: TestCloud;
let diagnose: (event: ScheduledEvent, context: Context) => Promise<DiagnoseSummary & { checkWatch?: CheckWatchSummary }>;

beforeAll(async () => {
  cloud = await startTestCloud();
  Object.assign(process.env, cloud.env, { DTS_WATCH_SECONDS: '8', DTS_LAG_WAIT_SECONDS: '1', DTS_GROUP_WAIT_SECONDS: '0' });
  ({ handler: diagnose } = await import('../../functions/diagnose'));
});
afterAll(async () => cloud?.stop());

const cli = cliIn(() => cloud.env);

describe('a silent check at its deadline', () => {
  it('gives exactly one check-late, within 5 s of next expected plus grace', async () => {
    await drain(cloud, cloud.names.alertsQueueUrl);
    const added = JSON.parse((await cli('checks', 'add', 'tick', '--every', '3s', '--grace', '2s', '--url', 'https://api.example', '--json')).out) as { url: string };
    const api = buildApi(apiDeps({ config: loadConfig(cloud.env), clients: cloud.clients, names: fixedNames(cloud.names) }));
    const pingedAt = Date.now();
    const res = await api.request(new URL(added.url).pathname);
    expect(res.status).toBe(200);

    const result = await diagnose(scheduledEvent(), lambdaContext('diagnose', 75_000));
    expect(result.transitions['check-late'] ?? 0).toBe(0);
    expect(result.checkWatch?.transitions).toEqual({ 'check-late': 1 });
    for (const late of result.checkWatch?.lateMs ?? []) expect(late).toBeLessThan(5000);

    const published = (await drain(cloud, cloud.names.alertsQueueUrl)).map((m) => (JSON.parse(m.Body ?? '{}') as { MessageAttributes: Record<string, { Value: string }> }).MessageAttributes);
    const lates = published.filter((a) => a.kind?.Value === 'check-late');
    expect(lates).toHaveLength(1);
    expect(lates[0]).toMatchObject({ severity: { Value: 'critical' }, hostname: { Value: 'check:tick' }, id: { Value: expect.stringMatching(/^check:tick\|check-late\|\d+$/) } });
    // Its time is the deadline: the ping's receive time plus 3 s plus 2 s grace.
    const at = Number(lates[0]?.id?.Value.split('|')[2]);
    expect(at - pingedAt).toBeGreaterThanOrEqual(5000);
    expect(at - pingedAt).toBeLessThan(5000 + 1000);
  });

  it('announces a check added after the pass, never pinged, within 5 s of its first deadline', async () => {
    await drain(cloud, cloud.names.alertsQueueUrl);
    const root = { config: loadConfig(cloud.env), clients: cloud.clients, names: fixedNames(cloud.names) };
    const api = buildApi(apiDeps(root));
    const stats = statsStore(root);
    // A check the pass lists, due after the new one: the checks' watch is running when it is added.
    const keeper = JSON.parse((await cli('checks', 'add', 'keeper', '--every', '12s', '--url', 'https://api.example', '--json')).out) as { url: string };
    expect((await api.request(new URL(keeper.url).pathname)).status).toBe(200);
    const before = (await stats.monitor()).lastRun ?? 0;

    const running = diagnose(scheduledEvent(), lambdaContext('diagnose', 75_000));
    while (((await stats.monitor()).lastRun ?? 0) <= before) await new Promise((r) => setTimeout(r, 50));
    const addedAt = Date.now();
    await cli('checks', 'add', 'fresh', '--every', '3s', '--grace', '2s', '--json');
    const result = await running;

    expect(result.transitions['check-late'] ?? 0).toBe(0);
    expect(result.checkWatch?.transitions['check-late']).toBe(2);
    // Late at its creation plus 3 s plus 2 s grace, never pinged.
    await expectOneLateAtFirstDeadline(cloud, 'fresh', addedAt, 5000, result.checkWatch?.lateMs ?? []);
  });
});
