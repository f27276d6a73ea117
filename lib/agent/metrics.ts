/**
 * What the agent measures on its host. cpu percent is the share of non-idle time across all
 * cores between two samples (a single reading of os.cpus() is an average since boot, which says
 * nothing about now); memory follows the kernel's MemAvailable on Linux; disk is statfs, as df.
 */
import { readFile, statfs } from 'node:fs/promises';
import { cpus, freemem, loadavg, totalmem, uptime } from 'node:os';
import type { CpuSample, DiskSample, MemorySample } from '../domain/model';

export interface CpuTimes {
  readonly busy: number;
  readonly total: number;
}

export function cpuTimes(): CpuTimes {
  let busy = 0;
  let total = 0;
  for (const { times } of cpus()) {
    const all = times.user + times.nice + times.sys + times.idle + times.irq;
    total += all;
    busy += all - times.idle;
  }
  return { busy, total };
}

/** Busy share of the time between two readings, 0–100; undefined when no time passed. */
export function cpuPercentBetween(before: CpuTimes, after: CpuTimes): number | undefined {
  const total = after.total - before.total;
  if (total <= 0) return undefined;
  return clampPercent(((after.busy - before.busy) / total) * 100);
}

/** Keeps the previous reading, so each sample is the cpu use since the one before. */
export class CpuMeter {
  private last: CpuTimes = cpuTimes();

  sample(): CpuSample {
    const now = cpuTimes();
    const percent = cpuPercentBetween(this.last, now) ?? 0;
    this.last = now;
    const [load1 = 0, load5 = 0, load15 = 0] = loadavg();
    return { percent: round(percent), cores: cpus().length, load1: round(load1), load5: round(load5), load15: round(load15) };
  }
}

/** `/proc/meminfo` → bytes by key ("MemTotal", "MemAvailable", …). */
export function parseMeminfo(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const m = /^(\w+(?:\(\w+\))?):\s+(\d+)(?:\s+kB)?/.exec(line);
    if (m?.[1] && m[2]) out[m[1]] = Number(m[2]) * (line.includes('kB') ? 1024 : 1);
  }
  return out;
}

export async function memorySample(meminfoPath = '/proc/meminfo'): Promise<MemorySample> {
  let total = totalmem();
  let available = freemem();
  if (process.platform === 'linux') {
    try {
      const info = parseMeminfo(await readFile(meminfoPath, 'utf8'));
      // MemAvailable counts reclaimable cache; "free" would call a healthy host full.
      if (info.MemTotal && info.MemAvailable !== undefined) {
        total = info.MemTotal;
        available = info.MemAvailable;
      }
    } catch {
      // Not there (a container without /proc): os.freemem() it is.
    }
  }
  const used = Math.max(0, total - available);
  return { percent: round(total > 0 ? clampPercent((used / total) * 100) : 0), total, used, available };
}

export async function diskSample(mount: string): Promise<DiskSample> {
  const s = await statfs(mount);
  const total = s.blocks * s.bsize;
  const used = (s.blocks - s.bfree) * s.bsize;
  const avail = s.bavail * s.bsize;
  // As df: used over what non-root users can reach (root's reserve excluded).
  const percent = used + avail > 0 ? (used / (used + avail)) * 100 : 0;
  return { percent: round(clampPercent(percent)), total, used, mount };
}

/** The fullest of the mounts: the one an operator must hear about. Unreadable mounts are reported, not fatal. */
export async function fullestDisk(mounts: readonly string[]): Promise<{ disk?: DiskSample; errors: string[] }> {
  const errors: string[] = [];
  let disk: DiskSample | undefined;
  for (const mount of mounts) {
    try {
      const d = await diskSample(mount);
      if (!disk || d.percent > disk.percent) disk = d;
    } catch (e) {
      errors.push(`${mount}: ${(e as Error).message}`);
    }
  }
  return { ...(disk ? { disk } : {}), errors };
}

export function uptimeSeconds(): number {
  return Math.round(uptime());
}

function clampPercent(p: number): number {
  return Math.min(100, Math.max(0, p));
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}
