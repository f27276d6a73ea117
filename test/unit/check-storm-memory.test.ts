import { describe, expect, it } from 'vitest';
import { runDiagnose, type DiagnoseDeps } from '../../lib/app/diagnose/pass';
import { judgeChecks, watchChecks } from '../../lib/app/diagnose/checks';
import { commitSegment, judgeSegment, type DiagnoseWorkers } from '../../lib/app/diagnose/fanout';
import { runScheduledDiagnose } from '../../lib/app/diagnose/scheduled';
import { addCheck } from '../../lib/app/checks/manage';
import { pingKeyHash } from '../../lib/domain/check/check';
import { keepFromDay } from '../../lib/domain/check/runs';
import { checksScope, stormGroup } from '../../lib/domain/fleet/storm';
import { checkRecoverySuppression } from '../../lib/domain/fleet/storm-membership';
import { stormNotice, stormProgress } from '../../lib/domain/fleet/notices';
import { nextStep } from '../../lib/domain/notification/text';
import { silentLog } from '../../lib/app/log';
import { loadConfig } from '../../lib/config';
import { Outbox } from '../../lib/app/outbox';
import { memoryCheckDiagnose } from '../support/memory-diagnose';

/**
 * Checks take part in storms as hosts do (docs/CHECKS.md, "Storms"), on the in-memory adapters:
 * many checks late at once (the machine that runs their crontab is down) are one `fleet-storm`
 * naming checks, their `check-late`s held back under it; their returns are the storm's progress.
 */
const config = loadConfig({});
const S = 1000;
const T0 = Date.parse('2026-11-20T10:00:00Z');
const keyOf = (name: string) => `${name}-key-0123456789abcdefgh`.slice(0, 40);

async function world(o: { fleetHistory?: boolean } = {}) {
  let clock = T0;
  const made = memoryCheckDiagnose(() => clock);
  const { checks, alerts, notifications, silences } = made;
  const d: DiagnoseDeps = {
    ...made.d,
    ...(o.fleetHistory === false ? {} : { fleetHistory: (at: number) => notifications.byHost('@fleet', at - 86_400_000, at + 1) }),
  };
  const w = {
    d, checks, alerts, notifications, silences,
    get clock() { return clock; },
    advance(ms: number) { clock += ms; },
    /** Checks named `<prefix>-00` …, labelled `rack=<rack>`, every `every`, each just succeeded. */
    async add(prefix: string, n: number, rack: string, every = '10s'): Promise<string[]> {
      const names = Array.from({ length: n }, (_, i) => `${prefix}-${String(i).padStart(2, '0')}`);
      for (const name of names) {
        expect((await addCheck(checks, { name, every, labels: { rack } }, clock, keyOf(name))).ok).toBe(true);
        await w.ping(name);
      }
      return names;
    },
    ping: (name: string, kind: 'success' | 'fail' = 'success') => checks.recordSignal(pingKeyHash(keyOf(name)), { kind, at: clock, ...(kind === 'fail' ? { exit: 1 } : {}) }, keepFromDay(clock, 24)),
    pass: () => runDiagnose(d),
    published: () => alerts.published.map((n) => ({ kind: n.kind, hostname: n.hostname, message: n.message })),
    /** What was recorded about a check, oldest first. */
    recorded: async (name: string) => (await w.notifications.byHost(`check:${name}`, 0, clock + 86_400_000)).sort((a, b) => a.at - b.at),
  };
  return w;
}

describe('a storm of checks', () => {
  it('10 checks labelled rack=a late in one pass: one storm notice naming checks, no check-late published; their returns are its progress, then its end', async () => {
    const w = await world();
    const rack = await w.add('a', 10, 'a');
    await w.add('b', 10, 'b', '1h');
    w.advance(11 * S);
    const summary = await w.pass();
    expect(summary.transitions['check-late']).toBe(10);
    expect(w.published()).toEqual([{ kind: 'fleet-storm', hostname: '@fleet', message: expect.stringMatching(/^10 of 10 checks with rack=a went late together; likely shared cause: rack=a/) as unknown as string }]);
    const [storm] = w.alerts.published;
    expect(storm?.labels).toEqual({ rack: 'a' });
    expect(storm?.details).toMatchObject({ scope: 'checks:rack=a', count: '10', total: '10', hosts: rack.join(' ') });
    for (const name of rack) {
      expect(await w.recorded(name)).toMatchObject([{ kind: 'check-late', suppressed: 'storm:checks:rack=a' }]);
      expect((await w.checks.get(name))?.stormIncident).toBe(storm?.incident);
    }

    // Six come back: their check-ok is the storm's progress, not six messages.
    for (const name of rack.slice(0, 6)) await w.ping(name);
    w.advance(S);
    expect((await w.pass()).transitions['check-ok']).toBe(6);
    expect(w.published().slice(1)).toEqual([{ kind: 'fleet-storm-recovering', hostname: '@fleet', message: `6 of 10 checks with rack=a are no longer late; 4 still late: ${rack.slice(6).join(', ')}` }]);
    expect(await w.recorded('a-00')).toMatchObject([{ kind: 'check-late' }, { kind: 'check-ok', suppressed: 'storm:checks:rack=a' }]);
    expect((await w.checks.get('a-00'))?.stormIncident).toBeUndefined();
    // A pass that sees no one more back says nothing.
    w.advance(S);
    await w.pass();
    expect(w.published()).toHaveLength(2);

    for (const name of rack.slice(6)) await w.ping(name);
    w.advance(S);
    await w.pass();
    const over = w.alerts.published[2];
    expect(over).toMatchObject({ kind: 'fleet-storm-over', incident: storm?.incident });
    expect(over?.message).toMatch(/^storm over: all 10 checks with rack=a are no longer late \(or paused or gone\) after /);
    expect(w.published().filter((n) => n.kind.startsWith('check-'))).toEqual([]);
  });

  it('a single late check, below the threshold, gets its own check-late, and its own check-ok', async () => {
    const w = await world();
    await w.add('a', 1, 'a');
    await w.add('b', 2, 'b', '1h');
    w.advance(11 * S);
    await w.pass();
    expect(w.published().map((n) => n.kind)).toEqual(['check-late']);
    expect((await w.checks.get('a-00'))?.stormIncident).toBeUndefined();
    await w.ping('a-00');
    w.advance(S);
    await w.pass();
    expect(w.published().map((n) => n.kind)).toEqual(['check-late', 'check-ok']);
  });

  it('takes the share of the unpaused checks only, and a paused check is never a member', async () => {
    // 3 of the 6 checks with rack=p go late while the other 3 are paused: 3 of 3 watched.
    const w = await world();
    const rack = await w.add('p', 6, 'p');
    await w.add('b', 10, 'b', '1h');
    for (const name of rack.slice(3)) await w.checks.setPaused(name, true);
    w.advance(11 * S);
    await w.pass();
    expect(w.published()).toEqual([{ kind: 'fleet-storm', hostname: '@fleet', message: expect.stringMatching(/^3 of 3 checks with rack=p went late together/) as unknown as string }]);
    expect(w.alerts.published[0]?.details.hosts).toBe('p-00 p-01 p-02');
    for (const name of rack.slice(3)) {
      expect(await w.recorded(name)).toEqual([]);
      expect((await w.checks.get(name))?.state).toBe('new');
    }
  });

  it('counts no silenced late towards a storm, as for hosts', async () => {
    const w = await world();
    const rack = await w.add('s', 4, 's');
    await w.add('b', 10, 'b', '1h');
    for (const name of rack.slice(0, 2)) {
      await w.silences.create({ id: `quiet-${name}`, target: { hostname: `check:${name}` }, startsAt: w.clock, endsAt: w.clock + 3600 * S, reason: 'migration' });
    }
    w.advance(11 * S);
    await w.pass();
    // 2 loud lates of 4 are below the 3 a storm needs: each is its own page.
    expect(w.published().map((n) => `${n.kind} ${n.hostname}`)).toEqual(['check-late check:s-02', 'check-late check:s-03']);
    expect(await w.recorded('s-00')).toMatchObject([{ kind: 'check-late', suppressed: 'silence:quiet-s-00' }]);
  });

  it('lates of a later pass join the storm in one follow-up; a held late that fails is paged on its own, and is no longer late in the storm\'s count', async () => {
    const w = await world();
    const first = await w.add('a', 4, 'a');
    w.advance(2 * S);
    const later = await w.add('a-late', 2, 'a');
    await w.add('b', 10, 'b', '1h');
    w.advance(9 * S);
    await w.pass();
    expect(w.published().map((n) => n.message)).toEqual([expect.stringMatching(/^4 of 6 checks with rack=a went late together/)]);
    w.advance(2 * S);
    await w.pass();
    expect(w.published().map((n) => n.message).slice(1)).toEqual([expect.stringMatching(/^2 more checks with rack=a went late in the storm since .*: a-late-00, a-late-01 \(6 of 6 named\)/)]);
    expect((await w.checks.get('a-late-00'))?.stormIncident).toBe(w.alerts.published[0]?.incident);

    await w.ping(first[0] as string, 'fail');
    w.advance(S);
    await w.pass();
    expect(w.published().slice(2).map((n) => `${n.kind} ${n.message.split(';')[0]}`)).toEqual([
      'check-failed check a-00 failed with exit status 1',
      'fleet-storm-recovering 1 of 6 checks with rack=a are no longer late',
    ]);
    // Its recovery then closes the incident its failure opened.
    await w.ping(first[0] as string);
    w.advance(S);
    await w.pass();
    expect(w.published().slice(4).map((n) => n.kind)).toEqual(['check-ok']);
    expect(later).toHaveLength(2);
  });

  it('without the storms\' history (no progress to announce), a held check\'s check-ok is announced alone', async () => {
    const w = await world({ fleetHistory: false });
    const rack = await w.add('a', 3, 'a');
    await w.add('b', 3, 'b', '1h');
    w.advance(11 * S);
    await w.pass();
    expect(w.published().map((n) => n.kind)).toEqual(['fleet-storm']);
    await w.ping(rack[0] as string);
    w.advance(S);
    await w.pass();
    expect(w.published().map((n) => n.kind)).toEqual(['fleet-storm', 'check-ok']);
  });

  it('more than half of all checks late together is a storm of scope `checks`', async () => {
    const w = await world();
    await w.add('x', 3, 'x');
    await w.add('y', 1, 'y', '1h');
    w.advance(11 * S);
    await w.pass();
    const [storm] = w.alerts.published;
    expect(storm?.message).toMatch(/^3 of 4 checks went late together; likely shared cause: rack=x/);
    expect(storm?.details.scope).toBe('checks');
    expect(storm?.incident).toMatch(/^@fleet\/storm\/checks\//);
    expect(storm?.labels).toEqual({});
  });
});

describe('hosts and checks storm apart', () => {
  it('a rack of hosts dead is a storm of hosts though checks with the same label are on time, and their lates a storm of checks', async () => {
    const w = await world();
    await w.add('a', 10, 'a', '2m');
    const hosts = w.d.hosts;
    for (const hostname of ['h1', 'h2', 'h3']) {
      await hosts.recordBeat({ hostname, receivedAt: w.clock, sentAt: w.clock, interval: 10, labels: { rack: 'a' }, goodbye: false }, false);
    }
    for (const hostname of ['o1', 'o2', 'o3']) {
      await hosts.recordBeat({ hostname, receivedAt: w.clock, sentAt: w.clock, interval: 3600, labels: { rack: 'b' }, goodbye: false }, false);
    }
    await w.pass();
    w.advance(31 * S);
    await w.pass();
    expect(w.published().filter((n) => n.hostname === '@fleet').map((n) => n.message)).toEqual([expect.stringMatching(/^3 of 3 hosts with rack=a went down together/)]);
    w.advance(100 * S);
    await w.pass();
    expect(w.published().filter((n) => n.hostname === '@fleet').map((n) => n.message).slice(1)).toEqual([expect.stringMatching(/^10 of 10 checks went late together; likely shared cause: rack=a/)]);
    expect(w.published().filter((n) => n.kind === 'host-down' || n.kind === 'check-late')).toEqual([]);
  });
});

describe('a storm of checks in a fanned-out pass', () => {
  it('is judged by the coordinator, and its progress is not taken for a storm of hosts with none left down', async () => {
    const w = await world();
    for (const hostname of ['h1', 'h2']) {
      await w.d.hosts.recordBeat({ hostname, receivedAt: w.clock, sentAt: w.clock, interval: 3600, labels: {}, goodbye: false }, false);
    }
    const rack = await w.add('a', 10, 'a');
    await w.add('b', 10, 'b', '1h');
    let fanned = 0;
    const run = () => ({
      fanout: { ...config.diagnose, workers: 2, hostsPerWorker: 1, workerFunction: 'in-process' },
      workers: (count: number): DiagnoseWorkers => {
        fanned = count;
        return { count, judge: (r) => judgeSegment(w.d, r), commit: (r) => commitSegment(w.d, r) };
      },
      budgetEnd: w.clock + 5 * S, publish: () => undefined,
    });
    w.advance(11 * S);
    await runScheduledDiagnose(w.d, run());
    expect(fanned).toBe(2);
    const fleet = () => w.published().filter((n) => n.hostname === '@fleet' || n.kind.startsWith('check-')).map((n) => n.message);
    expect(fleet()).toEqual([expect.stringMatching(/^10 of 10 checks with rack=a went late together/)]);
    for (const name of rack.slice(0, 6)) await w.ping(name);
    w.advance(S);
    fanned = 0;
    await runScheduledDiagnose(w.d, run());
    expect(fanned).toBe(2);
    expect(fleet().slice(1)).toEqual([expect.stringMatching(/^6 of 10 checks with rack=a are no longer late; 4 still late/)]);
  });
});

describe('lates found by the checks\' deadline watch', () => {
  it('join the pass\'s storm context, carried across batches: the first batch below the share is paged, the next makes a storm', async () => {
    // The watch runs on the real clock: checks due one and two seconds after the pass.
    const w = await world();
    const base = Date.now();
    w.advance(base - T0);
    const clockNow = () => w.clock + (Date.now() - base);
    await w.add('c', 2, 'c', '1s');
    await w.add('b', 10, 'b', '1h');
    w.advance(500);
    await w.add('c-next', 3, 'c', '1s');
    w.advance(-500);
    const d = { checks: w.checks, delivery: { ...w.d.delivery, now: clockNow }, log: silentLog };
    const outbox = new Outbox();
    const pass = await judgeChecks(d, clockNow(), clockNow(), [], outbox, clockNow() + 5 * S, { storms: [], progress: true });
    expect(pass.upcoming).toHaveLength(5);
    const summary = await watchChecks(d, [], pass.upcoming, { until: clockNow() + 4 * S, stop: async () => false, deadThrough: async () => clockNow(), pollMs: 50, storms: pass.context });
    expect(summary.transitions).toEqual({ 'check-late': 5 });
    // Two in the first batch: no storm (below 3). Three more half a second on: with the first two, 5 of 5 with rack=c.
    const sent = w.published();
    expect(sent.map((n) => n.kind)).toEqual(['check-late', 'check-late', 'fleet-storm']);
    expect(sent[2]?.message).toMatch(/^5 of 5 checks with rack=c went late together; likely shared cause: rack=c; already paged: c-00, c-01/);
    expect(await w.recorded('c-next-00')).toMatchObject([{ kind: 'check-late', suppressed: 'storm:checks:rack=c' }]);
  });
});

describe('the rules', () => {
  it('a storm of checks has its own scope, so that it never shares an incident with a storm of hosts', () => {
    expect(checksScope('fleet')).toBe('checks');
    expect(checksScope('rack=a')).toBe('checks:rack=a');
    expect(stormGroup('checks:rack=a')).toEqual({ members: 'checks', group: 'rack=a' });
    expect(stormGroup('rack=a')).toEqual({ members: 'hosts', group: 'rack=a' });
    const hosts = stormNotice({ scope: 'rack=a', total: 4, cause: 'rack=a', start: T0, underStorm: ['h1', 'h2', 'h3'], alreadyPaged: [] });
    const checks = stormNotice({ scope: 'checks:rack=a', total: 4, cause: 'rack=a', start: T0, underStorm: ['c1', 'c2', 'c3'], alreadyPaged: [] });
    expect(hosts.incident).not.toBe(checks.incident);
    expect(hosts.message).toMatch(/^3 of 4 hosts with rack=a went down together/);
    expect(checks.message).toMatch(/^3 of 4 checks with rack=a went late together/);
    expect(nextStep(hosts)).toMatch(/dts hosts --state dead$/);
    expect(nextStep(checks)).toMatch(/before the jobs: dts checks$/);
    const open = { scope: 'checks:rack=a', start: T0, incident: checks.incident as string, total: 4, count: 3, underStorm: 3, back: 0 };
    expect(stormProgress(open, ['c3'], T0 + 60 * S)?.message).toBe('2 of 3 checks with rack=a are no longer late; 1 still late: c3');
  });

  it('holds back only the check-ok of a check late under a storm', () => {
    const storm = '@fleet/storm/checks:rack=a/2026-11-20T10:00:10.000Z';
    expect(checkRecoverySuppression({ state: 'late', stormIncident: storm }, 'up')).toEqual({ reason: 'storm:checks:rack=a', incident: storm });
    expect(checkRecoverySuppression({ state: 'late', stormIncident: storm }, 'failed')).toBeUndefined();
    expect(checkRecoverySuppression({ state: 'late' }, 'up')).toBeUndefined();
  });
});
