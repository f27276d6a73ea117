/**
 * `npm run bench`: every part in one run, each in a fresh node process (so one part's JIT, heap
 * and engines do not colour the next), then the headline ratios side by side.
 *
 *   npm run bench [-- --quick] [-- --only cpu,requests]
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import type { Estimate } from '../tools/cost/model';
import { describeMachine } from './support/machine';
import { BENCH_DIR, loadResult, table } from './support/report';
import { sig } from './support/stats';

const PARTS = ['cpu', 'requests', 'diagnose', 'e2e', 'bundles'] as const;
const quick = process.argv.includes('--quick');
const onlyAt = process.argv.indexOf('--only');
const only = onlyAt >= 0 ? (process.argv[onlyAt + 1] ?? '').split(',') : [...PARTS];

const started = Date.now();
const failed: string[] = [];
for (const part of PARTS) {
  if (!only.includes(part)) continue;
  const t0 = Date.now();
  const r = spawnSync(process.execPath, ['--no-warnings', '--import', 'tsx', path.join(BENCH_DIR, `${part}.ts`), ...(quick ? ['--quick'] : [])], { stdio: 'inherit' });
  console.log(`-- ${part}: ${r.status === 0 ? 'done' : `FAILED (${r.status ?? r.signal})`} in ${sig((Date.now() - t0) / 1000)} s`);
  if (r.status !== 0) failed.push(part);
}
// The cost of the issue's example fleet, from the figures just written.
spawnSync(process.execPath, ['--no-warnings', '--import', 'tsx', path.join(BENCH_DIR, 'cost.ts'), '--hosts', '10000', '--interval', '60'], { stdio: 'inherit' });

/** A part's figures, only if this run wrote them: a failed part must not show old figures. */
function fresh<T>(part: string): T | undefined {
  const r = loadResult<T>(part);
  return r && Date.parse(r.machine.date) >= started ? r.figures : undefined;
}
/* eslint-disable @typescript-eslint/no-explicit-any -- result files are read loosely for the summary */
const cpu = fresh<any>('cpu');
const req = fresh<any>('requests');
const diag = fresh<any>('diagnose');
const e2e = fresh<any>('e2e');
const bundles = fresh<any>('bundles');
const cost = fresh<{ estimate: Estimate }>('cost');
/* eslint-enable @typescript-eslint/no-explicit-any */

const rows: (string | number)[][] = [['figure', 'value', 'ratio / target']];
if (cpu) {
  const [stat, refl, json] = cpu.heartbeats;
  rows.push(['heartbeat CPU, static protobuf (µs/beat)', sig(stat.cpuMicrosPerRecord), `reflection ${sig(refl.cpuMicrosPerRecord / stat.cpuMicrosPerRecord)}×, naive JSON ${sig(json.cpuMicrosPerRecord / stat.cpuMicrosPerRecord)}×`]);
  const [, lstat, lrefl, ljson] = cpu.logs;
  rows.push(['log record CPU, static protobuf, records only (µs/record)', sig(lstat.cpuMicrosPerRecord), `reflection ${sig(lrefl.cpuMicrosPerRecord / lstat.cpuMicrosPerRecord)}×, naive JSON ${sig(ljson.cpuMicrosPerRecord / lstat.cpuMicrosPerRecord)}×`]);
  rows.push(['heartbeats/s per core (handler)', sig(stat.recordsPerCoreSecond), '']);
  rows.push(['log records/s per core (handler, with counters)', sig(cpu.logs[0].recordsPerCoreSecond), '']);
}
if (req) {
  const m = req.measured;
  rows.push(['DynamoDB write requests per heartbeat', sig(m.heartbeat.ddbWriteRequestsPerBeat, 4), m.heartbeat.ddbWriteRequestsPerBeat === 1 ? 'target 1: met' : 'target 1: MISSED']);
  rows.push(['BatchWriteItem per log record, burst', sig(m.logs.batchWriteCallsPerRecordBurst, 3), m.logs.batchWriteCallsPerRecordBurst <= 0.05 ? 'target ≤ 0.05: met' : 'target ≤ 0.05: MISSED']);
  rows.push(['BatchWriteItem per log record, trickle', sig(m.logs.batchWriteCallsPerRecordTrickle, 3), m.logs.batchWriteCallsPerRecordTrickle <= 0.05 ? 'target ≤ 0.05: met' : 'target ≤ 0.05: MISSED']);
}
if (diag) {
  for (const p of diag.passes.filter((x: { note?: string }) => !x.note)) {
    if (p.segments === 4 || p.hosts === Math.max(...diag.sizes)) rows.push([`diagnose ${p.hosts} hosts, ${p.segments} segments`, `${sig(p.seconds)} s`, `${sig(p.hostsPerSecond)} hosts/s, ${sig(p.readUnits)} RU`]);
  }
}
if (e2e) {
  for (const r of e2e.results) rows.push([`e2e ${r.what}`, Number.isFinite(r.perSecond) ? `${sig(r.perSecond)}/s` : '—', `p50 ${sig(r.latencyMs.p50)} ms, p99 ${sig(r.latencyMs.p99)} ms`]);
  rows.push(['e2e deadline → notification', `p50 ${sig(e2e.deadlineToNotificationMs.p50)} ms`, `p99 ${sig(e2e.deadlineToNotificationMs.p99)} ms`]);
}
if (bundles) {
  for (const b of bundles.bundles) rows.push([`bundle ${b.fn}, ${b.variant.slice(0, 2)}`, `${sig(b.minifiedBytes / 1024)} KB`, `${b.minifiedBytes <= 250 * 1024 ? 'met' : 'MISSED'} (≤ 250 KB), init ${sig(b.initMs.p50)} ms`]);
}
if (cost) rows.push(['10k hosts, 60 s beats, no logs', `$${cost.estimate.perHost.toFixed(4)}/host/month`, cost.estimate.perHost <= 0.03 ? 'target ≤ $0.03: met' : `target ≤ $0.03: MISSED by $${(cost.estimate.perHost - 0.03).toFixed(4)}`]);

console.log(`\n== Summary (${quick ? 'quick' : 'full'} run, ${sig((Date.now() - started) / 60_000)} min)\n   ${describeMachine()}\n`);
console.log(table(rows));
if (failed.length) {
  console.error(`\nfailed parts: ${failed.join(', ')}`);
  process.exit(1);
}
