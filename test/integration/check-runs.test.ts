/**
 * A check's runs in its item, through the real CheckStore and engines (docs/DATA-MODEL.md,
 * "Runs"): an end signal is one GetItem and one UpdateItem, and that write stays one write unit
 * (the engine's own ConsumedCapacity) for an hourly job with a cron schedule and two labels; a
 * job pinged every minute for a week, or the worst case of every bucket filled, stays far below
 * DynamoDB's 400 KB, by DynamoDB's size rule.
 */
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { itemBytes } from '../../bench/support/item-size';
import { CheckStore } from '../../lib/adapters/dynamodb/checks';
import type { Check, RunDay, RunDays } from '../../lib/domain/check/check';
import { durationBucket, keepFromDay, withSignal } from '../../lib/domain/check/runs';
import { dayOf } from '../../lib/domain/model/days';
import { startTestCloud, type TestCloud } from '../../tools/harness/cloud';
import { recordConsumedCapacity, type ConsumedCall } from '../support/capacity';

let cloud: TestCloud;
let store: CheckStore;
/** DynamoDB requests and the units the engine reported for each, since the last reset. */
const seen: ConsumedCall[] = [];

beforeAll(async () => {
  cloud = await startTestCloud();
  recordConsumedCapacity(cloud.clients.ddb, seen, 'checkRunsCapacity');
  store = new CheckStore(cloud.clients.ddb, cloud.names.checksTable);
});
afterAll(async () => cloud?.stop());

const T0 = Date.UTC(2026, 11, 1, 0, 0, 0);
const H = 3_600_000;
/** The cost model's check: a cron schedule and two labels (tools/cost/model.ts, `checkItemBytes`). */
const nightly = (name: string): Check => ({
  name, keyHash: `hash-of-${name}`, schedule: { cron: '5 * * * *', tz: 'Europe/Berlin' }, graceMs: 600_000, maxRunMs: 3_600_000,
  labels: { team: 'data', env: 'prod' }, createdAt: T0 - H, paused: false, state: 'up', stateSince: T0 - H, pings: 0,
});
const stored = async (name: string) => (await cloud.clients.ddb.send(new GetCommand({ TableName: cloud.names.checksTable, Key: { pk: `KEY#hash-of-${name}` } }))).Item as Record<string, unknown>;

describe('a check\'s runs in its item', () => {
  it('an hourly job, start and end, for 26 hours: each end is a read and one write of one unit, and the item stays under 1 KB', async () => {
    await store.add(nightly('hourly'));
    const units: number[] = [];
    for (let h = 0; h < 26; h++) {
      const at = T0 + h * H + 5 * 60_000;
      await store.recordSignal('hash-of-hourly', { kind: 'start', at }, keepFromDay(at, 24));
      seen.length = 0;
      const end = at + (4 + (h % 5)) * 60_000;
      await store.recordSignal('hash-of-hourly', { kind: 'success', at: end }, keepFromDay(end, 24));
      expect(seen.map((s) => s.command)).toEqual(['GetItemCommand', 'UpdateItemCommand']);
      units.push(seen[1]?.units as number);
    }
    expect(units.every((u) => u === 1)).toBe(true);
    const item = await stored('hourly');
    // Two days kept: the first is dropped once the second is more than a day on.
    expect(Object.keys(item.runs as object)).toEqual(['2026-12-01', '2026-12-02']);
    const bytes = itemBytes(item);
    if (process.env.DTS_VERBOSE) console.log(`hourly check after 26 h of runs: ${bytes} B`);
    expect(bytes).toBeLessThanOrEqual(1024);
    const c = await store.get('hourly');
    expect(c?.runDays?.['2026-12-01']).toMatchObject({ runs: 24, failures: 0 });
  });

  it('a job every minute for a week keeps two days whose histograms hold the buckets its durations fall in, not its runs', async () => {
    let runDays: RunDays = {};
    let c: Pick<Check, 'lastStart' | 'lastEnd' | 'runDays'> = {};
    for (let i = 0; i < 7 * 1440; i++) {
      const at = T0 + i * 60_000;
      c = { ...c, lastStart: at };
      const end = at + 5_000 + ((i * 7919) % 40_000);
      runDays = withSignal(c, { kind: i % 50 === 0 ? 'fail' : 'success', at: end }, keepFromDay(end, 24));
      c = { ...c, lastEnd: end, runDays };
    }
    const item = { ...(await stored('hourly')), pk: 'KEY#hash-of-minutely', name: 'minutely', keyHash: 'hash-of-minutely', runs: runsItem(runDays) };
    await cloud.clients.ddb.send(new PutCommand({ TableName: cloud.names.checksTable, Item: item }));
    const bytes = itemBytes(item);
    if (process.env.DTS_VERBOSE) console.log(`minute check after a week: ${bytes} B`);
    expect(bytes).toBeLessThanOrEqual(1024);
    seen.length = 0;
    const at = T0 + 7 * 1440 * 60_000;
    await store.recordSignal('hash-of-minutely', { kind: 'success', at }, keepFromDay(at, 24));
    expect(seen.find((s) => s.command === 'UpdateItemCommand')?.units).toBe(1);
  });

  it('worst case: every bucket of a month-long run filled on each of 32 days (a 31-day report): under 400 KB', async () => {
    const full: RunDay = { runs: 86_400, failures: 86_400, durations: Object.fromEntries(Array.from({ length: durationBucket(31 * 86_400_000) + 1 }, (_, b) => [String(b), 86_400])) };
    const days = Object.fromEntries(Array.from({ length: 32 }, (_, d) => [dayOf(T0 - d * 86_400_000), full]));
    const item = { ...(await stored('hourly')), pk: 'KEY#hash-of-worst', name: 'worst', keyHash: 'hash-of-worst', runs: runsItem(days) };
    const bytes = itemBytes(item);
    if (process.env.DTS_VERBOSE) console.log(`worst case, 32 days of 252 full buckets: ${bytes} B`);
    expect(bytes).toBeLessThan(100 * 1024);
    await cloud.clients.ddb.send(new PutCommand({ TableName: cloud.names.checksTable, Item: item }));
    expect((await store.recordSignal('hash-of-worst', { kind: 'fail', at: T0 + 1000, exit: 1 }, keepFromDay(T0, 31 * 24)))?.runDays?.[dayOf(T0)]?.failures).toBe(86_401);
  });
});

/** `runs` as the adapter stores it: short names (lib/adapters/dynamodb/checks.ts). */
function runsItem(days: RunDays): Record<string, unknown> {
  return Object.fromEntries(Object.entries(days).map(([day, r]) => [day, { n: r.runs, f: r.failures, d: r.durations }]));
}
