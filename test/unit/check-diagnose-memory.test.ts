import { describe, expect, it } from 'vitest';
import { runDiagnose, type DiagnoseDeps } from '../../lib/app/diagnose/pass';
import { watchChecks } from '../../lib/app/diagnose/checks';
import { runScheduledDiagnose } from '../../lib/app/diagnose/scheduled';
import { addCheck, noteNewCheck, type CheckSpec } from '../../lib/app/checks/manage';
import { pingKeyHash } from '../../lib/domain/check/check';
import { keepFromDay } from '../../lib/domain/check/runs';
import { silentLog } from '../../lib/app/log';
import { loadConfig } from '../../lib/config';
import { MemoryChecks, MemoryHeartbeatQueue, MemoryStats } from '../../tools/memory';
import { memoryCheckDiagnose } from '../support/memory-diagnose';

/**
 * Checks judged by the diagnose pass on the in-memory adapters: the same outbox, notifications,
 * incidents and silences as hosts (docs/CHECKS.md, "Judgement").
 */
const config = loadConfig({});
const KEY = 'abcdefghijklmnopqrstuv';
const S = 1000;

async function world(spec: Omit<CheckSpec, 'name'>, start = Date.parse('2026-11-20T10:00:00Z')) {
  let clock = start;
  const { d, checks, alerts, notifications, silences } = memoryCheckDiagnose(() => clock);
  expect((await addCheck(checks, { name: 'job', ...spec, labels: { team: 'data' } }, clock, KEY)).ok).toBe(true);
  const signal = (kind: 'start' | 'success' | 'fail', exit?: number) => checks.recordSignal(pingKeyHash(KEY), { kind, at: clock, ...(exit === undefined ? {} : { exit }) }, keepFromDay(clock, 24));
  return {
    d, checks, alerts, notifications, silences, signal,
    advance(ms: number) { clock += ms; },
    get clock() { return clock; },
    pass: () => runDiagnose(d),
    kinds: () => alerts.published.map((n) => n.kind),
  };
}

describe('checks in the diagnose pass', () => {
  it('a check pinged once, then silent, gets exactly one check-late at its deadline, filed as check:<name> with its labels', async () => {
    const w = await world({ every: '10s', grace: '5s' });
    await w.signal('success');
    w.advance(14 * S);
    await w.pass();
    expect(w.kinds()).toEqual([]);
    w.advance(2 * S);
    const summary = await w.pass();
    expect(summary.transitions['check-late']).toBe(1);
    expect(w.alerts.published).toMatchObject([{ hostname: 'check:job', kind: 'check-late', severity: 'critical', labels: { team: 'data' } }]);
    w.advance(60 * S);
    await w.pass();
    expect(w.kinds()).toEqual(['check-late']);
  });

  it('a new check is not late before its first expected run plus grace', async () => {
    const w = await world({ every: '1h', grace: '30m' });
    w.advance(89 * 60 * S);
    await w.pass();
    expect(w.kinds()).toEqual([]);
    w.advance(2 * 60 * S);
    await w.pass();
    expect(w.kinds()).toEqual(['check-late']);
  });

  it('exit 3 gives check-failed with the exit status; a success then gives check-ok on the same incident', async () => {
    const w = await world({ every: '1h', grace: '5m' });
    await w.signal('start');
    w.advance(S);
    await w.signal('fail', 3);
    w.advance(S);
    await w.pass();
    const [failed] = w.alerts.published;
    expect(failed).toMatchObject({ kind: 'check-failed', details: { exitStatus: '3' } });
    await w.signal('start');
    w.advance(S);
    await w.signal('success', 0);
    w.advance(S);
    await w.pass();
    expect(w.kinds()).toEqual(['check-failed', 'check-ok']);
    expect(w.alerts.published[1]?.incident).toBe(failed?.incident);
  });

  it('a run past --max-run gives check-long before it ends', async () => {
    const w = await world({ every: '1h', grace: '5m', maxRun: '3s' });
    await w.signal('start');
    w.advance(2 * S);
    await w.pass();
    expect(w.kinds()).toEqual([]);
    w.advance(2 * S);
    await w.pass();
    expect(w.alerts.published).toMatchObject([{ kind: 'check-long', severity: 'warning' }]);
  });

  it('never judges a paused check', async () => {
    const w = await world({ every: '10s' });
    await w.checks.setPaused('job', true);
    w.advance(3600 * S);
    await w.pass();
    expect(w.kinds()).toEqual([]);
    expect((await w.checks.get('job'))?.state).toBe('new');
  });

  it('records but does not publish what a silence of the check, or of its label, covers', async () => {
    for (const target of [{ hostname: 'check:job' }, { label: 'team', value: 'data' }]) {
      const w = await world({ every: '10s' });
      await w.silences.create({ id: 's1', target, startsAt: w.clock, endsAt: w.clock + 3600 * S, reason: 'migration' });
      w.advance(11 * S);
      await w.pass();
      expect(w.kinds()).toEqual([]);
      const recorded = await w.notifications.byHost('check:job', 0, w.clock + 1);
      expect(recorded).toMatchObject([{ kind: 'check-late', suppressed: 'silence:s1' }]);
    }
  });
});

describe('the checks\' deadline watch', () => {
  it('announces a late check at its deadline, not at the next pass', async () => {
    const w = await world({ every: '1s' }, Date.now());
    const base = Date.now();
    w.advance(0);
    const clockNow = () => w.clock + (Date.now() - base);
    const d = { checks: w.checks, delivery: { ...w.d.delivery, now: clockNow }, log: silentLog };
    const summary = await watchChecks(d, [], [{ name: 'job', deadline: w.clock + S }], { until: w.clock + 5 * S, stop: async () => false, deadThrough: async () => clockNow(), pollMs: 50 });
    expect(summary.transitions).toEqual({ 'check-late': 1 });
    expect(summary.lateMs[0]).toBeLessThan(500);
    expect(w.kinds()).toEqual(['check-late']);
  });
});

describe('the checks\' deadline watch, when a check changes state at a listed deadline', () => {
  it('watches the deadline of its new state: a first success after the pass listed the check makes it late within the same watch', async () => {
    // The pass listed a new check at its creation plus period (the bench's 20 s outlier, BENCHMARKS part 17):
    // its first success came after the listing, so at that deadline it turns up (nothing to say),
    // and its real deadline, the success plus period plus grace, falls before the watch ends.
    const w = await world({ every: '1s' }, Date.now());
    const listed = [{ name: 'job', deadline: w.clock + S }];
    w.advance(300);
    await w.signal('success');
    const base = Date.now();
    const clockNow = () => w.clock + (Date.now() - base);
    const d = { checks: w.checks, delivery: { ...w.d.delivery, now: clockNow }, log: silentLog };
    const summary = await watchChecks(d, [], listed, { until: w.clock + 4 * S, stop: async () => false, deadThrough: async () => clockNow(), pollMs: 50 });
    expect(summary.transitions).toEqual({ 'check-late': 1 });
    expect(summary.lateMs[0]).toBeLessThan(500);
    expect(w.kinds()).toEqual(['check-late']);
    expect((await w.checks.get('job'))?.state).toBe('late');
  });
});

/** A check every second, just succeeded, on the world's clock running in real time; a 300 ms watch. */
async function boundaryWorld() {
  const w = await world({ every: '1s' }, Date.now());
  await w.signal('success');
  const base = Date.now();
  const clockNow = (): number => w.clock + (Date.now() - base);
  const d: DiagnoseDeps = { ...w.d, delivery: { ...w.d.delivery, now: clockNow }, queue: new MemoryHeartbeatQueue(clockNow), watchMs: 300 };
  return { w, clockNow, d };
}

describe('the scheduled diagnose, at the boundary between one watch and the next pass', () => {
  it('watches a check whose deadline falls after the watch\'s minute, until the next pass has recorded its run', async () => {
    // The next invocation's pass starts after its cold start and its watermark: a deadline just
    // after this watch's minute is this invocation's to announce (BENCHMARKS part 17, the 15 s outliers).
    const { w, clockNow, d } = await boundaryWorld();
    const run = { fanout: config.diagnose, workers: () => { throw new Error('one worker: none is invoked'); }, budgetEnd: clockNow() + 3 * S, publish: () => undefined };
    const out = await runScheduledDiagnose(d, run);
    expect(out.checkWatch?.transitions).toEqual({ 'check-late': 1 });
    expect(out.checkWatch?.lateMs[0]).toBeLessThan(500);
    expect(w.kinds()).toEqual(['check-late']);
  });

  it('stops watching as soon as the next pass has recorded its run', async () => {
    const { w, clockNow, d } = await boundaryWorld();
    // The next pass records its run half a second in: the check, due at 1 s, is that pass's to judge.
    setTimeout(() => void w.d.stats.recordRun(clockNow() + 60 * S, 0), 500);
    const out = await runScheduledDiagnose(d, { fanout: config.diagnose, workers: () => { throw new Error('none'); }, budgetEnd: clockNow() + 3 * S, publish: () => undefined });
    expect(out.checkWatch?.transitions).toEqual({});
    expect(w.kinds()).toEqual([]);
  });
});

describe('the checks\' deadline watch, with many checks due at once', () => {
  it('establishes the watermark once for checks due together, and announces each', async () => {
    const w = await world({ every: '1s' }, Date.now());
    for (const name of ['job-a', 'job-b', 'job-c']) await addCheck(w.checks, { name, every: '1s' }, w.clock, `${name}-key-0123456789abcdef`);
    const base = Date.now();
    const clockNow = () => w.clock + (Date.now() - base);
    const d = { checks: w.checks, delivery: { ...w.d.delivery, now: clockNow }, log: silentLog };
    let watermarks = 0;
    const due = ['job', 'job-a', 'job-b', 'job-c'].map((name) => ({ name, deadline: w.clock + S }));
    const summary = await watchChecks(d, [], due, { until: w.clock + 5 * S, stop: async () => false, deadThrough: async () => { watermarks++; return clockNow(); }, pollMs: 50 });
    expect(watermarks).toBe(1);
    expect(summary.transitions).toEqual({ 'check-late': 4 });
  });
});

describe('the checks\' deadline watch, when a watermark takes longer than the time between deadlines', () => {
  it('judges every deadline passed meanwhile with the next watermark, rather than falling further behind with each', async () => {
    const w = await world({ every: '1s' }, Date.now());
    const names = ['job-a', 'job-b', 'job-c', 'job-d', 'job-e'];
    // Made 400 ms apart, so due 400 ms apart.
    for (const [i, name] of names.entries()) await addCheck(w.checks, { name, every: '1s' }, w.clock + i * 400, `${name}-key-0123456789abcdef`);
    const base = Date.now();
    const clockNow = () => w.clock + (Date.now() - base);
    const d = { checks: w.checks, delivery: { ...w.d.delivery, now: clockNow }, log: silentLog };
    // Due 400 ms apart, each in a batch of its own; each watermark (a canary's round trip) takes 1 s.
    const due = names.map((name, i) => ({ name, deadline: w.clock + S + i * 400 }));
    let watermarks = 0;
    const deadThrough = async () => {
      watermarks++;
      await new Promise((r) => setTimeout(r, 1000));
      return clockNow();
    };
    const summary = await watchChecks(d, [], due, { until: w.clock + 10 * S, stop: async () => false, deadThrough, pollMs: 50 });
    expect(summary.transitions).toEqual({ 'check-late': 5 });
    // Alone, the fifth would wait for five watermarks (3.4 s late); caught up, for three (1.8 s at most).
    expect(watermarks).toBe(3);
    expect(Math.max(...summary.lateMs)).toBeLessThan(2500);
  });
});

describe('the checks\' deadline watch, while ingest has not caught up', () => {
  it('looks again a second later at a late verdict held for the watermark, and announces it in the same watch', async () => {
    const w = await world({ every: '1s' }, Date.now());
    const base = Date.now();
    const clockNow = () => w.clock + (Date.now() - base);
    const d = { checks: w.checks, delivery: { ...w.d.delivery, now: clockNow }, log: silentLog };
    // The first watermark stops short of the deadline (a ping may be on the queue); the next ones reach it.
    let asked = 0;
    const deadThrough = async () => (++asked === 1 ? w.clock + S - 1 : clockNow());
    const summary = await watchChecks(d, [], [{ name: 'job', deadline: w.clock + S }], { until: w.clock + 5 * S, stop: async () => false, deadThrough, pollMs: 50 });
    expect(asked).toBe(2);
    expect(summary.transitions).toEqual({ 'check-late': 1 });
    expect(summary.lateMs[0]).toBeGreaterThanOrEqual(1000);
    expect(summary.lateMs[0]).toBeLessThan(2000);
    expect(w.kinds()).toEqual(['check-late']);
  });

  it('leaves a held verdict to the next pass when there is no watermark at all (ingest degraded)', async () => {
    const w = await world({ every: '1s' }, Date.now());
    const base = Date.now();
    const clockNow = () => w.clock + (Date.now() - base);
    const d = { checks: w.checks, delivery: { ...w.d.delivery, now: clockNow }, log: silentLog };
    let asked = 0;
    const summary = await watchChecks(d, [], [{ name: 'job', deadline: w.clock + S }], { until: w.clock + 3 * S, stop: async () => false, deadThrough: async () => { asked++; return 0; }, pollMs: 50 });
    expect(asked).toBe(1);
    expect(summary.transitions).toEqual({});
    expect(w.kinds()).toEqual([]);
  });
});

describe('a check added or resumed between passes', () => {
  const at = Date.parse('2026-11-20T10:00:00Z');
  const setup = async (spec: Omit<CheckSpec, 'name'>) => {
    const checks = new MemoryChecks();
    const stats = new MemoryStats();
    const runs: string[] = [];
    const added = await addCheck(checks, { name: 'job', ...spec }, at, KEY);
    if (!added.ok) throw new Error(added.problems.join('; '));
    const w = { monitor: stats, trigger: { runPass: async (reason: string) => { runs.push(reason); } }, withinMs: 60 * S, gapMs: 5 * S };
    return { stats, runs, w, check: added.check };
  };

  it('is noted for the checks\' running watch, which then needs no pass of its own', async () => {
    const { stats, runs, w, check } = await setup({ every: '10s', grace: '5s' });
    await stats.watching(at + 30 * S, false, 'checks');
    expect(await noteNewCheck(w, check, at)).toBe(true);
    expect((await stats.monitor()).checkArrivals).toEqual(['job']);
    expect(runs).toEqual([]);
  });

  it('starts a pass when no checks\' watch runs (a hosts\' watch does not list checks), one per gap', async () => {
    const { stats, runs, w, check } = await setup({ every: '10s', grace: '5s' });
    await stats.watching(at + 30 * S);
    expect(await noteNewCheck(w, check, at)).toBe(true);
    expect(await noteNewCheck(w, check, at + S)).toBe(true);
    expect(runs).toEqual(['new check job']);
  });

  it('says why no pass was started when none could be: no trigger, or a trigger refused; the check is noted all the same', async () => {
    const { stats, check } = await setup({ every: '10s', grace: '5s' });
    const said: string[] = [];
    const noPass = (why: string): void => { said.push(why); };
    expect(await noteNewCheck({ monitor: stats, withinMs: 60 * S, gapMs: 5 * S, noPass }, check, at)).toBe(true);
    const refused = { runPass: async () => { throw new Error('not authorized to perform: lambda:InvokeFunction'); } };
    expect(await noteNewCheck({ monitor: stats, trigger: refused, withinMs: 60 * S, gapMs: 5 * S, noPass }, check, at)).toBe(true);
    expect(said).toEqual(['the diagnose function is not known', 'not authorized to perform: lambda:InvokeFunction']);
    expect((await stats.monitor()).checkArrivals).toEqual(['job']);
  });

  it('is left to the scheduled passes when its first deadline is further than the watch reaches, or it is paused', async () => {
    const { stats, runs, w, check } = await setup({ every: '1h' });
    expect(await noteNewCheck(w, check, at)).toBe(false);
    expect(await noteNewCheck(w, { ...check, schedule: { everyMs: 10 * S }, paused: true }, at)).toBe(false);
    expect((await stats.monitor()).checkArrivals).toEqual([]);
    expect(runs).toEqual([]);
  });

  it('is listed by a running watch at its deadline and judged late then, though no pass listed it', async () => {
    const w = await world({ every: '10s', grace: '5s' });
    const stats = w.d.stats;
    // A deadline listed by the pass keeps the watch running (a check removed since: nothing to judge).
    const watch = watchChecks(w.d as Parameters<typeof watchChecks>[0], [], [{ name: 'removed', deadline: w.clock + 25 * S }], {
      until: w.clock + 30 * S, stop: async () => false, deadThrough: async () => w.clock, pollMs: 20,
      arrivals: { noted: async () => (await stats.monitor()).checkArrivals, forget: (names) => stats.forgetArrivals(names, 'checks'), watching: (u, ended) => stats.watching(u, ended, 'checks') },
    });
    await new Promise((r) => setTimeout(r, 50));
    expect((await stats.monitor()).checksWatchingUntil).toBe(w.clock + 30 * S);
    const check = await w.checks.get('job');
    if (!check) throw new Error('no check');
    expect(await noteNewCheck({ monitor: stats, withinMs: 60 * S, gapMs: 5 * S }, check, w.clock)).toBe(true);
    for (let i = 0; i < 40 && w.kinds().length === 0; i++) {
      w.advance(S);
      await new Promise((r) => setTimeout(r, 30));
    }
    w.advance(30 * S);
    const summary = await watch;
    expect(summary.transitions['check-late']).toBe(1);
    expect(summary.lateMs[0]).toBeLessThanOrEqual(S);
    expect(w.kinds()).toEqual(['check-late']);
    expect((await stats.monitor()).checkArrivals).toEqual([]);
  });
});
