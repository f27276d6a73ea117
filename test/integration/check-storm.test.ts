import type { Context, ScheduledEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CheckWatchSummary } from '../../lib/app/diagnose/checks';
import type { DiagnoseSummary } from '../../lib/app/diagnose/pass';
import { addCheck } from '../../lib/app/checks/manage';
import { buildApi } from '../../lib/api/app';
import { apiDeps, checkStore, fixedNames, notificationStore, type Root } from '../../lib/compose';
import { loadConfig } from '../../lib/config';
import { startTestCloud, type TestCloud } from '../../tools/harness/cloud';
import { lambdaContext, scheduledEvent } from '../support/events';
import { drain } from '../support/then';

/**
 * Checks take part in storms (docs/CHECKS.md, "Storms"), through the scheduled diagnose function
 * on the engines: 10 checks labelled rack=a due at the same moment go late in its deadline
 * watch; one `fleet-storm` naming checks reaches the alerts topic and no `check-late` of theirs;
 * a check of another label late at the same time gets its own; 10 paused checks with rack=a are
 * neither members nor counted in the share; the checks' returns, pinged over HTTP, are the storm's
 * progress and end, not ten `check-ok`s.
 */
let cloud: TestCloud;
let root: Root;
let diagnose: (event: ScheduledEvent, context: Context) => Promise<DiagnoseSummary & { checkWatch?: CheckWatchSummary }>;

beforeAll(async () => {
  cloud = await startTestCloud();
  Object.assign(process.env, cloud.env, { DTS_WATCH_SECONDS: '8', DTS_LAG_WAIT_SECONDS: '1', DTS_GROUP_WAIT_SECONDS: '0' });
  ({ handler: diagnose } = await import('../../functions/diagnose'));
  root = { config: loadConfig(cloud.env), clients: cloud.clients, names: fixedNames(cloud.names) };
});
afterAll(async () => cloud?.stop());

interface Sent { kind: string; hostname: string; id: string; message: string }
/** What reached a subscriber of the alerts topic since the last look. */
async function published(): Promise<Sent[]> {
  return (await drain(cloud, cloud.names.alertsQueueUrl)).map((m) => {
    const body = JSON.parse(m.Body ?? '{}') as { Message: string; MessageAttributes: Record<string, { Value: string }> };
    const a = body.MessageAttributes;
    return { kind: a.kind?.Value ?? '', hostname: a.hostname?.Value ?? '', id: a.id?.Value ?? '', message: body.Message.split('\n')[0] ?? '' };
  });
}

const HOUR = 3_600_000;
const names = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}-${String(i).padStart(2, '0')}`);

describe('a storm of checks through the scheduled diagnose', () => {
  it('10 checks with rack=a late together: one storm notice, no check-late of theirs; a lone late is paged; their returns are the storm\'s progress and end', async () => {
    const checks = checkStore(root);
    const api = buildApi(apiDeps(root));
    const keys = new Map<string, string>();
    // Hourly checks created an hour ago less 3 s: their first deadline is 3 s away, within the watch.
    const dueSoon = Date.now() - HOUR + 3000;
    const add = async (name: string, rack: string, createdAt: number) => {
      const added = await addCheck(checks, { name, every: '1h', labels: { rack } }, createdAt);
      if (!added.ok) throw new Error(added.problems.join('; '));
      keys.set(name, added.key);
    };
    const rack = names('a', 10);
    for (const name of rack) await add(name, 'a', dueSoon);
    // Paused, they would be late too; counted, they would make rack=a's share 10 of 20, no storm.
    for (const name of names('a-paused', 10)) {
      await add(name, 'a', dueSoon);
      await checks.setPaused(name, true);
    }
    await add('lone', 'c', dueSoon);
    for (const name of names('b', 20)) await add(name, 'b', Date.now());
    const ping = async (name: string) => expect((await api.request(`/ping/${keys.get(name) as string}`)).status).toBe(200);
    await published();

    const first = await diagnose(scheduledEvent(), lambdaContext('diagnose', 75_000));
    expect(first.checkWatch?.transitions).toEqual({ 'check-late': 11 });
    const sent = await published();
    expect(sent.map((s) => `${s.kind} ${s.hostname}`).sort()).toEqual(['check-late check:lone', 'fleet-storm @fleet']);
    const storm = sent.find((s) => s.kind === 'fleet-storm') as Sent;
    expect(storm.message).toMatch(/^10 of 10 checks with rack=a went late together; likely shared cause: rack=a$/);
    const notifications = notificationStore(root);
    const [recorded] = await notifications.byHost('@fleet', 0, Date.now() + 1000);
    expect(recorded).toMatchObject({ id: storm.id, details: { scope: 'checks:rack=a', hosts: rack.join(' ') } });
    for (const name of rack) {
      expect(await notifications.byHost(`check:${name}`, 0, Date.now() + 1000)).toMatchObject([{ kind: 'check-late', suppressed: 'storm:checks:rack=a' }]);
      expect((await checks.get(name))?.stormIncident).toBe(recorded?.incident);
    }
    for (const name of names('a-paused', 10)) expect((await checks.get(name))?.state).toBe('new');

    // Six back, over HTTP: the next invocation announces the storm's progress, not six check-oks.
    for (const name of rack.slice(0, 6)) await ping(name);
    await ping('lone');
    const second = await diagnose(scheduledEvent(), lambdaContext('diagnose', 75_000));
    expect(second.transitions['check-ok']).toBe(7);
    expect((await published()).map((s) => `${s.kind} ${s.message}`).sort()).toEqual([
      expect.stringMatching(/^check-ok check lone is ok again/),
      `fleet-storm-recovering 6 of 10 checks with rack=a are no longer late; 4 still late: ${rack.slice(6).join(', ')}`,
    ]);

    for (const name of rack.slice(6)) await ping(name);
    await diagnose(scheduledEvent(), lambdaContext('diagnose', 75_000));
    const over = await published();
    expect(over.map((s) => s.kind)).toEqual(['fleet-storm-over']);
    expect(over[0]?.message).toMatch(/^storm over: all 10 checks with rack=a are no longer late/);
    const [last] = await notifications.byHost('@fleet', 0, Date.now() + 1000);
    expect(last).toMatchObject({ kind: 'fleet-storm-over', incident: recorded?.incident });
    for (const name of rack) expect((await checks.get(name))?.stormIncident).toBeUndefined();
  }, 60_000);
});
