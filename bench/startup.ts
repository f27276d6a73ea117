/**
 * Start-up time of the local cloud (`npm start`): from spawning the process to "ready" (tables
 * and queues provisioned, functions loaded, pollers and schedules running), as an operator sees
 * it. Each run is a fresh process, stopped with SIGINT before the next. Scenarios:
 *
 * - after install: the first start on a fresh data directory, with the template that `prepare`
 *   packaged at install (scripts/package-template.ts, run untimed into an empty cache): target 8 s;
 * - no template: an empty template cache, so `serverless package` runs (it bundles every
 *   function): what the first start cost before `prepare` packaged the template; no target;
 * - first start: a cached template, an empty data directory (tables are created);
 * - restart: the same data directory again (tables kept, queue snapshot restored);
 * - in memory: --in-memory.
 *
 * The warm scenarios (the last three) have a target of 3 s. One more scenario measures CPU, not
 * time: the CPU seconds of the cloud's process (every thread, so every Lambda environment) from
 * its spawn to 15 s after ready, in memory at `--tick 1`, as the end-to-end tests run it, once as
 * `npm start` starts its functions (one environment each, right after ready) and once with
 * `--lazy` (each at its first invocation, as the end-to-end clouds do), in alternate runs.
 *
 *   npx tsx bench/startup.ts [--quick] [--cpu-only]
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ListQueuesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { BENCH_DIR, header, isQuick, saveResult, table } from './support/report';
import { sig, summarize, type Summary } from './support/stats';

const quick = isQuick();
/** Only the CPU of a start, warmed and --lazy, without the timed scenarios (about 2 minutes). */
const cpuOnly = process.argv.includes('--cpu-only');
const ROOT = path.resolve(BENCH_DIR, '..');
const RUNS = quick ? 2 : 5;
const COLD_TARGET_MS = 8000;
const WARM_TARGET_MS = 3000;

interface Run {
  /** Spawn to the "ready" line, measured here. */
  readonly wallMs: number;
  /** What the cloud itself reports (from its first line of code to ready). */
  readonly reportedMs: number;
  /** With `settleMs`: the process's CPU seconds (user + system, every thread) up to settleMs after ready. */
  readonly cpuSeconds?: number;
}

/** User + system CPU seconds of a live process so far (Linux: /proc/<pid>/stat, in clock ticks of 1/100 s). */
function cpuSecondsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function startOnce(args: string[], env: Record<string, string> = {}, settleMs?: number): Promise<Run> {
  const t0 = performance.now();
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'tools', 'local', 'main.ts'), '--port', '0', '--quiet', ...args], {
    cwd: ROOT, env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((r) => child.on('exit', r));
  const { endpoint, reportedMs, wallMs } = await new Promise<{ endpoint: string; reportedMs: number; wallMs: number }>((resolve, reject) => {
    let text = '';
    const seen = (d: Buffer): void => {
      text += d.toString();
      const ready = /ready in ([\d.]+) s/.exec(text);
      const found = /endpoint\s+(http:\/\/[\d.]+:\d+)/.exec(text)?.[1];
      if (ready && found) resolve({ endpoint: found, reportedMs: Number(ready[1]) * 1000, wallMs: performance.now() - t0 });
    };
    child.stdout.on('data', seen);
    child.stderr.on('data', seen);
    void exited.then((code) => reject(new Error(`exited (${code}) before ready:\n${text}`)));
  });
  // Ready means usable: the first calls through AWS_ENDPOINT_URL find the resources.
  const config = { endpoint, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } };
  const sqs = new SQSClient(config);
  const ddb = new DynamoDBClient(config);
  const [queues, tables] = await Promise.all([sqs.send(new ListQueuesCommand({})), ddb.send(new ListTablesCommand({}))]);
  sqs.destroy();
  ddb.destroy();
  if (!queues.QueueUrls?.length || !tables.TableNames?.length) throw new Error('ready, but no queues or tables');
  let cpuSeconds: number | undefined;
  if (settleMs !== undefined) {
    await new Promise((r) => setTimeout(r, settleMs));
    cpuSeconds = cpuSecondsOf(child.pid as number);
  }
  child.kill('SIGINT');
  if ((await exited) !== 0) throw new Error('unclean stop');
  return { wallMs, reportedMs, ...(cpuSeconds === undefined ? {} : { cpuSeconds }) };
}

const scratch = mkdtempSync(path.join(tmpdir(), 'dts-bench-startup-'));
const results: Record<string, { runs: Run[]; wall: Summary; reported: Summary; targetMs?: number }> = {};
const record = (name: string, runs: Run[], targetMs?: number): void => {
  results[name] = { runs, wall: summarize(runs.map((r) => r.wallMs)), reported: summarize(runs.map((r) => r.reportedMs)), ...(targetMs ? { targetMs } : {}) };
};

try {
  header('local cloud start-up (npm start → ready)');
  if (!cpuOnly) await timeScenarios();
  const warmed: Run[] = [];
  const lazy: Run[] = [];
  for (let i = 0; i < (quick ? 1 : 3); i++) {
    warmed.push(await startOnce(['--in-memory', '--tick', '1'], {}, 15_000));
    lazy.push(await startOnce(['--in-memory', '--tick', '1', '--lazy'], {}, 15_000));
  }
  const cpu = summarize(warmed.map((r) => r.cpuSeconds as number));
  const cpuLazy = summarize(lazy.map((r) => r.cpuSeconds as number));

  if (!cpuOnly) {
    const rows: (string | number)[][] = [['scenario', 'n', 'p50 s', 'max s', 'target']];
    for (const [name, r] of Object.entries(results)) {
      const target = r.targetMs === undefined ? '—' : `≤ ${r.targetMs / 1000} s: ${r.wall.max <= r.targetMs ? 'met' : 'missed'}`;
      rows.push([name, r.wall.n, sig(r.wall.p50 / 1000), sig(r.wall.max / 1000), target]);
    }
    console.log(table(rows));
    console.log('\n(spawn of `node --import tsx tools/local/main.ts` to its "ready" line; the first calls through the endpoint then succeed)');
  }
  console.log(`\nCPU of a start, in memory at --tick 1, from spawn to 15 s after ready (user + system, every thread):`);
  console.log(`  every function warmed (npm start): p50 ${sig(cpu.p50)} s, max ${sig(cpu.max)} s (n = ${cpu.n})`);
  console.log(`  --lazy (the end-to-end clouds):    p50 ${sig(cpuLazy.p50)} s, max ${sig(cpuLazy.max)} s (n = ${cpuLazy.n})`);
  const flags = [quick ? ' --quick' : '', cpuOnly ? ' --cpu-only' : ''].join('');
  saveResult(cpuOnly ? 'startup-cpu' : 'startup', `npx tsx bench/startup.ts${flags}`, quick, {
    ...results, cpuOfAStart: { runs: warmed, cpuSeconds: cpu }, cpuOfALazyStart: { runs: lazy, cpuSeconds: cpuLazy },
  });
} finally {
  rmSync(scratch, { recursive: true, force: true });
}

/** The scenarios timed from spawn to ready (all but --cpu-only's). */
async function timeScenarios(): Promise<void> {
  const installed: Run[] = [];
  for (let i = 0; i < (quick ? 1 : 3); i++) {
    const cache = path.join(scratch, `installed-cache-${i}`);
    execFileSync(process.execPath, ['--no-warnings', '--import', 'tsx', path.join(ROOT, 'scripts', 'package-template.ts')], { cwd: ROOT, env: { ...process.env, DTS_LOCAL_CACHE_DIR: cache }, stdio: 'ignore' });
    installed.push(await startOnce(['--data-dir', path.join(scratch, `installed-${i}`)], { DTS_LOCAL_CACHE_DIR: cache }));
  }
  record('cold: first start after install (template from prepare)', installed, COLD_TARGET_MS);
  const cold: Run[] = [];
  for (let i = 0; i < (quick ? 1 : 2); i++) {
    cold.push(await startOnce(['--data-dir', path.join(scratch, `cold-${i}`)], { DTS_LOCAL_CACHE_DIR: path.join(scratch, `cache-${i}`) }));
  }
  record('no template yet (serverless package runs first)', cold);
  // Warm the shared cache once, as the first `npm start` on a machine does.
  await startOnce(['--in-memory']);
  const first: Run[] = [];
  const restart: Run[] = [];
  for (let i = 0; i < RUNS; i++) {
    const dir = path.join(scratch, `data-${i}`);
    first.push(await startOnce(['--data-dir', dir]));
    restart.push(await startOnce(['--data-dir', dir]));
  }
  record('warm: first start (cached template)', first, WARM_TARGET_MS);
  record('warm: restart on the same data dir', restart, WARM_TARGET_MS);
  const memory: Run[] = [];
  for (let i = 0; i < RUNS; i++) memory.push(await startOnce(['--in-memory']));
  record('warm: in memory', memory, WARM_TARGET_MS);
}
