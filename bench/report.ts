/**
 * The fleet report at scale: an in-memory fleet (tools/harness/report-fleet.ts, the same one the
 * scale test uses) fed to runReport through the in-memory adapters of its ports (tools/memory), stored in the reports table of the
 * embedded cloud (dynalite, in process) and published on its topic. Times each step, and the
 * sizes that must stay bounded.
 *
 *   npm run bench:report [-- --sizes 10000,100000,300000]
 */
import { performance } from 'node:perf_hooks';
import { buildReport } from '../lib/domain/report/report';
import { silentLog } from '../lib/app/log';
import { renderHtml, renderMarkdown } from '../lib/domain/report/render';
import { runReport, type ReportDeps } from '../lib/app/report';
import { AlertPublisher } from '../lib/adapters/sns/alerts';
import { ReportStore } from '../lib/adapters/dynamodb/reports';
import { tableName } from '../tools/harness/day-world';
import { startTestCloud } from '../tools/harness/cloud';
import { FLEET_SINCE, FLEET_UNTIL, generateFleet } from '../tools/harness/report-fleet';
import { header, isQuick, saveResult, table } from './support/report';
import { sig } from './support/stats';
import { MemoryHosts, MemoryNotifications, MemoryStats } from '../tools/memory';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const quick = isQuick();
const i = process.argv.indexOf('--sizes');
const SIZES = (i >= 0 ? (process.argv[i + 1] ?? '') : quick ? '10000,100000' : '10000,100000,300000').split(',').map(Number);

header('Fleet report at scale (in-memory fleet, stored on dynalite in process)');
const cloud = await startTestCloud();
const rows: (string | number)[][] = [['hosts', 'build s', 'render s', 'store s', 'runReport s', 'parts', 'head KB', 'md KB', 'html KB', 'largest part KB', 'heap MB']];
const results = [];
try {
  const store = new ReportStore(cloud.clients.ddb, tableName(cloud, 'reports'), 400);
  for (const [n, size] of SIZES.entries()) {
    const fleet = generateFleet(size);
    const until = FLEET_UNTIL + n * 60_000;
    // The steps alone, then the whole run as the function does it (reads, build, render, store, publish).
    let t = performance.now();
    const built = buildReport({ since: FLEET_SINCE + n * 60_000, until, generatedAt: until, hosts: fleet.hosts, notifications: fleet.notifications, appCounts: fleet.appCounts });
    const buildS = (performance.now() - t) / 1000;
    t = performance.now();
    const markdown = renderMarkdown(built.report);
    const html = renderHtml(built.report);
    const renderS = (performance.now() - t) / 1000;
    const notifications = new MemoryNotifications();
    for (const x of fleet.notifications) await notifications.record(x);
    const stats = new MemoryStats();
    for (const c of fleet.appCounts) await stats.addCounts(c.app, c.day, { 40: c.error, 50: c.critical });
    const d: ReportDeps = {
      hosts: new MemoryHosts().seed(fleet.hosts),
      notifications,
      stats,
      reports: store,
      alerts: new AlertPublisher(cloud.clients.sns, cloud.names.alertsTopicArn),
      scanSegments: 4,
      log: silentLog,
      now: () => until,
    };
    t = performance.now();
    const storeT = performance.now();
    await store.put({ report: { ...built.report, id: `${built.report.id}-store` }, markdown, html, detail: built.detail });
    const storeS = (performance.now() - storeT) / 1000;
    t = performance.now();
    const run = await runReport(d, until, 24);
    const runS = (performance.now() - t) / 1000;
    const heapMb = process.memoryUsage().heapUsed / 2 ** 20;
    const head = Buffer.byteLength(JSON.stringify(run.report)) + Buffer.byteLength(run.markdown) + Buffer.byteLength(run.html);
    const largest = Math.max(...(await collectPartSizes(store, run.report.id, run.parts)));
    const r = {
      hosts: size, buildSeconds: buildS, renderSeconds: renderS, storeSeconds: storeS, runReportSeconds: runS, parts: run.parts,
      headBytes: head, markdownBytes: Buffer.byteLength(run.markdown), htmlBytes: Buffer.byteLength(run.html), largestPartBytes: largest, heapMb,
    };
    results.push(r);
    rows.push([size, sig(buildS), sig(renderS), sig(storeS), sig(runS), run.parts, sig(head / 1024), sig(r.markdownBytes / 1024), sig(r.htmlBytes / 1024), sig(largest / 1024), Math.round(heapMb)]);
    console.log(`  ${size} hosts: build ${sig(buildS)} s, store ${sig(storeS)} s, runReport ${sig(runS)} s, ${run.parts} parts`);
  }
} finally {
  await cloud.stop();
}
console.log(`\n${table(rows)}`);
saveResult('report', `npm run bench:report${quick ? ' -- --quick' : i >= 0 ? ` -- --sizes ${SIZES.join(',')}` : ''}`, quick, { sizes: SIZES, results });

async function collectPartSizes(store: ReportStore, id: string, parts: number): Promise<number[]> {
  const sizes: number[] = [];
  for await (const p of store.detail(id, parts)) sizes.push(Buffer.byteLength(JSON.stringify(p.rows)));
  return sizes;
}
