/** The agent's measurements on this machine, and its file following. */
import { appendFile, mkdtemp, readFile, rename, rm, truncate, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { levelOfLine } from '../../lib/agent/levels';
import { CpuMeter, cpuPercentBetween, cpuTimes, diskSample, fullestDisk, memorySample, parseMeminfo, uptimeSeconds } from '../../lib/agent/metrics';
import { FileTail } from '../../lib/agent/tail';

describe('metrics on this machine', () => {
  it('cpu: a percent from the delta between two samples, cores and load averages', async () => {
    const meter = new CpuMeter();
    const until = Date.now() + 300;
    while (Date.now() < until); // keep one core busy, so the window saw work
    const s = meter.sample();
    expect(s.percent).toBeGreaterThan(0);
    expect(s.percent).toBeLessThanOrEqual(100);
    expect(s.cores).toBe(cpus().length);
    for (const load of [s.load1, s.load5, s.load15]) {
      expect(load).toBeGreaterThanOrEqual(0);
      expect(load).toBeLessThan(10 * (s.cores ?? 1) + 100);
    }
  });

  it('cpu: the busy share of the time between readings, bounded', () => {
    expect(cpuPercentBetween({ busy: 10, total: 100 }, { busy: 35, total: 200 })).toBe(25);
    expect(cpuPercentBetween({ busy: 10, total: 100 }, { busy: 10, total: 100 })).toBeUndefined();
    const t = cpuTimes();
    expect(t.total).toBeGreaterThan(t.busy);
  });

  it('memory: total, used and available, consistent with each other and with the kernel', async () => {
    const m = await memorySample();
    expect(m.total).toBeGreaterThan(64 * 1024 * 1024);
    expect(m.used).toBeGreaterThan(0);
    expect((m.used ?? 0) + (m.available ?? 0)).toBe(m.total);
    expect(m.percent).toBeGreaterThan(0);
    expect(m.percent).toBeLessThanOrEqual(100);
    if (process.platform === 'linux') {
      const info = parseMeminfo(await readFile('/proc/meminfo', 'utf8'));
      expect(m.total).toBe(info.MemTotal);
      // MemAvailable moves a little between two reads.
      expect(Math.abs((m.available ?? 0) - (info.MemAvailable ?? 0))).toBeLessThan(256 * 1024 * 1024);
    }
  });

  it('reads /proc/meminfo in bytes', () => {
    const info = parseMeminfo('MemTotal:       16318712 kB\nMemFree:         1205476 kB\nMemAvailable:    9824224 kB\nHugePages_Total:       0\n');
    expect(info).toMatchObject({ MemTotal: 16318712 * 1024, MemAvailable: 9824224 * 1024, HugePages_Total: 0 });
  });

  it('disk: statfs of a mount, as df counts it', async () => {
    const d = await diskSample('/');
    expect(d.mount).toBe('/');
    expect(d.total).toBeGreaterThan(0);
    expect(d.used).toBeGreaterThan(0);
    expect(d.used).toBeLessThanOrEqual(d.total ?? 0);
    expect(d.percent).toBeGreaterThan(0);
    expect(d.percent).toBeLessThanOrEqual(100);
  });

  it('disk: reports the fullest mount, and a mount it cannot read as a problem, not a crash', async () => {
    const { disk, errors } = await fullestDisk(['/', tmpdir(), '/no/such/mount']);
    const each = await Promise.all(['/', tmpdir()].map(diskSample));
    expect(disk?.percent).toBe(Math.max(...each.map((d) => d.percent)));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^\/no\/such\/mount: .*ENOENT/);
  });

  it('uptime in seconds', () => {
    expect(uptimeSeconds()).toBeGreaterThan(0);
    expect(uptimeSeconds()).toBeLessThan(10 * 365 * 86_400);
  });
});

describe('levels in plain-text lines', () => {
  it.each([
    ['2026-05-01 10:00:00 ERROR db: connection refused', 40],
    ['[WARN] disk almost full', 30],
    ['Jun  1 12:00:00 host app[12]: info: started', 20],
    ['CRITICAL: out of memory', 50],
    ['debug value=3', 10],
  ])('%s → %i', (line, level) => expect(levelOfLine(line)).toBe(level));

  it('finds none in a line that names none, nor far into a line', () => {
    expect(levelOfLine('user logged in')).toBeUndefined();
    expect(levelOfLine(`${'x'.repeat(100)} ERROR`)).toBeUndefined();
    expect(levelOfLine('errors=0 informational')).toBeUndefined();
  });
});

describe('following a file', () => {
  let dir: string;
  let lines: string[];
  let tail: FileTail | undefined;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'dts-tail-'));
    lines = [];
  });
  afterEach(async () => {
    await tail?.stop();
    tail = undefined;
    await rm(dir, { recursive: true, force: true });
  });
  const follow = async (file: string, fromStart = false): Promise<FileTail> => {
    tail = new FileTail(file, { onLine: (l) => lines.push(l), pollMs: 20, fromStart });
    await tail.start();
    return tail;
  };

  it('starts at the end, then emits each complete line once', async () => {
    const file = path.join(dir, 'app.log');
    await writeFile(file, 'old line\n');
    await follow(file);
    await appendFile(file, 'first\nsecond\r\npart');
    await expect.poll(() => lines).toEqual(['first', 'second']);
    await appendFile(file, 'ial\n');
    await expect.poll(() => lines).toEqual(['first', 'second', 'partial']);
  });

  it('follows a rename-and-create rotation: the old file to its end, then the new one from its start', async () => {
    const file = path.join(dir, 'app.log');
    await writeFile(file, '');
    await follow(file);
    await appendFile(file, 'a1\n');
    await expect.poll(() => lines).toEqual(['a1']);
    await appendFile(file, 'a2\n');
    await rename(file, `${file}.1`);
    await appendFile(`${file}.1`, 'a3 written late to the old file\n');
    await writeFile(file, 'b1\nb2\n');
    await expect.poll(() => lines).toEqual(['a1', 'a2', 'a3 written late to the old file', 'b1', 'b2']);
  });

  it('follows a copytruncate rotation: reads again from the start', async () => {
    const file = path.join(dir, 'app.log');
    await writeFile(file, '');
    await follow(file);
    await appendFile(file, 'before truncation, a long line\n');
    await expect.poll(() => lines).toHaveLength(1);
    await truncate(file, 0);
    await appendFile(file, 'after\n');
    await expect.poll(() => lines).toEqual(['before truncation, a long line', 'after']);
  });

  it('waits for a file that does not exist yet, then reads it from its start', async () => {
    const file = path.join(dir, 'later.log');
    const errors: string[] = [];
    tail = new FileTail(file, { onLine: (l) => lines.push(l), onError: (e) => errors.push(e.message), pollMs: 20 });
    await tail.start();
    expect(errors[0]).toMatch(/does not exist \(yet\)/);
    await writeFile(file, 'hello\n');
    await expect.poll(() => lines).toEqual(['hello']);
  });

  it('emits an unterminated last line when stopped', async () => {
    const file = path.join(dir, 'app.log');
    await writeFile(file, 'x\ny');
    const t = await follow(file, true);
    await expect.poll(() => lines).toEqual(['x']);
    await t.stop();
    tail = undefined;
    expect(lines).toEqual(['x', 'y']);
  });
});
