/**
 * The agent as a host runs it, for the benches that measure it (bench/ship.ts with a fast clock,
 * bench/agent-hour.ts for a real hour): the node flags and environment of its systemd unit, and
 * a process's CPU time and resident memory as /proc reports them.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { BENCH_DIR } from './report';

const UNIT = path.resolve(BENCH_DIR, '..', 'deploy', 'dts-agent.service');

/** Node's flags and the environment that deploy/dts-agent.service runs the agent with. */
export function agentUnitSettings(): { flags: string[]; env: Record<string, string> } {
  const unit = readFileSync(UNIT, 'utf8');
  const exec = /^ExecStart=\/usr\/bin\/env node (.*?) \/opt\/dts\/dts-agent\.mjs/m.exec(unit)?.[1];
  if (exec === undefined) throw new Error('deploy/dts-agent.service: no ExecStart=/usr/bin/env node ... /opt/dts/dts-agent.mjs line');
  const env = Object.fromEntries([...unit.matchAll(/^Environment=(\w+)=(.*)$/gm)].map((m) => [m[1] as string, m[2] as string]));
  return { flags: exec.split(/\s+/).filter(Boolean), env };
}

/** utime + stime of a process in milliseconds (at 100 ticks a second), and its resident set in MB. */
export function procStat(pid: number): { cpuMs: number; rssMB: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return { cpuMs: (ticks * 1000) / 100, rssMB: Number(rss) / 1024 };
}
