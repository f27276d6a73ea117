import type { Context, ScheduledEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tableName, World } from '../../tools/harness/day-world';
import { startTestCloud, type TestCloud } from '../../tools/harness/cloud';
import { lambdaContext, scheduledEvent } from '../support/events';
import { drain } from '../support/then';

/** The scheduled report function: reads the period, stores the report, publishes it. */
let cloud: TestCloud;
let report: (event: ScheduledEvent, context: Context) => Promise<{ id: string; incidents: number; parts: number }>;

beforeAll(async () => {
  cloud = await startTestCloud();
  Object.assign(process.env, cloud.env, { DTS_REPORTS_TABLE: tableName(cloud, 'reports') });
  ({ handler: report } = await import('../../functions/report'));
});
afterAll(async () => cloud?.stop());

const MIN = 60_000;
const T0 = Date.UTC(2026, 10, 22, 9, 0, 0);
const SCHEDULED = Date.UTC(2026, 10, 23, 8, 0, 0);

describe('report function', () => {
  it('covers the 24 hours before its scheduled time, stores the report, and publishes it once per period', async () => {
    const w = new World(cloud, T0);
    w.set('rep-1', { interval: 60, labels: { role: 'web' } });
    w.set('rep-2', { interval: 60, labels: { role: 'db' } });
    await w.runUntil(T0 + 3 * MIN, MIN);
    w.set('rep-2', { up: false });
    await w.runUntil(T0 + 20 * MIN, MIN);
    w.set('rep-2', { up: true });
    await w.runUntil(T0 + 25 * MIN, MIN);
    await w.log('billing', 'rep-1', 40, 7);
    await w.log('billing', 'rep-1', 50, 2);
    await w.log('search', 'rep-2', 40, 3);
    await w.log('search', 'rep-2', 20, 30);
    await drain(cloud, cloud.names.alertsQueueUrl);

    const out = await report(scheduledEvent(new Date(SCHEDULED)), lambdaContext('report', 120_000));
    await report(scheduledEvent(new Date(SCHEDULED)), lambdaContext('report', 120_000));

    expect(out).toEqual({ id: '2026-11-23T08:00Z', incidents: 1, parts: 3 });
    const [stored, ...older] = await w.reports.latest(5);
    expect(older).toEqual([]);
    expect(stored?.report).toMatchObject({ since: SCHEDULED - 24 * 60 * MIN, until: SCHEDULED });
    expect(stored?.report.incidents.top).toEqual([{
      kind: 'outage', hosts: 1, hostnames: ['rep-2'], start: T0 + 3 * MIN, end: T0 + 21 * MIN, durationMs: 18 * MIN, downtimeMs: 18 * MIN,
    }]);
    expect(stored?.report.logs.top).toEqual([{ app: 'billing', error: 7, critical: 2 }, { app: 'search', error: 3, critical: 0 }]);
    expect(stored?.report.notifications.byKind).toEqual({ 'host-up': 2, 'host-down': 1, 'host-recovered': 1 });
    expect(stored?.markdown).toContain('| outage | rep-2 | 2026-11-22T09:03:00Z | 2026-11-22T09:21:00Z | 18m | 18m |');
    expect(stored?.markdown).toContain(`is stored in the ${tableName(cloud, 'reports')} table, partition REPORT#2026-11-23T08:00Z`);
    expect(stored?.html).toMatch(/^<!doctype html>/);

    // The detail: every host's row, read back part by part.
    const parts = [];
    for await (const p of w.reports.detail('2026-11-23T08:00Z', stored?.parts ?? 0)) parts.push(p);
    expect(parts.map((p) => p.section)).toEqual(['hosts', 'incidents', 'apps']);
    expect(parts[0]?.rows.map((r) => ('hostname' in r ? [r.hostname, r.downMs] : []))).toEqual([['rep-1', 0], ['rep-2', 18 * MIN]]);

    const published = (await drain(cloud, cloud.names.alertsQueueUrl)).map((m) => JSON.parse(m.Body as string))
      .filter((p) => p.MessageAttributes?.kind?.Value === 'report');
    expect(published).toHaveLength(1);
    expect(published[0].Subject).toBe('[dts report] 2026-11-23: 2 hosts, 99.34% up, 0 down now, 1 incident(s), 12 errors');
    expect(published[0].Message).toMatch(/^# dts fleet report 2026-11-23T08:00Z/);
  });
});

describe('report function and a stored item it cannot use', () => {
  it('a host whose name holds a lone surrogate, and one with a broken state, do not stop the report', async () => {
    const w = new World(cloud, T0);
    const { PutCommand } = await import('@aws-sdk/lib-dynamodb');
    const base = { state: 'alive', stateSince: T0, lastBeat: T0, sentAt: T0, skewMs: 0, interval: 60, labels: {}, cpuStreak: 0, firstSeen: T0 };
    await cloud.clients.ddb.send(new PutCommand({ TableName: cloud.names.hostsTable, Item: { ...base, hostname: 'lone-\uD800', state: 'dead', outageStart: T0 } }));
    await cloud.clients.ddb.send(new PutCommand({ TableName: cloud.names.hostsTable, Item: { ...base, hostname: 'broken-1', state: 42 } }));
    await drain(cloud, cloud.names.alertsQueueUrl);

    const later = SCHEDULED + 24 * 60 * MIN;
    const out = await report(scheduledEvent(new Date(later)), lambdaContext('report', 120_000));

    expect(out.id).toBe('2026-11-24T08:00Z');
    const [stored] = await w.reports.latest(1);
    expect(stored?.report.hosts.unreadable).toBe(1);
    expect(stored?.report.hosts.downNow.map((d) => d.hostname)).toContain('lone-\uD800');
    expect(stored?.markdown).toContain('lone-\uFFFD');
    const published = (await drain(cloud, cloud.names.alertsQueueUrl)).map((m) => JSON.parse(m.Body as string))
      .filter((p) => p.MessageAttributes?.kind?.Value === 'report');
    expect(published).toHaveLength(1);
    expect(published[0].Message).toContain('lone-\uFFFD');
  });
});
