/**
 * `npm run cost`: what dts costs on AWS for a fleet, from the counted requests
 * (bench/measured.json) and the list prices (bench/prices.json), beside the alternatives.
 *
 *   npm run cost -- --hosts 10000 --interval 60 --log-records-per-host-per-day 5000 --record-bytes 200
 *   npm run cost -- --checks 10000 --every 1h          (checks: docs/CHECKS.md, "Cost")
 *   npm run cost -- --status-views 1000000
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { alternativePerHost, checkEstimate, DEFAULT_FLEET, estimate, type Fleet, type Prices } from '../tools/cost/model';
import { statusViewsEstimate, type StatusPrices } from '../tools/cost/status';
import { parseDuration } from '../lib/domain/check/schedule';
import { readMeasured } from './support/measured';
import { BENCH_DIR, saveResult, table } from './support/report';
import { sig } from './support/stats';
import { fullInvocationRecords, ruleCost } from '../tools/cost/rules';

/** `npm run cost -- --rules 20`: what log rules add per million records, for a busy fleet and a trickle. */
async function printRuleCost(rules: number, diagnoseEvery: number, json: boolean): Promise<void> {
  const prices = JSON.parse(readFileSync(path.join(BENCH_DIR, 'prices.json'), 'utf8')) as Prices & { asOf: string; region: string };
  const measured = readMeasured();
  // Measured with 20 rules; other counts scale it, since each record is tried against each rule of its app.
  const match = (measured.ruleMatchMicrosPerRecord ?? 0) * (rules / 20);
  const sdk = measured.cpuMicrosPerBeat ?? 400;
  const rows = [
    ['a busy fleet (full batches)', fullInvocationRecords(measured)],
    ['a trickle (one record an invocation)', 1],
  ].map(([name, perInvocation]) => ({
    name: name as string, recordsPerInvocation: perInvocation as number,
    cost: ruleCost({ rules, recordsPerInvocation: perInvocation as number, matchMicrosPerRecord: match, sdkMicrosPerWrite: sdk, logsMemoryMb: 1024, diagnoseEverySeconds: diagnoseEvery, warmContainers: 10 }, prices),
  }));
  if (json) {
    console.log(JSON.stringify({ rules, matchMicrosPerRecord: match, sdkMicrosPerWrite: sdk, rows }, null, 2));
    return;
  }
  const usd = (n: number) => (n >= 1 ? `$${n.toFixed(2)}` : `$${n.toFixed(4)}`);
  console.log(`\n== what ${rules} log rules add (docs/RULES.md); prices: ${prices.region}, as of ${prices.asOf}`);
  console.log(`   CPU: ${sig(match)} µs a record to try it against the rules (bench/measured.json, from bench/cpu.ts's 20), plus ${sig(sdk)} µs a write; writes: one counter item a minute per invocation whatever the rules, and a samples item at most once per warm function a minute (counted here once per invocation: the upper bound)\n`);
  console.log(table([
    ['ingest', 'records/invocation', 'counter writes / 1M records', 'samples writes / 1M records (at most)', 'WRU / 1M records', 'CPU µs / record', 'Lambda GB-s / 1M records', '$ / 1M records'],
    ...rows.map((r) => [r.name, sig(r.recordsPerInvocation), sig(r.cost.perMillionRecords.counterWrites), sig(r.cost.perMillionRecords.sampleWrites), sig(r.cost.perMillionRecords.writeUnits), `+${sig(r.cost.perMillionRecords.extraCpuMicrosPerRecord)}`, sig(r.cost.perMillionRecords.gbSeconds), usd(r.cost.perMillionRecords.dollars)]),
  ]));
  const month = rows[0]?.cost.perMonth;
  console.log(`\nand whatever the records: diagnose reads each rule's state and the minutes every ${diagnoseEvery} s, ingest's cache every 30 s (10 warm containers): ${sig(month?.readUnits ?? 0)} RRU, ${usd(month?.dollars ?? 0)} a month`);
}

function number(min: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isFinite(n) || n < min) throw new InvalidArgumentError(`expected a number ≥ ${min}`);
    return n;
  };
}

const program = new Command()
  .name('npm run cost --')
  .description('Monthly AWS cost of dts for a fleet: counted requests × list prices, with the alternatives beside it.')
  .option('--hosts <n>', 'hosts in the fleet (required unless --checks, --rules, or only --status-views is priced)', number(1))
  .option('--checks <n>', 'price checks (scheduled jobs) instead of hosts: docs/CHECKS.md', number(1))
  .option('--every <duration>', 'with --checks: how often each runs (10m, 1h, 1d)', '1h')
  .option('--signals-per-run <n>', 'with --checks: 1 for a curl at the end, 2 for dts run (start and end)', number(1), 1)
  .option('--via <path>', 'with --checks: sqs (CheckPing) or http (/ping on the API)', 'sqs')
  .option('--output-bytes <n>', 'with --checks: output each run sends, kept as a log record', number(0), 0)
  .option('--interval <seconds>', 'seconds between heartbeats', number(1), 60)
  .option('--log-records-per-host-per-day <n>', 'log records each host sends a day', number(0), 0)
  .option('--record-bytes <n>', 'bytes of text per log record', number(1), 200)
  .option('--linger <seconds>', "the producer's linger: how long a record waits for company", number(0), 1)
  .option('--diagnose-every <seconds>', 'seconds between diagnose passes', number(1), 60)
  .option('--billing <mode>', 'DynamoDB capacity mode: on-demand or provisioned', 'on-demand')
  .option('--no-mirror', 'without the LogTracer mirror of every record to CloudWatch Logs')
  .option('--relay', 'hosts beat through dts relays, which forward their beats in batches')
  .option('--hosts-per-relay <n>', 'with --relay: hosts behind each relay', number(1), 500)
  .option('--relay-flush <seconds>', 'with --relay: the longest a relay holds a beat (dts relay --flush; a third of the interval at most)', number(1), 20)
  .option('--host-item-bytes <n>', 'bytes of a host item instead of the measured one (bench/measured.json)', number(1))
  .option('--diagnose-workers <n>', 'diagnose fanned out to at most this many workers (serverless.yml diagnoseWorkers; 1: none)', number(1), 1)
  .option('--diagnose-hosts-per-worker <n>', 'hosts per diagnose worker (serverless.yml diagnoseHostsPerWorker)', number(1), 50_000)
  .option('--status-views <n>', 'status page views a month (docs/STATUS.md): priced on their own', number(0))
  .option('--status-groups <n>', 'with --status-views: groups on the page', number(1), 2)
  .option('--rules <n>', 'what n log rules add per million records (docs/RULES.md), instead of the fleet estimate', number(1))
  .option('--json', 'print the estimate as JSON', false)
  .showHelpAfterError();

const o = program.parse().opts<{
  checks?: number; every: string; signalsPerRun: number; via: string; outputBytes: number;
  hosts?: number; interval: number; logRecordsPerHostPerDay: number; recordBytes: number; linger: number;
  diagnoseEvery: number; billing: string; mirror: boolean; json: boolean; relay?: boolean; hostsPerRelay: number; relayFlush: number;
  hostItemBytes?: number; diagnoseWorkers: number; diagnoseHostsPerWorker: number; statusViews?: number; statusGroups: number;
}>();
if (o.billing !== 'on-demand' && o.billing !== 'provisioned') program.error('--billing must be on-demand or provisioned');
const ruleCount = (program.opts<{ rules?: number }>()).rules;
if (ruleCount !== undefined) {
  await printRuleCost(ruleCount, o.diagnoseEvery, o.json);
  process.exit(0);
}
if (o.hosts === undefined && o.statusViews === undefined && o.checks === undefined) program.error('give --hosts (the fleet), --checks (scheduled jobs), --rules (log rules) or --status-views (status page views a month)');

const prices = JSON.parse(readFileSync(path.join(BENCH_DIR, 'prices.json'), 'utf8')) as Prices & StatusPrices & { asOf: string; region: string };
if (o.statusViews !== undefined) {
  const sv = statusViewsEstimate(o.statusViews, o.statusGroups, prices, { memoryMb: DEFAULT_FLEET.lambdaMemoryMb, msPerView: DEFAULT_FLEET.lambdaIoMsPerInvocation });
  if (o.json) console.log(JSON.stringify({ statusViews: o.statusViews, statusGroups: o.statusGroups, estimate: sv }, null, 2));
  else {
    const usd = (n: number) => (n >= 100 ? `$${n.toFixed(0)}` : n >= 1 ? `$${n.toFixed(2)}` : `$${n.toFixed(4)}`);
    console.log(`\n== status pages: ${o.statusViews} views a month of a page with ${o.statusGroups} groups and 90 days of bars, none served from a cache`);
    console.log(`   prices: ${prices.region}, list prices as of ${prices.asOf} (bench/prices.json)\n`);
    console.log(table([['service', 'item', 'quantity / month', 'unit', '$/month'], ...sv.lines.map((l) => [l.service, l.item, sig(l.quantity), l.unit, usd(l.dollars)])]));
    console.log(`\n${usd(sv.total)}/month · ${usd(sv.perMillion)} per million views; answers: HTML ${sv.answerBytes.html} B (${sv.answerBytes.htmlGzip} B gzipped), JSON ${sv.answerBytes.json} B, badge ${sv.answerBytes.badge} B`);
    console.log('a CDN in front (the answers say Cache-Control: public, max-age=30) turns views into one request per page per 30 s per edge');
  }
  saveResult('cost-status', `npm run cost -- ${process.argv.slice(2).join(' ')}`, false, { statusViews: o.statusViews, statusGroups: o.statusGroups, estimate: sv });
}
if (o.checks !== undefined) {
  const every = parseDuration(o.every);
  if (typeof every === 'string') program.error(`--every: ${every}`);
  if (o.via !== 'sqs' && o.via !== 'http') program.error('--via must be sqs or http');
  const fleet = { checks: o.checks, everySeconds: (every as number) / 1000, signalsPerRun: o.signalsPerRun, via: o.via as 'sqs' | 'http', outputBytes: o.outputBytes, diagnoseEvery: o.diagnoseEvery };
  const c = checkEstimate(fleet, prices);
  if (o.json) console.log(JSON.stringify({ fleet, estimate: c }, null, 2));
  else {
    const usd = (n: number) => (n >= 100 ? `$${n.toFixed(0)}` : n >= 1 ? `$${n.toFixed(2)}` : `$${n.toFixed(5)}`);
    console.log(`\n== dts cost: ${o.checks} checks, each run every ${o.every}, ${o.signalsPerRun} signal(s) a run via ${o.via}, DynamoDB on-demand`);
    console.log(`   prices: ${prices.region}, list prices as of ${prices.asOf} (bench/prices.json; API Gateway's $1.00/M HTTP API requests: verify)\n`);
    console.log(table([['service', 'item', 'quantity / month', 'unit', '$/month'], ...c.lines.map((l) => [l.service, l.item, sig(l.quantity), l.unit, usd(l.dollars)])]));
    const hc = prices.alternatives.find((a) => a.name.startsWith('Healthchecks'));
    console.log(`\nchecks: ${usd(c.total)}/month · per check: ${usd(c.perCheck)}/month${hc?.perHostMonth ? `   (${hc.name}: ${usd(hc.perHostMonth)}/check, ${sig(hc.perHostMonth / c.perCheck)}×)` : ''}`);
  }
  saveResult('cost-checks', `npm run cost -- ${process.argv.slice(2).join(' ')}`, false, { fleet, estimate: c });
  process.exit(0);
}
if (o.hosts === undefined) process.exit(0);
const measured = readMeasured();
const fleet: Partial<Fleet> & { hosts: number } = {
  hosts: o.hosts, interval: o.interval, logRecordsPerHostPerDay: o.logRecordsPerHostPerDay, recordBytes: o.recordBytes,
  lingerSeconds: o.linger, diagnoseEvery: o.diagnoseEvery, billing: o.billing as Fleet['billing'], mirrorLogs: o.mirror,
  ...(o.relay ? { relay: { hostsPerRelay: o.hostsPerRelay, flushSeconds: o.relayFlush } } : {}),
  ...(o.hostItemBytes !== undefined ? { hostItemBytes: o.hostItemBytes } : {}),
  ...(o.diagnoseWorkers > 1 ? { diagnoseWorkers: o.diagnoseWorkers, diagnoseHostsPerWorker: o.diagnoseHostsPerWorker } : {}),
};
const e = estimate(fleet, measured, prices);
const other = estimate({ ...fleet, billing: o.billing === 'on-demand' ? 'provisioned' : 'on-demand' }, measured, prices);

if (o.json) {
  console.log(JSON.stringify({ fleet, estimate: e }, null, 2));
} else {
  const usd = (n: number) => (n >= 100 ? `$${n.toFixed(0)}` : n >= 1 ? `$${n.toFixed(2)}` : `$${n.toFixed(4)}`);
  console.log(`\n== dts cost: ${o.hosts} hosts${o.relay ? ` behind relays of ${o.hostsPerRelay} (a beat held ${o.relayFlush} s or a third of its interval at most)` : ''}, beat every ${o.interval} s, ${o.logRecordsPerHostPerDay} log records/host/day of ${o.recordBytes} B, DynamoDB ${o.billing}`);
  console.log(`   prices: ${prices.region}, list prices as of ${prices.asOf} (bench/prices.json; entries marked "verify" need checking); counts: ${measured.source} on ${measured.date.slice(0, 10)}\n`);
  console.log(table([
    ['service', 'item', 'quantity / month', 'unit', '$/month'],
    ...e.lines.map((l) => [l.service, l.item, sig(l.quantity), l.unit, usd(l.dollars)]),
  ]));
  console.log('');
  console.log(table([
    ['by service', '$/month', 'share'],
    ...Object.entries(e.byService).sort(([, a], [, b]) => b - a).map(([s, d]) => [s, usd(d), `${((d / e.total) * 100).toFixed(1)}%`]),
  ]));
  const itemBytes = e.derived.hostItemBytes ?? 0;
  console.log(`\nhost item: ${Math.round(itemBytes)} B${o.hostItemBytes === undefined ? ` (measured: ${measured.source})` : ' (--host-item-bytes)'}, ${e.derived.writeUnitsPerBeat} WRU a beat; ` +
    `${Math.ceil(itemBytes / 1024) * 1024 - Math.round(itemBytes)} B more before a beat costs ${(e.derived.writeUnitsPerBeat ?? 1) + 1} WRU`);
  console.log(`fleet: ${usd(e.total)}/month · per host: ${usd(e.perHost)}/month   (with DynamoDB ${o.billing === 'on-demand' ? 'provisioned' : 'on-demand'}: ${usd(other.total)}/month, ${usd(other.perHost)}/host)`);
  if (o.logRecordsPerHostPerDay === 0 && o.interval === 60) {
    const target = o.relay && o.billing === 'provisioned' ? 0.015 : 0.03;
    console.log(`target ≤ $${target}/host/month at 60 s beats without logs${o.relay ? ` through relays, ${o.billing}` : ''}: ${e.perHost <= target ? 'met' : `MISSED by ${usd(e.perHost - target)} (${((e.perHost / target - 1) * 100).toFixed(0)}% over)`}`);
  }
  console.log('\nAlternatives, per host per month (list prices; see bench/prices.json for date and source):\n');
  console.log(table([
    ['alternative', '$/host/month', '× dts', 'as of'],
    ['dts (this estimate)', usd(e.perHost), '1×', prices.asOf],
    ...prices.alternatives.map((a) => {
      const per = alternativePerHost(a, prices);
      return [a.name, usd(per), `${sig(per / e.perHost)}×`, a.asOf];
    }),
  ]));
}
saveResult('cost', `npm run cost -- ${process.argv.slice(2).join(' ')}`, false, { fleet, estimate: e });
