import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runReport, type ReportDeps, type ReportRun } from '../../lib/app/report';
import { silentLog } from '../../lib/app/log';
import { renderMarkdown } from '../../lib/domain/report/render';
import { AlertPublisher } from '../../lib/adapters/sns/alerts';
import { detailPartition, ReportStore } from '../../lib/adapters/dynamodb/reports';
import { tableName } from '../../tools/harness/day-world';
import { startTestCloud, type TestCloud } from '../../tools/harness/cloud';
import { drain } from '../support/then';
import { MemoryHosts, MemoryNotifications, MemoryStats } from '../../tools/memory';
import { FLEET_UNTIL, generateFleet, STORM_RACK, type GeneratedFleet } from '../../tools/harness/report-fleet';

/**
 * The report at 100,000 hosts: built from an in-memory fleet (in the in-memory adapters of the ports),
 * stored in the real reports table, published on the real topic. Its stored items and renderings
 * stay bounded whatever the fleet's size. Timings are in docs/BENCHMARKS.md (`npm run bench:report`).
 */
const ITEM_LIMIT = 400 * 1024;
let cloud: TestCloud;
let store: ReportStore;

beforeAll(async () => {
  cloud = await startTestCloud();
  store = new ReportStore(cloud.clients.ddb, tableName(cloud, 'reports'), 400);
}, 60_000);
afterAll(async () => cloud?.stop());

async function sources(fleet: GeneratedFleet): Promise<ReportDeps> {
  const notifications = new MemoryNotifications();
  for (const n of fleet.notifications) await notifications.record(n);
  const stats = new MemoryStats();
  for (const c of fleet.appCounts) await stats.addCounts(c.app, c.day, { 40: c.error, 50: c.critical });
  return {
    hosts: new MemoryHosts().seed(fleet.hosts),
    notifications,
    stats,
    reports: store,
    alerts: new AlertPublisher(cloud.clients.sns, cloud.names.alertsTopicArn),
    scanSegments: 4,
    log: silentLog,
    now: () => FLEET_UNTIL,
  };
}

/** Every stored item of a report, with its size as DynamoDB counts it (names and values, UTF-8). */
async function storedItems(id: string): Promise<{ sk: string; bytes: number }[]> {
  const sized = (item: Record<string, unknown>) => ({
    sk: String(item.sk),
    bytes: Object.entries(item).reduce((t, [k, v]) => t + Buffer.byteLength(k) + (typeof v === 'string' ? Buffer.byteLength(v) : 21), 0),
  });
  const out: { sk: string; bytes: number }[] = [];
  const head = await cloud.clients.ddb.send(new QueryCommand({
    TableName: tableName(cloud, 'reports'), KeyConditionExpression: 'pk = :pk AND sk = :sk', ExpressionAttributeValues: { ':pk': 'REPORT', ':sk': id },
  }));
  out.push(...(head.Items ?? []).map(sized));
  let start: Record<string, unknown> | undefined;
  do {
    const page = await cloud.clients.ddb.send(new QueryCommand({
      TableName: tableName(cloud, 'reports'), KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': detailPartition(id) }, ExclusiveStartKey: start,
    }));
    out.push(...(page.Items ?? []).map(sized));
    start = page.LastEvaluatedKey;
  } while (start);
  return out;
}

describe('the report at 100,000 hosts', () => {
  const SIZE = 100_000;
  const fleet = generateFleet(SIZE);
  let run: ReportRun;

  beforeAll(async () => {
    await drain(cloud, cloud.names.alertsQueueUrl);
    run = await runReport(await sources(fleet), FLEET_UNTIL, 24);
  }, 120_000);

  it('counts the whole fleet, and keeps the summary to the worst rows', () => {
    const r = run.report;
    expect(r.hosts.total).toBe(SIZE);
    expect(r.hosts.byState).toEqual({ alive: 96_300, new: 0, dead: 1_700, left: 1_000, retired: 1_000 });
    for (const rows of [r.hosts.downNow, r.availability.worst, r.incidents.top, r.resources.timeAt, r.resources.peaks, r.logs.top]) {
      expect(rows.length).toBeLessThanOrEqual(r.top);
    }
    // 500 apps, but app-0 logged no error: the stats table holds no counter for counts of zero.
    expect(r.detail).toMatchObject({ hosts: SIZE, apps: 499 });
  });

  it('shows the storm as one incident with its 2,000 hosts', () => {
    const storms = run.detail.incidents.filter((i) => i.kind === 'storm');
    expect(storms).toHaveLength(1);
    expect(storms[0]).toMatchObject({ scope: `rack=${STORM_RACK}`, hosts: 2_000 });
    expect(run.report.incidents).toMatchObject({ storms: 1, total: 1 + 1_000 + 900, outages: 2_000 + 1_000 + 900 });
  });

  it('stores it in items under 400 KB each: a bounded head with its renderings, and the detail in parts', async () => {
    const items = await storedItems(run.report.id);
    expect(items[0]?.sk).toBe(run.report.id);
    expect(items.length).toBe(1 + run.parts);
    expect(run.parts).toBeGreaterThan(10);
    for (const item of items) expect(item.bytes).toBeLessThan(ITEM_LIMIT);
    expect(items[0]?.bytes).toBeLessThan(100 * 1024);
    expect(Buffer.byteLength(run.markdown)).toBeLessThan(32 * 1024);
    expect(Buffer.byteLength(run.html)).toBeLessThan(48 * 1024);
    const [latest] = await store.latest(1);
    expect(latest?.markdown).toBe(run.markdown);
  });

  it('reads the detail back whole: every host once, and the storm\'s hosts across its split rows', async () => {
    const [latest] = await store.latest(1);
    const seen = new Set<string>();
    const storm = new Set<string>();
    for await (const part of store.detail(run.report.id, latest?.parts ?? 0)) {
      for (const row of part.rows) {
        if (part.section === 'hosts' && 'hostname' in row) seen.add(row.hostname);
        if (part.section === 'incidents' && 'kind' in row && row.kind === 'storm') for (const h of row.hostnames) storm.add(h);
      }
    }
    expect(seen.size).toBe(SIZE);
    expect(storm.size).toBe(2_000);
  });

  it('publishes a message that fits SNS, with the figures a person reads first', async () => {
    const published = (await drain(cloud, cloud.names.alertsQueueUrl)).map((m) => JSON.parse(m.Body as string)).filter((p) => p.MessageAttributes?.kind?.Value === 'report');
    expect(published).toHaveLength(1);
    expect(published[0].Subject).toMatch(/^\[dts report\] 2026-11-25: 100000 hosts, \d+(\.\d+)?% up, 1700 down now, \d+ incident\(s\)/);
    expect(published[0].Message).not.toContain('truncated');
  });
});

describe('the report with the longest names the wire accepts', () => {
  it('a storm of multi-byte, 255-character names still fits one head item, and reads back as it was rendered', async () => {
    const fleet = generateFleet(5_000, { nameBytes: 255, apps: 30 });
    for (const h of fleet.hosts) h.hostname = h.hostname.replace(/x+$/, (x) => '\u00e9\u4e2d'.repeat(x.length).slice(0, x.length));
    for (const n of fleet.notifications) n.hostname = fleet.hosts[Number(/host-(\d+)/.exec(n.hostname)?.[1])]?.hostname ?? n.hostname;
    const run = await runReport(await sources(fleet), FLEET_UNTIL + 60_000, 24, false);
    const items = await storedItems(run.report.id);
    expect(items.length).toBe(1 + run.parts);
    for (const item of items) expect(item.bytes).toBeLessThan(ITEM_LIMIT);
    const [latest] = await store.latest(1);
    expect(latest?.report.hosts.total).toBe(5_000);
    // Whether the renderings were kept next to the figures or not, `dts report` prints the same.
    expect(latest && (latest.markdown ?? renderMarkdown(latest.report))).toBe(run.markdown);
  }, 60_000);
});
