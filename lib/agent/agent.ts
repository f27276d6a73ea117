/**
 * The agent's life: measure, beat every interval (jittered once, at start, so a fleet that
 * boots together does not beat together), follow files, and say goodbye on SIGTERM or SIGINT.
 */
import type { HeartbeatSample } from '../producer/heartbeat';
import type { Producer } from '../producer/producer';
import type { LevelInput } from '../producer/record';
import { CpuMeter, fullestDisk, memorySample, uptimeSeconds } from './metrics';
import { HourPeakMeter } from './hour-peaks';
import { FileTail } from './tail';
import { levelOfLine } from './levels';

export interface AgentOptions {
  readonly producer: Producer;
  /** Seconds between beats. */
  readonly interval: number;
  readonly mounts: readonly string[];
  /** Most seconds the first beat waits, spread at random. */
  readonly jitter: number;
  readonly tails: readonly string[];
  readonly app?: string;
  readonly level: LevelInput;
  /** Take the level from a word such as ERROR or WARN near the start of each line. */
  readonly detectLevel: boolean;
  /** Status lines (start, stop, trouble); a daemon's stderr goes to its journal. */
  readonly say: (line: string) => void;
  /** Resolves when the agent should stop (a signal). */
  readonly stop: Promise<NodeJS.Signals | 'stop'>;
}

/** How long cpu is watched before a beat made right after start (`--once`, the first beat). */
export const FIRST_CPU_WINDOW_MS = 1000;

export async function collect(cpu: CpuMeter, mounts: readonly string[]): Promise<{ sample: HeartbeatSample; problems: string[] }> {
  const [mem, { disk, errors }] = await Promise.all([memorySample(), fullestDisk(mounts)]);
  return { sample: { cpu: cpu.sample(), mem, ...(disk ? { disk } : {}), uptime: uptimeSeconds() }, problems: errors };
}

/** Beat once, after a short cpu window; true when the beat was sent. */
export async function beatOnce(producer: Producer, mounts: readonly string[]): Promise<{ ok: boolean; sample: HeartbeatSample; problems: string[]; error?: Error }> {
  const cpu = new CpuMeter();
  await delay(FIRST_CPU_WINDOW_MS);
  const { sample, problems } = await collect(cpu, mounts);
  const result = await producer.heartbeat(sample);
  return { ok: result.ok, sample, problems, ...(result.ok ? {} : { error: result.error }) };
}

/** Run until `stop` resolves; returns the exit code. */
export async function runAgent(o: AgentOptions): Promise<number> {
  const cpu = new CpuMeter();
  const tails = o.tails.map((path) => new FileTail(path, {
    onLine: (text) => {
      if (text.trim() === '') return;
      o.producer.log({ app: o.app as string, text, level: (o.detectLevel ? levelOfLine(text) : undefined) ?? o.level, fields: { file: path } });
    },
    onError: (e) => o.say(`tail ${path}: ${e.message}`),
  }));
  await Promise.all(tails.map((t) => t.start()));

  let stopping = false;
  let timer: NodeJS.Timeout | undefined;
  let failures = 0;
  const reported = new Set<string>();
  const hour = new HourPeakMeter();
  const beat = async (goodbye = false): Promise<boolean> => {
    const { sample, problems } = await collect(cpu, o.mounts);
    for (const p of problems) {
      if (!reported.has(p)) o.say(`disk ${p}`);
      reported.add(p);
    }
    const at = Date.now();
    const result = await o.producer.heartbeat({ ...sample, timestamp: at / 1000, hourPeaks: hour.observe(sample, at), goodbye });
    if (!result.ok) {
      failures++;
      o.say(result.error.message);
    } else if (failures > 0) {
      o.say(`heartbeat sent again after ${failures} failure(s)`);
      failures = 0;
    }
    return result.ok;
  };

  const jitterMs = FIRST_CPU_WINDOW_MS + Math.random() * Math.max(0, o.jitter * 1000 - FIRST_CPU_WINDOW_MS);
  const start = Date.now() + jitterMs;
  let n = 0;
  const schedule = (): void => {
    if (stopping) return;
    // Fixed rate from the first beat: a slow send does not push every later beat back.
    const next = start + n * o.interval * 1000;
    n++;
    timer = setTimeout(() => {
      void beat().finally(schedule);
    }, Math.max(0, next - Date.now()));
  };
  o.say(`started: a beat every ${o.interval}s, first in ${(jitterMs / 1000).toFixed(1)}s${o.tails.length ? `; following ${o.tails.join(', ')} as ${o.app}` : ''}`);
  schedule();

  const signal = await o.stop;
  stopping = true;
  if (timer) clearTimeout(timer);
  await Promise.all(tails.map((t) => t.stop()));
  const said = await beat(true);
  const flushed = await o.producer.close({ timeoutMs: 10_000 });
  o.say(`stopped on ${signal}: ${said ? 'goodbye sent' : 'goodbye NOT sent'}${flushed.ok ? '' : `; ${flushed.buffered} log record(s) unsent`}`);
  return said && flushed.ok ? 0 : 1;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
