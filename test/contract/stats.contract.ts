import { describe, expect, it } from 'vitest';
import { MAX_ARRIVALS, type StatsPort } from '../../lib/ports';
import { notice, T0 } from './fixtures';

/** What every adapter of StatsPort does, as the monitor item and counters in DynamoDB do. */
export function statsContract(make: () => Promise<StatsPort>): void {
  describe('StatsPort', () => {
    it('starts with an empty monitor', async () => {
      const stats = await make();
      expect(await stats.monitor()).toEqual({ lastRun: undefined, lastHosts: undefined, degraded: false, degradedSince: undefined, pending: [], ingest: {}, storms: [], arrivals: [], watchingUntil: undefined, checkArrivals: [], checksWatchingUntil: undefined });
    });

    it('never moves lastRun backwards, and keeps the fleet size of the last whole pass', async () => {
      const stats = await make();
      await stats.recordRun(T0, 10);
      await stats.recordRun(T0 - 1, 99);
      await stats.recordRun(T0, 98);
      expect(await stats.monitor()).toMatchObject({ lastRun: T0, lastHosts: 10 });
      await stats.recordRun(T0 + 1);
      expect(await stats.monitor()).toMatchObject({ lastRun: T0 + 1, lastHosts: 10 });
    });

    it('keeps new hosts for the watch, up to MAX_ARRIVALS, says until when a watch runs, and forgets what it listed', async () => {
      const stats = await make();
      expect(await stats.noteArrival('new-1')).toEqual({ watchingUntil: undefined });
      await stats.watching(T0 + 60_000);
      await stats.watching(T0 + 30_000);
      expect(await stats.noteArrival('new-2')).toEqual({ watchingUntil: T0 + 60_000 });
      await stats.noteArrival('new-1');
      expect(await stats.monitor()).toMatchObject({ arrivals: ['new-1', 'new-2'], watchingUntil: T0 + 60_000 });
      await stats.forgetArrivals(['new-1', 'new-2']);
      expect((await stats.monitor()).arrivals).toEqual([]);
      // Only the watch that said it may take it back.
      await stats.watching(T0 + 30_000, true);
      expect((await stats.monitor()).watchingUntil).toBe(T0 + 60_000);
      await stats.watching(T0 + 60_000, true);
      expect(await stats.noteArrival('new-3')).toEqual({ watchingUntil: 0 });
      for (let i = 0; i < MAX_ARRIVALS + 5; i++) await stats.noteArrival(`flood-${i}`);
      expect((await stats.monitor()).arrivals).toHaveLength(MAX_ARRIVALS);
    });

    it('keeps new checks apart from new hosts, with the checks\' watch\'s own end', async () => {
      const stats = await make();
      await stats.watching(T0 + 60_000);
      expect(await stats.noteArrival('nightly', 'checks')).toEqual({ watchingUntil: undefined });
      await stats.watching(T0 + 80_000, false, 'checks');
      expect(await stats.noteArrival('hourly', 'checks')).toEqual({ watchingUntil: T0 + 80_000 });
      expect(await stats.monitor()).toMatchObject({ arrivals: [], watchingUntil: T0 + 60_000, checkArrivals: ['hourly', 'nightly'], checksWatchingUntil: T0 + 80_000 });
      await stats.forgetArrivals(['nightly'], 'checks');
      await stats.watching(T0 + 80_000, true, 'checks');
      expect(await stats.monitor()).toMatchObject({ watchingUntil: T0 + 60_000, checkArrivals: ['hourly'], checksWatchingUntil: 0 });
    });

    it('grants one claim of a pass for new hosts per gap, to whichever of racing callers comes first', async () => {
      const stats = await make();
      const claims = await Promise.all([stats.claimArrivalPass(T0, 5000), stats.claimArrivalPass(T0, 5000), stats.claimArrivalPass(T0 + 1, 5000)]);
      expect(claims.filter(Boolean)).toHaveLength(1);
      expect(await stats.claimArrivalPass(T0 + 4000, 5000)).toBe(false);
      expect(await stats.claimArrivalPass(T0 + 5001, 5000)).toBe(true);
      // A claim is no monitor state a pass reads.
      expect(await stats.monitor()).toEqual({ lastRun: undefined, lastHosts: undefined, degraded: false, degradedSince: undefined, pending: [], ingest: {}, storms: [], arrivals: [], watchingUntil: undefined, checkArrivals: [], checksWatchingUntil: undefined });
    });

    it('flips degraded once each way, committing its notice in the same write', async () => {
      const stats = await make();
      expect(await stats.setDegraded(false, T0)).toBe(false);
      const n = notice('@monitor', T0, 'monitor:degraded', { kind: 'monitor-degraded', severity: 'warning' });
      expect(await stats.setDegraded(true, T0, n)).toBe(true);
      expect(await stats.setDegraded(true, T0 + 1)).toBe(false);
      expect(await stats.monitor()).toMatchObject({ degraded: true, degradedSince: T0, pending: [{ notification: n, queuedAt: T0 }] });
      await stats.settle(n.id);
      expect(await stats.setDegraded(false, T0 + 2)).toBe(true);
      expect(await stats.monitor()).toMatchObject({ degraded: false, degradedSince: undefined, pending: [] });
    });

    it('never moves the canary marks backwards: of two canaries the later wins', async () => {
      const stats = await make();
      await stats.recordCanary(T0 + 10, T0 + 5);
      await stats.recordCanary(T0 + 8, T0 + 3);
      expect((await stats.monitor()).ingest).toEqual({ ingestedThrough: T0 + 10, canaryAt: T0 + 5 });
      // A later stamp moves both marks, even with an earlier send.
      await stats.recordCanary(T0 + 9, T0 + 6);
      expect((await stats.monitor()).ingest).toEqual({ ingestedThrough: T0 + 9, canaryAt: T0 + 6 });
    });

    it('keeps the earliest hold and the latest end until a canary sent after that end is stored', async () => {
      const stats = await make();
      await stats.holdIngest(T0 + 100, T0 + 200);
      await stats.holdIngest(T0 + 150, T0 + 250);
      expect((await stats.monitor()).ingest).toEqual({ holdFrom: T0 + 100, holdUntil: T0 + 250 });
      await stats.holdIngest(T0 + 50, T0 + 240);
      expect((await stats.monitor()).ingest).toEqual({ holdFrom: T0 + 50, holdUntil: T0 + 250 });
      // A canary sent before the end lifts nothing: a later failure keeps the earliest start.
      await stats.recordCanary(T0 + 249, T0 + 249);
      await stats.holdIngest(T0 + 90_000, T0 + 100_000);
      expect((await stats.monitor()).ingest).toMatchObject({ holdFrom: T0 + 50, holdUntil: T0 + 100_000 });
      // One sent after it ends the hold: the next failure starts a new one.
      await stats.recordCanary(T0 + 100_001, T0 + 100_001);
      await stats.holdIngest(T0 + 200_000, T0 + 210_000);
      expect((await stats.monitor()).ingest).toEqual({ ingestedThrough: T0 + 100_001, canaryAt: T0 + 100_001, holdFrom: T0 + 200_000, holdUntil: T0 + 210_000 });
    });

    it('announces each step of a storm\'s recovery once, only forward, and its end once; forgets it when told', async () => {
      const stats = await make();
      const incident = '@fleet/storm/rack=r7/2026-12-05T09:00:00.000Z';
      const step = (id: string) => notice('@fleet', T0, id, { kind: 'fleet-storm-recovering' });
      expect(await stats.announceStorm(incident, 3, T0, step('r3'))).toBe(true);
      expect(await stats.announceStorm(incident, 3, T0 + 1, step('r3b'))).toBe(false);
      expect(await stats.announceStorm(incident, 2, T0 + 2, step('r2'))).toBe(false);
      expect(await stats.announceStorm(incident, 5, T0 + 3, step('r5'))).toBe(true);
      expect(await stats.announceStorm(incident, 'over', T0 + 4, step('over'))).toBe(true);
      expect(await stats.announceStorm(incident, 'over', T0 + 5, step('over2'))).toBe(false);
      expect(await stats.announceStorm(incident, 9, T0 + 6, step('r9'))).toBe(false);
      const m = await stats.monitor();
      expect(m.storms).toEqual([{ attribute: expect.stringMatching(/^storm_/), incident, back: undefined, overAt: T0 + 4 }]);
      expect(m.pending.map((p) => p.notification.id).sort()).toEqual(['over', 'r3', 'r5'].sort());
      await stats.forgetStorms(m.storms.map((s) => s.attribute));
      expect((await stats.monitor()).storms).toEqual([]);
    });

    it('keeps the host counts of the latest pass: none before one, never an earlier pass\'s over a later one', async () => {
      const stats = await make();
      expect(await stats.hostCounts()).toBeUndefined();
      const counts = { total: 7, byState: { new: 1, alive: 3, dead: 1, left: 1, retired: 1 }, overdue: 2, silenced: 1, at: T0 };
      await stats.recordHostCounts(counts);
      expect(await stats.hostCounts()).toEqual(counts);
      await stats.recordHostCounts({ ...counts, total: 99, at: T0 - 1 });
      await stats.recordHostCounts({ ...counts, total: 98, at: T0 });
      expect(await stats.hostCounts()).toEqual(counts);
      const later = { total: 2, byState: { new: 0, alive: 2, dead: 0, left: 0, retired: 0 }, overdue: 0, silenced: 0, at: T0 + 60_000 };
      await stats.recordHostCounts(later);
      expect(await stats.hostCounts()).toEqual(later);
      // Beside the monitor item, not in it.
      expect((await stats.monitor()).lastRun).toBeUndefined();
    });

    it('adds counts per app and day, and lists a day\'s apps by name', async () => {
      const stats = await make();
      await stats.addCounts('web', '2026-11-20', { 40: 2, 50: 1 });
      await stats.addCounts('web', '2026-11-20', { 40: 3, 30: 0 });
      await stats.addCounts('api', '2026-11-20', { 20: 7 });
      await stats.addCounts('web', '2026-11-21', { 10: 1 });
      await stats.addCounts('db', '2026-11-20', {});
      expect(await stats.counts('web', '2026-11-19', '2026-11-21')).toEqual([
        { app: 'web', day: '2026-11-20', counts: { 10: 0, 20: 0, 30: 0, 40: 5, 50: 1 } },
        { app: 'web', day: '2026-11-21', counts: { 10: 1, 20: 0, 30: 0, 40: 0, 50: 0 } },
      ]);
      expect(await stats.countsOn('2026-11-20')).toEqual([
        { app: 'api', day: '2026-11-20', counts: { 10: 0, 20: 7, 30: 0, 40: 0, 50: 0 } },
        { app: 'web', day: '2026-11-20', counts: { 10: 0, 20: 0, 30: 0, 40: 5, 50: 1 } },
      ]);
      expect(await stats.countsOn('2026-11-22')).toEqual([]);
    });
  });
}
