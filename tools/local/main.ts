/**
 * `npm start`: the whole system on one machine, with no Docker. See docs/LOCAL.md.
 */
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, InvalidArgumentError } from 'commander';
import { quietSdkNodeWarning } from '../../lib/producer/sdk-warning';
import { startLocalCloud, type LocalCloud } from './cloud';
import { issueStartKey } from './console-key';
import { templateCacheDir } from './template/packaged';
import { exposureWarning } from './exposure';

// Before any client is made: the SDK's Node-22 notice is noise on the Node 20 that dts supports.
quietSdkNodeWarning();

const SERVICE_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

function positiveNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a positive number');
  return n;
}

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('expected a port number (0 picks a free one)');
  return n;
}

function param(value: string, previous: Record<string, string>): Record<string, string> {
  const eq = value.indexOf('=');
  if (eq <= 0) throw new InvalidArgumentError('expected NAME=VALUE');
  return { ...previous, [value.slice(0, eq)]: value.slice(eq + 1) };
}

const program = new Command()
  .name('npm start --')
  .description('Run dts locally: DynamoDB (dynalite), SQS and SNS (fauxqs) behind one AWS endpoint, with the functions of serverless.yml invoked as Lambda invokes them.')
  .option('-p, --port <port>', 'edge port for every AWS API', port, 4566)
  .option('--host <address>', 'interface to listen on', '127.0.0.1')
  .option('-d, --data-dir <dir>', 'where tables and queued messages are kept', '.dts')
  .option('--in-memory', 'keep nothing on disk: every start is empty', false)
  .option('-t, --tick <seconds>', 'run diagnose (every schedule but the report\'s) at this period instead of its own', positiveNumber)
  .option('--report-every <seconds>', 'run the report at this period instead of its cron', positiveNumber)
  .option('-s, --stage <stage>', 'serverless stage, which names the resources', 'local')
  .option('-r, --region <region>', 'AWS region of the resources', 'us-east-1')
  .option('--param <name=value>', 'serverless param override (repeatable), e.g. --param tolerance=2', param, {})
  .option('--template <file>', 'a CloudFormation JSON file to run instead of packaging serverless.yml')
  .option('--faults <spec>', 'inject faults, e.g. "dynamodb:BatchWriteItem=throttle,count=3" (docs/LOCAL.md, "Fault injection"); change them live at /_dts/faults')
  .option('--lazy', 'start each function\'s first environment at its first invocation, as Lambda does, not at start-up: less CPU and memory; an init error shows when the function is first invoked', false)
  .option('-q, --quiet', 'print only the summary, alerts and errors, not function output', false)
  .option('-v, --verbose', 'list every queue, table, notice and variable at start, print the functions\' metric (EMF) lines, and log at DEBUG', false)
  .showHelpAfterError();

interface Options {
  port: number;
  host: string;
  dataDir: string;
  inMemory: boolean;
  tick?: number;
  reportEvery?: number;
  stage: string;
  region: string;
  param: Record<string, string>;
  template?: string;
  faults?: string;
  lazy: boolean;
  quiet: boolean;
  verbose: boolean;
}

const opts = program.parse().opts<Options>();
const out = (line: string): void => void process.stdout.write(`${line}\n`);
// EMF lines are metrics for CloudWatch, which the local cloud does not have: printed with --verbose.
const functionOutput = opts.quiet ? () => undefined : opts.verbose ? out : (line: string) => {
  if (!/^\[[^\]]+\] \{"_aws":/.test(line)) out(line);
};

let cloud: LocalCloud | undefined;
let stopRequested: { reason: string; at: number } | undefined;

function shutdown(running: LocalCloud, reason: string): void {
  out(`${reason}: stopping schedules, then pollers, finishing what is in flight…`);
  running.stop().then(({ snapshotted }) => {
    out(opts.inMemory ? 'stopped (in memory: nothing kept)' : `stopped; ${snapshotted} queued message(s) saved to ${path.join(opts.dataDir, 'queues.json')}`);
    process.exit(0);
  }, (e: Error) => {
    console.error(`dts local: unclean stop: ${e.stack ?? e.message}`);
    process.exit(1);
  });
}

/**
 * Every way a stop is asked for: SIGINT, SIGTERM or SIGHUP to this process, or the death of its
 * parent (npm, a supervisor) that would otherwise leave it running detached.
 */
function requestStop(reason: string): void {
  const now = Date.now();
  if (stopRequested) {
    // Ctrl-C reaches both npm and this process, and npm forwards its copy: one keypress, two
    // signals within milliseconds. Only a later one means "now".
    if (now - stopRequested.at < DUPLICATE_SIGNAL_MS) return;
    out(`${reason} again: exiting now. Acknowledged messages are safe in the journal; in-flight batches come back after a restart.`);
    releaseLockNow();
    process.exit(130);
  }
  stopRequested = { reason, at: now };
  if (cloud) shutdown(cloud, reason);
  else out(`${reason}: stopping as soon as start-up has finished…`);
}

const DUPLICATE_SIGNAL_MS = 500;

/** An immediate exit leaves no lock behind (the next start would take a stale one over anyway). */
function releaseLockNow(): void {
  if (opts.inMemory) return;
  const lock = path.join(path.resolve(opts.dataDir), 'cloud.pid');
  try {
    if (readFileSync(lock, 'utf8').trim() === String(process.pid)) rmSync(lock, { force: true });
  } catch {
    // No lock: nothing to release.
  }
}

// Installed before start-up, so that a signal during it still ends in a clean stop.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => requestStop(signal));

// npm (or any parent) that dies without passing a signal on leaves this process orphaned: its
// parent id changes. Then it stops as if told to.
const parentAtStart = process.ppid;
if (parentAtStart > 1) {
  const watch = setInterval(() => {
    if (process.ppid === parentAtStart) return;
    clearInterval(watch);
    requestStop(`parent process ${parentAtStart} exited`);
  }, 1000).unref();
}

const exposed = exposureWarning(opts.host, opts.port);
if (exposed) console.error(exposed);

try {
  cloud = await startLocalCloud({
    serviceDir: SERVICE_DIR,
    stage: opts.stage,
    region: opts.region,
    port: opts.port,
    host: opts.host,
    dataDir: path.resolve(opts.dataDir),
    inMemory: opts.inMemory,
    ...(opts.tick ? { tick: opts.tick } : {}),
    ...(opts.reportEvery ? { reportEvery: opts.reportEvery } : {}),
    ...(opts.template ? { templateFile: path.resolve(opts.template) } : {}),
    ...(opts.faults ? { faults: opts.faults } : {}),
    cacheDir: templateCacheDir(SERVICE_DIR),
    ...(Object.keys(opts.param).length > 0 ? { params: opts.param } : {}),
    ...(opts.verbose ? { functionLogLevel: 'DEBUG' } : {}),
    lazy: opts.lazy,
    print: (line) => (line.startsWith('[') ? functionOutput(line) : out(line)),
  });
} catch (e) {
  console.error(`dts local: could not start: ${(e as Error).message}`);
  process.exit(1);
}

if (stopRequested) shutdown(cloud, stopRequested.reason);
else {
  if (opts.verbose) printSummary(cloud, opts);
  else printBrief(cloud, opts);
  if (cloud.httpApiUrl) out(`Console    ${cloud.httpApiUrl}   (API at ${cloud.httpApiUrl}api/v1)\n  key      ${await issueStartKey(cloud.plan, cloud.endpoint, opts.region) ?? '(no ApiKeysTable in the template)'}   (a write key; each start makes a new one)\n`);
}

function printSummary(c: LocalCloud, o: Options): void {
  const { plan } = c;
  const short = (fn: string): string => (fn.startsWith(`${plan.stackName}-`) ? fn.slice(plan.stackName.length + 1) : fn);
  const lines: string[] = [];
  lines.push('', `dts local cloud — stage ${o.stage}, region ${o.region}`, `  endpoint   ${c.endpoint}   (DynamoDB, SQS, SNS, STS)`);
  lines.push(`  data       ${o.inMemory ? 'in memory (nothing kept)' : path.resolve(o.dataDir)}`);
  lines.push(`  template   ${c.templateSource}`);
  lines.push('', 'Queues');
  for (const q of plan.queues) {
    const redrive = q.attributes.RedrivePolicy ? JSON.parse(q.attributes.RedrivePolicy) as { deadLetterTargetArn: string; maxReceiveCount: number } : undefined;
    lines.push(`  ${q.url}${redrive ? `   → DLQ ${redrive.deadLetterTargetArn.split(':').pop()} after ${redrive.maxReceiveCount} receives` : ''}`);
  }
  if (c.restoredMessages > 0) lines.push(`  (${c.restoredMessages} message(s) restored from the last shutdown)`);
  lines.push('', 'Tables');
  for (const t of plan.tables) lines.push(`  ${t.name}${c.tablesKept.includes(t.name) ? '   (existing data kept)' : ''}`);
  lines.push('', 'Topics');
  for (const t of plan.topics) lines.push(`  ${t.arn}   (alerts are printed here)`);
  lines.push('', 'Functions');
  for (const m of c.mappings) {
    lines.push(`  ${short(m.mapping.functionName)} ← ${m.queue.name}: batch ${m.mapping.batchSize}, window ${m.mapping.batchingWindowSeconds} s${m.mapping.reportBatchItemFailures ? ', partial batch failures' : ''}`);
  }
  for (const s of c.scheduler.entries) {
    lines.push(`  ${s.plan.targets.map((t) => short(t.functionName)).join(', ')} ← ${s.schedule.description}`);
  }
  const faults = c.faults.list();
  if (faults.length > 0) {
    lines.push('', `Faults injected (change them at ${c.endpoint}/_dts/faults)`);
    for (const f of faults) lines.push(`  ${f.id}  ${f.rule}`);
  }
  if (c.notices.length > 0) {
    lines.push('', 'Notices (what the local engines do not honour)');
    for (const n of groupNotices(c.notices)) lines.push(`  - ${n}`);
  }
  const out0 = plan.outputs;
  lines.push('', 'Point the aws CLI, the SDKs and the dts tools at it:');
  lines.push(`  export AWS_ENDPOINT_URL=${c.endpoint} AWS_REGION=${o.region} AWS_DEFAULT_REGION=${o.region}`);
  lines.push('  export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test');
  for (const [name, value] of Object.entries(out0)) {
    const env = envNameOf(name);
    if (env) lines.push(`  export ${env}=${value}`);
  }
  const hb = plan.queues.find((q) => q.logicalId === 'HeartbeatsQueue');
  if (hb) {
    lines.push('', 'Try it:');
    lines.push(`  aws --endpoint-url ${c.endpoint} sqs send-message --queue-url ${hb.url} \\`);
    lines.push(`    --message-body "{\\"hostname\\":\\"web-1\\",\\"timestamp\\":$(date +%s),\\"interval\\":10,\\"cpu\\":{\\"percent\\":12}}"`);
    const hosts = plan.tables.find((t) => t.logicalId === 'HostsTable');
    if (hosts) lines.push(`  aws --endpoint-url ${c.endpoint} dynamodb scan --table-name ${hosts.name}`);
  }
  lines.push('', `ready in ${(c.startupMs / 1000).toFixed(1)} s — Ctrl-C stops it cleanly`, '');
  out(lines.join('\n'));
}

/**
 * What an operator needs to start, in at most 20 lines: where the cloud is, what it holds, and
 * the lines that point tools at it. The dts tools find every other name themselves; --verbose
 * lists them all.
 */
function printBrief(c: LocalCloud, o: Options): void {
  const { plan } = c;
  const short = (fn: string): string => (fn.startsWith(`${plan.stackName}-`) ? fn.slice(plan.stackName.length + 1) : fn);
  const count = (n: number, what: string): string => `${n} ${what}${n === 1 ? '' : 's'}`;
  const lines: string[] = ['', `dts local cloud — stage ${o.stage}, region ${o.region}`, `  endpoint   ${c.endpoint}   (DynamoDB, SQS, SNS, STS)`];
  lines.push(`  data       ${o.inMemory ? 'in memory (nothing kept)' : path.resolve(o.dataDir)}${c.restoredMessages > 0 ? `; ${c.restoredMessages} queued message(s) restored` : ''}`);
  lines.push(`  template   ${c.templateSource}`);
  lines.push(`  resources  ${count(plan.queues.length, 'queue')}, ${count(plan.tables.length, 'table')}, ${count(plan.topics.length, 'topic')} (alerts are printed here)`);
  const triggers = [...c.mappings.map((m) => short(m.mapping.functionName)), ...c.scheduler.entries.map((s) => `${s.plan.targets.map((t) => short(t.functionName)).join('+')} (${s.schedule.description})`)];
  lines.push(`  functions  ${triggers.join(', ')}`);
  const faults = c.faults.list();
  if (faults.length > 0) lines.push(`  faults     ${faults.map((f) => f.rule).join('; ')}   (${c.endpoint}/_dts/faults)`);
  if (c.notices.length > 0) lines.push(`  notices    ${groupNotices(c.notices).length} kinds of thing the local engines do not honour (--verbose lists them)`);
  lines.push('', 'Point the aws CLI, the SDKs and the dts tools at it (dts finds the tables itself; --verbose lists every name):');
  lines.push(`  export AWS_ENDPOINT_URL=${c.endpoint} AWS_REGION=${o.region} AWS_DEFAULT_REGION=${o.region}`);
  lines.push('  export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test');
  const queue = (id: string): string | undefined => plan.queues.find((q) => q.logicalId === id)?.url;
  const sends = [['DTS_HEARTBEATS_QUEUE_URL', queue('HeartbeatsQueue')], ['DTS_LOGS_QUEUE_URL', queue('LogsQueue')]].filter(([, url]) => url !== undefined);
  if (sends.length > 0) lines.push(`  export ${sends.map(([k, v]) => `${k}=${v}`).join(' ')}`);
  lines.push('', `ready in ${(c.startupMs / 1000).toFixed(1)} s — Ctrl-C stops it cleanly`, '');
  out(lines.join('\n'));
}

/** The variable the dts tools read for a stack output: HostsTableName → DTS_HOSTS_TABLE. */
function envNameOf(output: string): string | undefined {
  if (/LambdaFunction|DeploymentBucket|HttpApi/.test(output)) return undefined;
  const snake = output.replace(/([a-z0-9])([A-Z])/g, '$1_$2').replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2').toUpperCase();
  return `DTS_${snake.replace(/_NAME$/, '')}`;
}

/** One line per kind of notice, naming every resource it applies to. */
function groupNotices(notices: readonly string[]): string[] {
  const groups = new Map<string, string[]>();
  for (const n of notices) {
    const m = /^([A-Za-z0-9]+)(\.[\w.]+| \([\w:]+\)): (.*)$/.exec(n);
    const key = m ? `${(m[2] as string).replace(/^\.|^ \(|\)$/g, '')}: ${m[3] as string}` : n;
    const ids = groups.get(key) ?? [];
    if (m) ids.push(m[1] as string);
    groups.set(key, ids);
  }
  return [...groups].map(([key, ids]) => (ids.length > 0 ? `${key} — ${ids.join(', ')}` : key));
}
