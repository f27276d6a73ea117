import { createHash } from 'node:crypto';
import { checkSubject, pingKeyHash, type Check, type SignalKind } from '../../domain/check/check';
import type { ValidPing } from '../../domain/check/ping';
import { keepFromDay } from '../../domain/check/runs';
import { outputTail } from '../../domain/check/signal';
import type { LogRecord } from '../../domain/model';
import type { ChecksPort, LogsPort } from '../../ports';

/**
 * A check's signal, from whichever way it came (HTTP, the heartbeats queue, `dts run`): one
 * conditional write on the check (the end of a run reads the check first, for its start: the
 * run is counted in its day with its duration), then the job's output, if any, as a log record of app = the
 * check's name. The signal is judged by the next diagnose pass or its deadline watch, never here
 * (docs/CHECKS.md). A ping for a paused check is recorded all the same.
 */
export interface PingDeps {
  readonly checks: Pick<ChecksPort, 'get' | 'recordSignal'>;
  readonly logs: Pick<LogsPort, 'write'>;
  readonly logTtlDays: number;
  /** The report's period, in hours: a check keeps its runs' days that far back (docs/DATA-MODEL.md, "Runs"). */
  readonly runsHours: number;
}

export type PingOutcome =
  | { readonly ok: true; readonly check: Check; readonly signal: SignalKind }
  /** Nothing was written: no check has that key (or name). */
  | { readonly ok: false; readonly reason: string };

export const UNKNOWN_KEY = 'unknown or revoked ping key';

/** Records a validated ping received at `at` (the monitor's clock). Throws only on a transient failure. */
export async function recordPing(d: PingDeps, ping: ValidPing, at: number): Promise<PingOutcome> {
  let keyHash: string | undefined;
  if ('key' in ping.check) keyHash = pingKeyHash(ping.check.key);
  else keyHash = (await d.checks.get(ping.check.name))?.keyHash;
  const unknown = 'key' in ping.check ? UNKNOWN_KEY : `no check named ${JSON.stringify(ping.check.name)}`;
  if (keyHash === undefined) return { ok: false, reason: unknown };
  const signal = { kind: ping.signal.kind, at, ...(ping.signal.exit === undefined ? {} : { exit: ping.signal.exit }) };
  const check = await d.checks.recordSignal(keyHash, signal, keepFromDay(at, d.runsHours));
  if (!check) return { ok: false, reason: unknown };
  if (ping.output !== '') {
    const record = outputRecord(check.name, ping, at);
    const write = await d.logs.write([{ record, receivedAt: at, owner: 'ping' }], d.logTtlDays);
    // The signal stands; the output is retried with the message (its record id makes that idempotent).
    const failure = write.failed.get('ping') ?? write.refused[0]?.error;
    if (failure !== undefined) throw failure instanceof Error ? failure : new Error(String(failure));
  }
  return { ok: true, check, signal: ping.signal.kind };
}

/** The last 10 KB of a job's output as a log record: ERROR for a failure, INFO otherwise. */
export function outputRecord(name: string, ping: ValidPing, at: number): LogRecord {
  const fields: Record<string, string> = { check: name, signal: ping.signal.kind, ...(ping.signal.exit === undefined ? {} : { exitStatus: String(ping.signal.exit) }) };
  const r = { app: name, hostname: checkSubject(name), timestamp: at / 1000, level: ping.signal.kind === 'fail' ? 40 as const : 20 as const, text: outputTail(ping.output), fields };
  // A function of the signal, so a redelivered ping stores its output once.
  const id = createHash('sha256').update(JSON.stringify([name, at, ping.signal.kind, r.text])).digest('base64url').slice(0, 22);
  return { ...r, id };
}
