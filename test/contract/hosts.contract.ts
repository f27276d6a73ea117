import { describe, expect, it } from 'vitest';
import type { HostsPort, StateChange } from '../../lib/ports';
import { beat, notice, T0 } from './fixtures';

export interface HostsContractOptions {
  /** Whether each host is in exactly one scan segment (DynamoDB, dynalite); DynamoDB Local ignores Segment. */
  readonly disjointSegments: boolean;
}

const dead = (hostname: string, over: Partial<StateChange> = {}): StateChange => ({
  hostname, from: 'alive', fromSince: T0, to: 'dead', at: T0 + 300_000, lastBeat: T0, requireSilence: true, outageStart: undefined, ...over,
});

/** What every adapter of HostsPort does, as the DynamoDB hosts table does it. */
export function hostsContract(make: () => Promise<HostsPort>, options: HostsContractOptions): void {
  describe('HostsPort', () => {
    it('stores a new host\'s first beat, with no previous host', async () => {
      const hosts = await make();
      const write = await hosts.recordBeat(beat('a', T0, { cpu: { percent: 41.6 }, agent: { name: 'dts-agent', version: '1.0.0' } }), false);
      expect(write).toEqual({ stale: false, previous: undefined, left: false });
      const a = await hosts.get('a');
      expect(a).toMatchObject({ hostname: 'a', state: 'new', stateSince: T0, lastBeat: T0, firstSeen: T0, labels: { rack: 'r1' }, cpu: { percent: 41.6 }, cpuStreak: 0, levels: { cpu: 'ok', mem: 'ok', disk: 'ok' } });
      expect(a?.dailyPeaks).toEqual({ '2026-11-20': { cpu: 42 } });
      expect(a?.hourly).toHaveLength(1);
    });

    it('only moves lastBeat forward: a repeated or older beat is stale and changes nothing', async () => {
      const hosts = await make();
      await hosts.recordBeat(beat('a', T0, { cpu: { percent: 10 } }), false);
      expect(await hosts.recordBeat(beat('a', T0, { cpu: { percent: 99 } }), true)).toEqual({ stale: true });
      expect(await hosts.recordBeat(beat('a', T0 - 1, { cpu: { percent: 99 } }), true)).toEqual({ stale: true });
      expect(await hosts.get('a')).toMatchObject({ lastBeat: T0, cpu: { percent: 10 }, cpuStreak: 0 });
    });

    it('returns the host as it was before a newer beat, and keeps first-seen, state and its start', async () => {
      const hosts = await make();
      await hosts.recordBeat(beat('a', T0, { cpu: { percent: 90 } }), false);
      const write = await hosts.recordBeat(beat('a', T0 + 60_000, { cpu: { percent: 95 }, labels: { rack: 'r2' } }), true);
      expect(write.stale).toBe(false);
      if (write.stale) return;
      expect(write.previous).toMatchObject({ lastBeat: T0, cpu: { percent: 90 }, labels: { rack: 'r1' } });
      expect(await hosts.get('a')).toMatchObject({ lastBeat: T0 + 60_000, firstSeen: T0, state: 'new', stateSince: T0, cpuStreak: 1, labels: { rack: 'r2' } });
      await hosts.recordBeat(beat('a', T0 + 120_000, { cpu: { percent: 5 } }), false);
      expect((await hosts.get('a'))?.cpuStreak).toBe(0);
    });

    it('drops readings a beat lacks, and keeps the day\'s peak', async () => {
      const hosts = await make();
      await hosts.recordBeat(beat('a', T0, { cpu: { percent: 70 }, uptime: 5 }), false);
      await hosts.recordBeat(beat('a', T0 + 60_000, { cpu: { percent: 30 } }), false);
      await hosts.recordBeat(beat('a', T0 + 120_000), false);
      const a = await hosts.get('a');
      expect(a?.cpu).toBeUndefined();
      expect(a?.uptime).toBeUndefined();
      expect(a?.dailyPeaks).toEqual({ '2026-11-20': { cpu: 70 } });
    });

    it('commits a goodbye with its notification once; a second goodbye is a plain beat', async () => {
      const hosts = await make();
      await hosts.recordBeat(beat('a', T0), false);
      const bye = notice('a', T0 + 1000, 'a:left', { kind: 'host-left', severity: 'info' });
      expect(await hosts.recordBeat(beat('a', T0 + 1000, { goodbye: true }), false, { notifications: [bye], queuedAt: T0 + 1000 })).toMatchObject({ stale: false, left: true });
      expect(await hosts.get('a')).toMatchObject({ state: 'left', stateSince: T0 + 1000, pending: [{ notification: bye, queuedAt: T0 + 1000 }] });
      const again = notice('a', T0 + 2000, 'a:left2', { kind: 'host-left', severity: 'info' });
      expect(await hosts.recordBeat(beat('a', T0 + 2000, { goodbye: true }), false, { notifications: [again], queuedAt: T0 + 2000 })).toMatchObject({ stale: false, left: false });
      expect((await hosts.get('a'))?.pending?.map((p) => p.notification.id)).toEqual(['a:left']);
    });

    it('commits levels only while the beat they judged is the newest, never creating a host', async () => {
      const hosts = await make();
      await hosts.recordBeat(beat('a', T0), false);
      const n = notice('a', T0, 'a:cpu', { kind: 'resource-warning', severity: 'warning' });
      expect(await hosts.commitLevels('a', T0 - 1, { cpu: 'critical', mem: 'ok', disk: 'ok' })).toBe(false);
      expect(await hosts.commitLevels('a', T0, { cpu: 'warning', mem: 'ok', disk: 'critical' }, { notifications: [n], queuedAt: T0 }, true)).toBe(true);
      expect(await hosts.get('a')).toMatchObject({ levels: { cpu: 'warning', mem: 'ok', disk: 'critical' }, skewed: true, pending: [{ notification: n, queuedAt: T0 }] });
      expect(await hosts.commitLevels('ghost', T0, { cpu: 'ok', mem: 'ok', disk: 'ok' })).toBe(false);
      expect(await hosts.get('ghost')).toBeUndefined();
    });

    it('changes state only from the state, start and (when it needs silence) beat that were seen', async () => {
      const hosts = await make();
      await hosts.recordBeat(beat('a', T0), false);
      expect(await hosts.changeState({ ...dead('a'), from: 'new', to: 'alive', at: T0 + 1, requireSilence: false, fromSince: T0 - 1 })).toBe(false);
      expect(await hosts.changeState({ ...dead('a'), from: 'new', to: 'alive', at: T0 + 1, requireSilence: false })).toBe(true);
      // Another run saw the host before that change: its write loses.
      expect(await hosts.changeState({ ...dead('a'), from: 'new', to: 'alive', at: T0 + 2, requireSilence: false })).toBe(false);
      await hosts.recordBeat(beat('a', T0 + 60_000), false);
      expect(await hosts.changeState(dead('a', { fromSince: T0 + 1 }))).toBe(false);
      const down = notice('a', T0 + 300_000);
      expect(await hosts.changeState(dead('a', { fromSince: T0 + 1, lastBeat: T0 + 60_000, announce: { notifications: [down], queuedAt: T0 + 300_000 } }))).toBe(true);
      expect(await hosts.get('a')).toMatchObject({ state: 'dead', stateSince: T0 + 300_000, outageStart: T0 + 60_000, pending: [{ notification: down, queuedAt: T0 + 300_000 }] });
      expect((await hosts.get('a'))?.resumedAt).toBeUndefined();
      expect(await hosts.changeState(dead('ghost'))).toBe(false);
      expect(await hosts.get('ghost')).toBeUndefined();
    });

    it('keeps flapping history with a change, ends flapping once, and forgets it on retirement', async () => {
      const hosts = await make();
      await hosts.recordBeat(beat('a', T0), false);
      expect(await hosts.changeState({ ...dead('a'), from: 'new', to: 'alive', at: T0 + 1, requireSilence: false, changes: [T0, T0 + 1], flappingSince: T0 + 1 })).toBe(true);
      expect(await hosts.get('a')).toMatchObject({ changes: [T0, T0 + 1], flappingSince: T0 + 1 });
      expect(await hosts.endFlapping('a', T0)).toBe(false);
      const calm = notice('a', T0 + 5, 'a:calm', { kind: 'host-up', severity: 'info' });
      expect(await hosts.endFlapping('a', T0 + 1, { notifications: [calm], queuedAt: T0 + 5 })).toBe(true);
      expect(await hosts.endFlapping('a', T0 + 1)).toBe(false);
      expect((await hosts.get('a'))?.flappingSince).toBeUndefined();
      expect(await hosts.changeState({ ...dead('a'), from: 'alive', fromSince: T0 + 1, to: 'retired', at: T0 + 9, requireSilence: false })).toBe(true);
      expect((await hosts.get('a'))?.changes).toBeUndefined();
    });

    it('enqueues only on a known host, and settles an entry without creating a host', async () => {
      const hosts = await make();
      const n = notice('a', T0);
      expect(await hosts.enqueue('ghost', { notifications: [n], queuedAt: T0 })).toBe(false);
      await hosts.recordBeat(beat('a', T0), false);
      expect(await hosts.enqueue('a', { notifications: [], queuedAt: T0 })).toBe(true);
      expect(await hosts.enqueue('a', { notifications: [n], queuedAt: T0 })).toBe(true);
      // The same id again is the same entry, not a second one.
      expect(await hosts.enqueue('a', { notifications: [n], queuedAt: T0 + 5 })).toBe(true);
      expect((await hosts.get('a'))?.pending).toEqual([{ notification: n, queuedAt: T0 + 5 }]);
      await hosts.settle('a', n.id);
      await hosts.settle('ghost', n.id);
      expect((await hosts.get('a'))?.pending).toBeUndefined();
      expect(await hosts.get('ghost')).toBeUndefined();
    });

    it('scans every host in segments and lists each once', async () => {
      const hosts = await make();
      const names = Array.from({ length: 25 }, (_, i) => `h${String(i).padStart(2, '0')}`);
      for (const h of names) await hosts.recordBeat(beat(h, T0), false);
      const seen: string[] = [];
      for (let s = 0; s < 3; s++) for await (const page of hosts.scanSegment(s, 3)) seen.push(...page.map((h) => h.hostname));
      expect(new Set(seen)).toEqual(new Set(names));
      if (options.disjointSegments) expect(seen).toHaveLength(names.length);
      expect((await hosts.list(3)).map((h) => h.hostname).sort()).toEqual(names);
    });

    it('reads several hosts at once, each once, leaving out the unknown, and forgets a host', async () => {
      const hosts = await make();
      await hosts.recordBeat(beat('a', T0), false);
      await hosts.recordBeat(beat('b', T0), false);
      expect((await hosts.getMany(['a', 'b', 'a', 'ghost'])).map((h) => h.hostname).sort()).toEqual(['a', 'b']);
      expect(await hosts.remove('a')).toBe(true);
      expect(await hosts.remove('a')).toBe(false);
      expect(await hosts.get('a')).toBeUndefined();
    });

    it('hands out copies: changing what it returned changes nothing stored', async () => {
      const hosts = await make();
      const b = beat('a', T0);
      await hosts.recordBeat(b, false);
      b.labels.rack = 'changed';
      const a = await hosts.get('a');
      if (a) a.labels.rack = 'changed too';
      expect((await hosts.get('a'))?.labels).toEqual({ rack: 'r1' });
    });
  });
}
