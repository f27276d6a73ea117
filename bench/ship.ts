/**
 * What a host and an operator pay for the shipped files (issue #15, item 2), measured beside a
 * bare `node -e 0` in the same run:
 *
 * - start-up: `dts --version` and `dts hosts` (10 hosts on a local cloud), from the packed
 *   package (npm pack, extracted: bin/dts.js runs dist/dts.cjs with a V8 code cache, no node_modules), and from the
 *   source through tsx (DTS_FROM_SOURCE=1), the way every command ran before the build. The
 *   commands run round-robin, so load on the machine falls on all of them alike;
 * - the agent (dist/dts-agent.mjs) at a fast clock: an hour's worth of beats at a 10 s interval
 *   (360) sent at a 0.25 s interval to the local cloud, with its RSS and CPU time read from
 *   /proc every second. A fast clock compresses the hour: the heap sees the same work, but
 *   timers and GC see less idle time than in a real hour;
 * - the size of each file, minified and gzipped.
 *
 *   npm run bench:ship [-- --quick]
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { createProducer } from '../lib/producer';
import { locateBackend } from '../lib/producer/locate';
import { agentUnitSettings, procStat } from './support/agent-process';
import { startBenchCloud } from './support/local-cloud';
import { BENCH_DIR, header, isQuick, saveResult, table } from './support/report';
import { sig, summarize, type Summary } from './support/stats';

const quick = isQuick();
const ROOT = path.resolve(BENCH_DIR, '..');
const RUNS = quick ? 5 : 15;
const BEATS = quick ? 60 : 360;
const FAST_INTERVAL_S = 0.25;
const scratch = mkdtempSync(path.join(tmpdir(), 'dts-bench-ship-'));
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('DTS_') && !k.startsWith('AWS_SDK_JS')));

/** Wall milliseconds of one run of `args`, which must exit 0 and print no SDK warning. */
function timeOnce(args: readonly string[], extraEnv: Record<string, string>): number {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, args, { env: { ...env, ...extraEnv }, encoding: 'utf8', cwd: scratch });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  if (/NodeVersionSupportWarning/.test(r.stderr)) throw new Error(`${args.join(' ')} printed the SDK's Node warning`);
  return ms;
}

interface Startup { readonly name: string; readonly ms: Summary; readonly ratio: number; readonly target?: number }

function startup(pkg: string, endpoint: string): Startup[] {
  const cloudEnv = { AWS_ENDPOINT_URL: endpoint, NO_COLOR: '1' };
  const cases: { name: string; args: string[]; env: Record<string, string>; base: string; target?: number }[] = [
    { name: 'node -e 0', args: ['-e', '0'], env: {}, base: 'node -e 0' },
    { name: 'dts --version (package)', args: [path.join(pkg, 'bin', 'dts.js'), '--version'], env: {}, base: 'node -e 0', target: 2 },
    { name: 'node dist/dts.cjs hosts (no code cache)', args: [path.join(pkg, 'dist', 'dts.cjs'), 'hosts'], env: cloudEnv, base: 'node -e 0' },
    { name: 'dts hosts (package)', args: [path.join(pkg, 'bin', 'dts.js'), 'hosts'], env: cloudEnv, base: 'node -e 0', target: 3 },
    { name: 'dts-agent --version', args: [path.join(pkg, 'dist', 'dts-agent.mjs'), '--version'], env: {}, base: 'node -e 0' },
    { name: 'dts hosts --help (source, tsx)', args: [path.join(ROOT, 'bin', 'dts.js'), 'hosts', '--help'], env: { DTS_FROM_SOURCE: '1' }, base: 'node -e 0' },
    { name: 'dts hosts (source, tsx)', args: [path.join(ROOT, 'bin', 'dts.js'), 'hosts'], env: { ...cloudEnv, DTS_FROM_SOURCE: '1' }, base: 'node -e 0' },
  ];
  const samples = new Map<string, number[]>(cases.map((c) => [c.name, []]));
  for (const c of cases) timeOnce(c.args, c.env); // warm the page cache
  for (let i = 0; i < RUNS; i++) for (const c of cases) samples.get(c.name)?.push(timeOnce(c.args, c.env));
  const base = summarize(samples.get('node -e 0') ?? []).p50;
  return cases.map((c) => {
    const ms = summarize(samples.get(c.name) ?? []);
    return { name: c.name, ms, ratio: ms.p50 / base, ...(c.target ? { target: c.target } : {}) };
  });
}

interface AgentRun { settings: string; beats: number; rssStartMB: number; rssEndMB: number; rssMaxMB: number; cpuPerBeatMs: number; cpuStartupMs: number; series: { beat: number; rssMB: number }[] }

async function agentRun(pkg: string, endpoint: string, asUnit: boolean): Promise<AgentRun> {
  const unit = asUnit ? agentUnitSettings() : { flags: [], env: {} };
  const child = spawn(process.execPath, [...unit.flags, path.join(pkg, 'dist', 'dts-agent.mjs'), '--interval', String(FAST_INTERVAL_S), '--jitter', '1', '--hostname', 'bench-agent', '--quiet'], {
    env: { ...env, ...unit.env, AWS_ENDPOINT_URL: endpoint }, stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const pid = child.pid as number;
  // The first beat goes out after 1 s of cpu window; count from there.
  await new Promise((r) => setTimeout(r, 1500));
  const first = procStat(pid);
  const t0 = performance.now();
  const series: { beat: number; rssMB: number }[] = [];
  let max = first.rssMB;
  while ((performance.now() - t0) / 1000 < BEATS * FAST_INTERVAL_S) {
    await new Promise((r) => setTimeout(r, 1000));
    const s = procStat(pid);
    max = Math.max(max, s.rssMB);
    series.push({ beat: Math.round((performance.now() - t0) / 1000 / FAST_INTERVAL_S), rssMB: s.rssMB });
  }
  const last = procStat(pid);
  const beats = Math.round((performance.now() - t0) / 1000 / FAST_INTERVAL_S);
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  child.kill('SIGTERM');
  if ((await exited) !== 0) throw new Error(`the agent did not stop cleanly: ${stderr}`);
  return { settings: asUnit ? `as the unit runs it: ${[...Object.entries(unit.env).map(([k, v]) => `${k}=${v}`), 'node', ...unit.flags].join(' ')}` : 'plain node', beats, rssStartMB: first.rssMB, rssEndMB: last.rssMB, rssMaxMB: max, cpuPerBeatMs: (last.cpuMs - first.cpuMs) / beats, cpuStartupMs: first.cpuMs, series };
}

function sizes(pkg: string): { file: string; bytes: number; gzipBytes: number }[] {
  return ['dist/dts.cjs', 'dist/dts-agent.mjs', 'dist/index.js'].map((f) => {
    const file = path.join(pkg, f);
    return { file: f, bytes: statSync(file).size, gzipBytes: gzipSync(readFileSync(file), { level: 9 }).length };
  });
}

async function main(): Promise<void> {
  header('shipping: start-up, the agent\'s memory and CPU, file sizes');
  execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'ignore' });
  const packed = JSON.parse(execFileSync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', scratch], { cwd: ROOT, encoding: 'utf8' })) as { filename: string; size: number }[];
  execFileSync('tar', ['-xzf', path.join(scratch, packed[0]?.filename ?? ''), '-C', scratch]);
  const pkg = path.join(scratch, 'package');
  const cloud = await startBenchCloud({ stage: 'dev' });
  try {
    // Ten hosts for `dts hosts` to list.
    const backend = await locateBackend({ endpoint: cloud.endpoint, need: ['heartbeatsQueueUrl'] });
    const producer = createProducer({ ...backend.client, heartbeatsQueueUrl: backend.require('heartbeatsQueueUrl'), flushOnExit: false });
    for (let i = 0; i < 10; i++) await producer.heartbeat({ hostname: `bench-host-${i}`, cpu: { percent: 10 + i } });
    await producer.close();

    const starts = startup(pkg, cloud.endpoint);
    console.log(table([
      ['command', 'n', 'p50 ms', 'max ms', '× node -e 0', 'target'],
      ...starts.map((s) => [s.name, s.ms.n, sig(s.ms.p50), sig(s.ms.max), sig(s.ratio), s.target ? `≤ ${s.target}× ${s.ratio <= s.target ? 'yes' : 'NO'}` : '—']),
    ]));

    const agents: AgentRun[] = [];
    for (const asUnit of [true, false]) {
      const agent = await agentRun(pkg, cloud.endpoint, asUnit);
      agents.push(agent);
      console.log(`\nagent, ${agent.settings}: ${agent.beats} beats at ${FAST_INTERVAL_S} s (an hour at 10 s is 360): RSS ${sig(agent.rssStartMB)} MB after the first beat, ` +
        `${sig(agent.rssEndMB)} MB at the end, ${sig(agent.rssMaxMB)} MB at most (target ≤ 60 MB); CPU ${sig(agent.cpuPerBeatMs)} ms per beat, ${sig(agent.cpuStartupMs)} ms to start`);
    }

    const files = sizes(pkg);
    console.log(`\n${table([['file', 'KB', 'gzip KB'], ...files.map((f) => [f.file, sig(f.bytes / 1024), sig(f.gzipBytes / 1024)]), ['the tarball', '—', sig((packed[0]?.size ?? 0) / 1024)]])}`);
    saveResult('ship', `npm run bench:ship${quick ? ' -- --quick' : ''}`, quick, { runs: RUNS, startup: starts, agents, files, tarballBytes: packed[0]?.size });
  } finally {
    await cloud.stop();
    rmSync(scratch, { recursive: true, force: true });
  }
}

await main();
