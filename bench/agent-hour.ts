/**
 * The agent for a real hour (issue #15, item 2: "the agent's RSS at most 60 MB after an hour at a
 * 10 s interval, and its CPU per beat"). bench/ship.ts compresses the hour with a fast clock; this
 * one does not: the bundled agent (dist/dts-agent.mjs) runs the way deploy/dts-agent.service runs
 * it (the unit's node flags and Environment= lines) at a 10 s interval against a local cloud for
 * 60 wall-clock minutes. Beside it, in the same run and with the same flags, a bare idle node
 * (`node -e 'setInterval(() => {}, 1e9)'`, i.e. `node -e 0` kept alive to be sampled). Every 10 s
 * the RSS (/proc/<pid>/status VmRSS) and CPU time (/proc/<pid>/stat utime + stime) of both are
 * read; the figures are RSS at start, 30 and 60 minutes, the peak, and CPU milliseconds per beat.
 *
 *   npm run build && npm run bench:agent-hour [-- --minutes 60]
 *
 * The run stops itself after --minutes + 5 (a hard limit, whatever happens to the cloud).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { agentUnitSettings, procStat } from './support/agent-process';
import { startBenchCloud } from './support/local-cloud';
import { BENCH_DIR, header, saveResult, table } from './support/report';
import { sig } from './support/stats';

const ROOT = path.resolve(BENCH_DIR, '..');
const AGENT = path.join(ROOT, 'dist', 'dts-agent.mjs');
const minutesArg = process.argv.indexOf('--minutes');
const MINUTES = minutesArg > 0 ? Number(process.argv[minutesArg + 1]) : 60;
if (!(MINUTES > 0)) throw new Error('--minutes takes a positive number');
const INTERVAL_S = 10;
const SAMPLE_MS = 10_000;
const HOSTNAME = 'bench-agent-hour';
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('DTS_') && !k.startsWith('AWS_SDK_JS')));

const children: ChildProcess[] = [];
let stopCloud: (() => Promise<void>) | undefined;
const hardLimit = setTimeout(() => {
  console.error(`agent-hour: the hard limit of ${MINUTES + 5} minutes is reached; stopping everything`);
  for (const c of children) c.kill('SIGKILL');
  void (stopCloud?.() ?? Promise.resolve()).finally(() => process.exit(2));
}, (MINUTES + 5) * 60_000);
hardLimit.unref();

interface Sample { readonly minute: number; readonly agentRssMB: number; readonly agentCpuMs: number; readonly bareRssMB: number; readonly bareCpuMs: number }

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  header(`the agent for ${MINUTES} real minutes at a ${INTERVAL_S} s interval, as the systemd unit runs it`);
  if (!existsSync(AGENT)) throw new Error(`${AGENT} is missing: run npm run build first`);
  const unit = agentUnitSettings();
  const settings = [...Object.entries(unit.env).map(([k, v]) => `${k}=${v}`), 'node', ...unit.flags].join(' ');
  console.log(`settings: ${settings}`);
  const cloud = await startBenchCloud({ stage: 'dev' });
  stopCloud = () => cloud.stop();
  try {
    const agent = spawn(process.execPath, [...unit.flags, AGENT, '--interval', String(INTERVAL_S), '--hostname', HOSTNAME], {
      env: { ...env, ...unit.env, AWS_ENDPOINT_URL: cloud.endpoint }, stdio: ['ignore', 'ignore', 'pipe'],
    });
    const bare = spawn(process.execPath, [...unit.flags, '-e', 'setInterval(() => {}, 1e9)'], { env: { ...env, ...unit.env }, stdio: 'ignore' });
    children.push(agent, bare);
    let stderr = '';
    agent.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const agentExit = new Promise<number | null>((r) => agent.on('exit', (code) => r(code)));
    let agentGone = false;
    void agentExit.then(() => (agentGone = true));

    // The first beat waits up to 10 s (jitter); the start figures are taken after it.
    await sleep(12_000);
    const t0 = performance.now();
    const first = { agent: procStat(agent.pid as number), bare: procStat(bare.pid as number) };
    const samples: Sample[] = [{ minute: 0, agentRssMB: first.agent.rssMB, agentCpuMs: first.agent.cpuMs, bareRssMB: first.bare.rssMB, bareCpuMs: first.bare.cpuMs }];
    let peak = first.agent.rssMB;
    let barePeak = first.bare.rssMB;
    let lastMinute = 0;
    while (performance.now() - t0 < MINUTES * 60_000) {
      await sleep(SAMPLE_MS);
      if (agentGone) throw new Error(`the agent exited during the run: ${stderr}`);
      const a = procStat(agent.pid as number);
      const b = procStat(bare.pid as number);
      peak = Math.max(peak, a.rssMB);
      barePeak = Math.max(barePeak, b.rssMB);
      const minute = Math.floor((performance.now() - t0) / 60_000);
      if (minute > lastMinute) {
        lastMinute = minute;
        samples.push({ minute, agentRssMB: a.rssMB, agentCpuMs: a.cpuMs, bareRssMB: b.rssMB, bareCpuMs: b.cpuMs });
        console.log(`minute ${minute}: agent RSS ${sig(a.rssMB)} MB, CPU ${sig(a.cpuMs)} ms; bare node RSS ${sig(b.rssMB)} MB`);
      }
    }
    const elapsedS = (performance.now() - t0) / 1000;
    const last = { agent: procStat(agent.pid as number), bare: procStat(bare.pid as number) };
    const beats = elapsedS / INTERVAL_S;

    // The beats landed: the host is alive on the cloud, seen within the last two intervals.
    const hosts = JSON.parse(execFileSync(process.execPath, [path.join(ROOT, 'dist', 'dts.cjs'), 'hosts', '--json'], {
      env: { ...env, AWS_ENDPOINT_URL: cloud.endpoint, NO_COLOR: '1' }, encoding: 'utf8',
    })) as { hostname: string; state: string; lastBeat?: string }[];
    const row = hosts.find((h) => h.hostname === HOSTNAME);
    console.log(`the host as the cloud sees it: ${JSON.stringify(row)}`);

    agent.kill('SIGTERM');
    bare.kill('SIGTERM');
    const code = await agentExit;
    if (code !== 0) throw new Error(`the agent did not stop cleanly (${code}): ${stderr}`);
    const failures = stderr.split('\n').filter((l) => l && !/started:|stopped on|^Warning: disabling flag/.test(l));

    const at = (m: number): Sample | undefined => samples.find((s) => s.minute === m) ?? samples.at(-1);
    const rows = [0, Math.floor(MINUTES / 2), MINUTES].map((m) => at(m));
    const cpuPerBeatMs = (last.agent.cpuMs - first.agent.cpuMs) / beats;
    const bareCpuPerBeatMs = (last.bare.cpuMs - first.bare.cpuMs) / beats;
    console.log(`\n${table([
      ['', ...rows.map((s) => `minute ${s?.minute}`), 'peak', 'CPU ms per beat'],
      ['agent RSS MB', ...rows.map((s) => sig(s?.agentRssMB ?? NaN)), sig(peak), sig(cpuPerBeatMs)],
      ['bare node RSS MB', ...rows.map((s) => sig(s?.bareRssMB ?? NaN)), sig(barePeak), sig(bareCpuPerBeatMs)],
    ])}`);
    console.log(`\n${sig(beats)} beats in ${sig(elapsedS / 60)} min; CPU to start and send the first beat ${sig(first.agent.cpuMs)} ms; ` +
      `agent status lines other than start/stop: ${failures.length}${failures.length ? `\n${failures.slice(0, 5).join('\n')}` : ''}`);
    console.log(`target: RSS ≤ 60 MB after an hour: ${(at(MINUTES)?.agentRssMB ?? Infinity) <= 60 ? 'met' : 'NOT met'}`);
    saveResult('agent-hour', `npm run bench:agent-hour${MINUTES === 60 ? '' : ` -- --minutes ${MINUTES}`}`, MINUTES < 60, {
      settings, intervalS: INTERVAL_S, minutes: elapsedS / 60, beats, cpuStartupMs: first.agent.cpuMs,
      agent: { rssStartMB: first.agent.rssMB, rssHalfMB: rows[1]?.agentRssMB, rssEndMB: last.agent.rssMB, rssPeakMB: peak, cpuPerBeatMs },
      bareNode: { rssStartMB: first.bare.rssMB, rssEndMB: last.bare.rssMB, rssPeakMB: barePeak, cpuPerBeatMs: bareCpuPerBeatMs },
      host: row, statusLines: failures, samples,
    });
  } finally {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    await cloud.stop();
  }
}

await main();
process.exit(0);
