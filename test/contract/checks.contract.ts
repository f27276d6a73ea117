import { describe, expect, it } from 'vitest';
import type { Check, RunDay } from '../../lib/domain/check/check';
import { durationBucket, summarizeRuns } from '../../lib/domain/check/runs';
import type { ChecksPort } from '../../lib/ports';
import { notice, T0 } from './fixtures';

const check = (name: string, more: Partial<Check> = {}): Check => ({
  name, keyHash: `hash-of-${name}`, schedule: { everyMs: 600_000 }, graceMs: 60_000, labels: { team: 'data' },
  createdAt: T0, paused: false, state: 'new', stateSince: T0, pings: 0, ...more,
});

/** The first UTC day a signal keeps runs of: the day before T0's. */
const KEEP = '2026-11-19';
const DAY = 86_400_000;

/** What every adapter of ChecksPort does, as the checks table does it. */
export function checksContract(make: () => Promise<ChecksPort>): void {
  describe('ChecksPort', () => {
    it('adds a check once by name, and finds it by name and in the list, in name order', async () => {
      const s = await make();
      expect(await s.add(check('b', { schedule: { cron: '0 2 * * *', tz: 'Europe/Berlin' }, maxRunMs: 3_600_000 }))).toBe(true);
      expect(await s.add(check('a'))).toBe(true);
      expect(await s.add(check('a', { keyHash: 'another' }))).toBe(false);
      expect(await s.get('b')).toEqual(check('b', { schedule: { cron: '0 2 * * *', tz: 'Europe/Berlin' }, maxRunMs: 3_600_000 }));
      expect(await s.get('nope')).toBeUndefined();
      expect((await s.list()).map((c) => c.name)).toEqual(['a', 'b']);
    });

    it('records signals by the key\'s hash in one write, and refuses an unknown key', async () => {
      const s = await make();
      await s.add(check('job'));
      expect(await s.recordSignal('hash-of-nothing', { kind: 'success', at: T0 }, KEEP)).toBeUndefined();
      expect(await s.recordSignal('hash-of-job', { kind: 'start', at: T0 + 1000 }, KEEP)).toMatchObject({ name: 'job', lastStart: T0 + 1000, lastPing: T0 + 1000, lastSignal: 'start', pings: 1 });
      const failed = await s.recordSignal('hash-of-job', { kind: 'fail', at: T0 + 5000, exit: 3 }, KEEP);
      expect(failed).toMatchObject({ lastEnd: T0 + 5000, lastOk: false, lastExit: 3, lastSignal: 'fail', pings: 2 });
      expect(failed?.lastSuccess).toBeUndefined();
      const ok = await s.recordSignal('hash-of-job', { kind: 'success', at: T0 + 9000 }, KEEP);
      expect(ok).toMatchObject({ lastEnd: T0 + 9000, lastOk: true, lastSuccess: T0 + 9000, lastStart: T0 + 1000, pings: 3 });
      expect(ok?.lastExit).toBeUndefined();
      expect(await s.get('job')).toEqual(ok);
    });

    it('counts each run\'s end in its UTC day, with the duration of a run whose start it saw, and drops the days before keepFrom', async () => {
      const s = await make();
      await s.add(check('job'));
      await s.recordSignal('hash-of-job', { kind: 'start', at: T0 }, KEEP);
      const first = await s.recordSignal('hash-of-job', { kind: 'success', at: T0 + 90_000 }, KEEP);
      expect(first?.runDays).toEqual({ '2026-11-20': { runs: 1, failures: 0, durations: { [durationBucket(90_000)]: 1 } } });
      // A failure after its start; a success with no start (a plain curl): counted, with no duration.
      await s.recordSignal('hash-of-job', { kind: 'start', at: T0 + 3_600_000 }, KEEP);
      await s.recordSignal('hash-of-job', { kind: 'fail', at: T0 + 3_600_000 + 90_500, exit: 2 }, KEEP);
      await s.recordSignal('hash-of-job', { kind: 'success', at: T0 + 7_200_000 }, KEEP);
      const day = (await s.get('job'))?.runDays?.['2026-11-20'];
      expect(day).toEqual({ runs: 3, failures: 1, durations: { [durationBucket(90_000)]: 2 } });
      expect(summarizeRuns([day as RunDay])).toMatchObject({ runs: 3, failures: 1, timed: 2 });
      // Two days on, the end keeps the days from its keepFrom: the first day is dropped in the same write.
      await s.recordSignal('hash-of-job', { kind: 'start', at: T0 + 2 * DAY }, '2026-11-21');
      const later = await s.recordSignal('hash-of-job', { kind: 'success', at: T0 + 2 * DAY + 1500 }, '2026-11-21');
      expect(later?.runDays).toEqual({ '2026-11-22': { runs: 1, failures: 0, durations: { [durationBucket(1500)]: 1 } } });
      expect((await s.get('job'))?.runDays).toEqual(later?.runDays);
      expect(later?.pings).toBe(7);
    });

    it('records an end signal redelivered with its first receive time once: one run, one ping', async () => {
      const s = await make();
      await s.add(check('job'));
      await s.recordSignal('hash-of-job', { kind: 'start', at: T0 }, KEEP);
      const first = await s.recordSignal('hash-of-job', { kind: 'fail', at: T0 + 5000, exit: 4 }, KEEP);
      expect(await s.recordSignal('hash-of-job', { kind: 'fail', at: T0 + 5000, exit: 4 }, KEEP)).toEqual(first);
      expect(await s.get('job')).toMatchObject({ pings: 2, runDays: { '2026-11-20': { runs: 1, failures: 1 } } });
      // Another status at the same instant is another signal.
      expect(await s.recordSignal('hash-of-job', { kind: 'fail', at: T0 + 5000, exit: 5 }, KEEP)).toMatchObject({ pings: 3, lastExit: 5 });
    });

    it('counts every end when signals of one check come at once', async () => {
      const s = await make();
      await s.add(check('job'));
      await s.recordSignal('hash-of-job', { kind: 'start', at: T0 }, KEEP);
      await Promise.all([1, 2, 3, 4].map((i) => s.recordSignal('hash-of-job', { kind: i % 2 ? 'success' : 'fail', at: T0 + i * 1000 }, KEEP)));
      const c = await s.get('job');
      expect(c?.pings).toBe(5);
      expect(c?.runDays?.['2026-11-20']).toMatchObject({ runs: 4, failures: 2 });
    });

    it('pauses and resumes; records signals while paused', async () => {
      const s = await make();
      await s.add(check('job'));
      expect(await s.setPaused('nope', true)).toBe(false);
      expect(await s.setPaused('job', true)).toBe(true);
      expect(await s.recordSignal('hash-of-job', { kind: 'success', at: T0 }, KEEP)).toMatchObject({ paused: true, pings: 1 });
      expect(await s.setPaused('job', false)).toBe(true);
      expect((await s.get('job'))?.paused).toBe(false);
    });

    it('commits a state change with its notifications only if state, since and last ping are as seen, and never while paused', async () => {
      const s = await make();
      await s.add(check('job'));
      const n = notice('check:job', T0 + 660_000, 'check:job|check-late|1');
      const change = { keyHash: 'hash-of-job', from: 'new' as const, fromSince: T0, lastPing: undefined, to: 'late' as const, at: T0 + 660_000, problemSince: T0 + 660_000, announce: { notifications: [n], queuedAt: T0 + 661_000 } };
      expect(await s.changeState({ ...change, fromSince: T0 + 1 })).toBe(false);
      expect(await s.changeState({ ...change, lastPing: T0 })).toBe(false);
      expect(await s.changeState({ ...change, keyHash: 'hash-of-nothing' })).toBe(false);
      expect(await s.changeState(change)).toBe(true);
      expect(await s.changeState(change)).toBe(false);
      const late = await s.get('job');
      expect(late).toMatchObject({ state: 'late', stateSince: T0 + 660_000, problemSince: T0 + 660_000 });
      expect(late?.pending).toEqual([{ notification: n, queuedAt: T0 + 661_000 }]);
      await s.settle('hash-of-job', n.id);
      await s.settle('hash-of-nothing', n.id);
      expect((await s.get('job'))?.pending).toBeUndefined();
      await s.recordSignal('hash-of-job', { kind: 'success', at: T0 + 700_000 }, KEEP);
      await s.setPaused('job', true);
      expect(await s.changeState({ keyHash: 'hash-of-job', from: 'late', fromSince: T0 + 660_000, lastPing: T0 + 700_000, to: 'up', at: T0 + 700_000, problemSince: undefined })).toBe(false);
      await s.setPaused('job', false);
      expect(await s.changeState({ keyHash: 'hash-of-job', from: 'late', fromSince: T0 + 660_000, lastPing: T0 + 700_000, to: 'up', at: T0 + 700_000, problemSince: undefined })).toBe(true);
      expect((await s.get('job'))?.problemSince).toBeUndefined();
    });

    it('records the storm a late is held back under with the change, and drops it with the next change', async () => {
      const s = await make();
      await s.add(check('job'));
      const storm = '@fleet/storm/checks:rack=a/2026-11-20T10:11:00.000Z';
      expect(await s.changeState({ keyHash: 'hash-of-job', from: 'new', fromSince: T0, lastPing: undefined, to: 'late', at: T0 + 660_000, problemSince: T0 + 660_000, stormIncident: storm })).toBe(true);
      expect(await s.get('job')).toMatchObject({ state: 'late', stormIncident: storm });
      await s.recordSignal('hash-of-job', { kind: 'success', at: T0 + 700_000 }, KEEP);
      expect(await s.changeState({ keyHash: 'hash-of-job', from: 'late', fromSince: T0 + 660_000, lastPing: T0 + 700_000, to: 'up', at: T0 + 700_000, problemSince: undefined })).toBe(true);
      const up = await s.get('job');
      expect(up?.state).toBe('up');
      expect(up?.stormIncident).toBeUndefined();
    });

    it('removes a check, which revokes its key, and frees its name', async () => {
      const s = await make();
      await s.add(check('job'));
      expect(await s.remove('job')).toBe(true);
      expect(await s.remove('job')).toBe(false);
      expect(await s.get('job')).toBeUndefined();
      expect(await s.recordSignal('hash-of-job', { kind: 'success', at: T0 }, KEEP)).toBeUndefined();
      expect(await s.list()).toEqual([]);
      expect(await s.add(check('job', { keyHash: 'new-hash' }))).toBe(true);
      expect((await s.get('job'))?.keyHash).toBe('new-hash');
    });
  });
}
