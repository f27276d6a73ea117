import { describe, expect, it } from 'vitest';
import { LOG_APP_SHARDS, logAppKey, logAppKeys, logShardOf, NOTIFICATION_DAY_SHARDS, notificationDayKey, notificationDayKeys, shardOf } from '../../lib/adapters/dynamodb/keys';

describe('write shards', () => {
  it('a shard is a pure function of the record, within range', () => {
    expect(logShardOf('web-1', 'abc')).toBe(logShardOf('web-1', 'abc'));
    for (let i = 0; i < 1000; i++) {
      const s = shardOf(`id-${i}`, 16);
      expect(Number.isInteger(s) && s >= 0 && s < 16).toBe(true);
    }
  });

  it('spreads ids that differ in one character evenly (FNV\'s low bits alone would not)', () => {
    const counts = Array<number>(16).fill(0);
    for (let i = 0; i < 16_000; i++) {
      const s = shardOf(`host-${i}|host-down|${1_764_000_000_000 + i * 10}`, 16);
      counts[s] = (counts[s] ?? 0) + 1;
    }
    for (const c of counts) expect(Math.abs(c - 1000)).toBeLessThan(120);
  });

  it('keys stay injective whatever the app name: the shard comes after the fixed-format day and level', () => {
    expect(logAppKey('api', '2026-11-25', 40, 3)).toBe('A#api#2026-11-25#40#3');
    expect(logAppKey('api', '2026-11-25', 40)).toBe('A#api#2026-11-25#40');
    expect(logAppKey('api#2026-11-25#40', '2026-11-25', 40, 3)).not.toBe(logAppKey('api', '2026-11-25', 40, 3));
    expect(new Set(logAppKeys('api', '2026-11-25', 40)).size).toBe(LOG_APP_SHARDS + 1);
  });

  it('a notification\'s byDay key is its day and a shard of its id; readers query every shard and the plain day', () => {
    expect(notificationDayKey('2026-11-25', 'x')).toMatch(/^2026-11-25#\d+$/);
    expect(notificationDayKeys('2026-11-25')).toContain(notificationDayKey('2026-11-25', 'x'));
    expect(notificationDayKeys('2026-11-25')).toHaveLength(NOTIFICATION_DAY_SHARDS + 1);
    expect(notificationDayKeys('2026-11-25').at(-1)).toBe('2026-11-25');
  });
});
