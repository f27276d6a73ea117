/**
 * The producer: what a program uses to send dts heartbeats and log records.
 *
 * Records are encoded at `log()`, kept in a bounded buffer, and leave as LogBatch messages that
 * SQS accepts as they are: each at most 256 KiB once base64 and attributes are counted, at most
 * 10,000 records, after at most `lingerMs`. Up to 10 messages and 256 KiB go in one
 * SendMessageBatch call. Nothing here throws into the caller or blocks it; trouble is counted
 * in `stats()` and reported through `onDrop`, `onError` and a rate-limited warning.
 */
import { hostname as osHostname } from 'node:os';
import { SQSClient } from '@aws-sdk/client-sqs';
import { encodeBody, type MessageType } from '../wire/codec';
import { RecordBuffer } from './buffer';
import { quietSdkNodeWarning } from './sdk-warning';
import { flushOnExit, type Flushable } from './exit-hooks';
import { heartbeatMessage, type HeartbeatSample } from './heartbeat';
import { outputTail } from '../domain/check/signal';
import { validateCheckPing } from '../wire/validate';
import {
  MAX_BATCH_RECORDS, MAX_CALL_BYTES, MAX_CALL_ENTRIES, MAX_MESSAGE_BYTES, base64Length, frameBatch, framedLength, maxPayloadFor, typeAttributeBytes, varintLength,
} from './limits';
import { encodeRecord, nowSeconds, type LogInput } from './record';
import { sendWithRetry, type OutgoingMessage, type RetryPolicy } from './sender';

export const PRODUCER_NAME = 'dts-producer';
export const PRODUCER_VERSION = '0.1.0';

export interface DropEvent {
  /** Records dropped just now. */
  readonly dropped: number;
  /** Records dropped since the producer was made. */
  readonly totalDropped: number;
  readonly reason: 'overflow';
}

export interface ProducerOptions {
  /** Default: env DTS_LOGS_QUEUE_URL. Needed only by log(). */
  logsQueueUrl?: string;
  /** Default: env DTS_HEARTBEATS_QUEUE_URL. Needed only by heartbeat(). */
  heartbeatsQueueUrl?: string;
  /** A client of your own; otherwise one is made from region, endpoint and credentials (or the AWS environment). */
  sqs?: SQSClient;
  region?: string;
  endpoint?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** The app of records that name none. */
  app?: string;
  /**
   * The name on log records and heartbeats. Default: os.hostname() on records; on heartbeats
   * `<app>@<os.hostname()>` (`node@…` without an app), because the machine's own name belongs to
   * its agent, whose beats would otherwise be replaced by this program's (docs/CLI.md, "Who beats
   * as what"). `beatsAs` says which name the heartbeats carry.
   */
  hostname?: string;
  /** Seconds between heartbeats that this sender promises. Default 60. */
  interval?: number;
  /** Labels on every heartbeat. */
  labels?: Record<string, string>;
  agent?: { name: string; version: string };
  /** Longest a record waits for company before its batch is sent. Default 1000 ms. */
  lingerMs?: number;
  /** Records per LogBatch message, at most 10,000 (the default). */
  maxBatchRecords?: number;
  /** Bytes per SQS message, body and attributes counted; at most (and default) 256 KiB. */
  maxMessageBytes?: number;
  /** The buffer's bound; past it the oldest records are dropped. Default 100,000 records. */
  maxBufferedRecords?: number;
  /** Default 32 MiB of encoded records. */
  maxBufferedBytes?: number;
  /** SendMessageBatch calls in flight at once. Default 4. */
  maxInFlight?: number;
  /** UTF-8 bytes of a record's text kept; the rest is cut with a marker. Default 32 KiB. */
  textMaxBytes?: number;
  retry?: Partial<RetryPolicy>;
  /** Flush on beforeExit, SIGTERM and SIGINT. Default true. */
  flushOnExit?: boolean;
  /** How long an exit waits for the flush. Default 5000 ms. */
  exitTimeoutMs?: number;
  onDrop?: (event: DropEvent) => void;
  onError?: (error: Error) => void;
  /** Where warnings go. Default: a line on stderr. */
  warn?: (message: string) => void;
  /** At most one drop warning per this many ms, summing the drops in between. Default 60,000. */
  warningIntervalMs?: number;
}

export interface ProducerStats {
  /** Records accepted by log(). */
  accepted: number;
  /** Records SQS accepted. */
  sent: number;
  /** Dropped, oldest first, because the buffer was full. */
  dropped: number;
  /** Refused: by log() as invalid, or by SQS as malformed. */
  rejected: number;
  /** Still buffered when the producer was closed. */
  lost: number;
  buffered: number;
  inFlight: number;
  messages: number;
  calls: number;
  /** Calls whose retries ran out; their records went back to the buffer. */
  failedCalls: number;
  heartbeats: number;
  failedHeartbeats: number;
}

export interface FlushResult {
  /** Everything accepted so far was sent (or dropped or rejected, which stats() counts). */
  readonly ok: boolean;
  readonly buffered: number;
  readonly error?: Error;
}

export type HeartbeatResult = { readonly ok: true } | { readonly ok: false; readonly error: Error };

/** What a producer does; `Producer` is the class that does it. */
export interface ProducerApi {
  /** Send one heartbeat now. Resolves, never rejects: the result says whether it went out. */
  heartbeat(sample?: HeartbeatSample): Promise<HeartbeatResult>;
  /**
   * Send a check's signal now (docs/CHECKS.md): the check by name, or `{ key }` by its ping key;
   * `status` is start, success (the default), fail or an exit status 0-255; `output` is the
   * job's output, of which the last 10 KB is sent. Resolves, never rejects: the result says
   * whether it went out.
   */
  ping(check: string | { readonly key: string }, status?: string | number, output?: string): Promise<HeartbeatResult>;
  /** Queue one record (or a text at INFO). Returns at once; never throws. */
  log(record: LogInput | string): void;
  /** Send everything buffered; resolves when done, after a failed attempt, or at the timeout. */
  flush(options?: { timeoutMs?: number }): Promise<FlushResult>;
  /** Flush, then stop: later records are rejected. Counts what could not be sent as lost. */
  close(options?: { timeoutMs?: number }): Promise<FlushResult>;
  stats(): ProducerStats;
  /** The host name this producer's heartbeats report (see ProducerOptions.hostname). */
  readonly beatsAs: string;
}

const LOG_BATCH: MessageType = 'dts.LogBatch';
const HEARTBEAT: MessageType = 'dts.HeartbeatMessage';
const CHECK_PING: MessageType = 'dts.CheckPing';

/**
 * `new Producer(options)` or `createProducer(options)`: the same thing. The class is what the
 * package exports for `import { Producer } from 'dts'`; it delegates to the closure below.
 */
export class Producer implements ProducerApi {
  readonly #p: ProducerApi;

  constructor(options: ProducerOptions = {}) {
    this.#p = makeProducer(options);
  }

  heartbeat(sample?: HeartbeatSample): Promise<HeartbeatResult> {
    return this.#p.heartbeat(sample);
  }

  ping(check: string | { readonly key: string }, status?: string | number, output?: string): Promise<HeartbeatResult> {
    return this.#p.ping(check, status, output);
  }

  log(record: LogInput | string): void {
    this.#p.log(record);
  }

  flush(options?: { timeoutMs?: number }): Promise<FlushResult> {
    return this.#p.flush(options);
  }

  close(options?: { timeoutMs?: number }): Promise<FlushResult> {
    return this.#p.close(options);
  }

  stats(): ProducerStats {
    return this.#p.stats();
  }

  get beatsAs(): string {
    return this.#p.beatsAs;
  }
}

export function createProducer(options: ProducerOptions = {}): Producer {
  return new Producer(options);
}

/** The name a producer's heartbeats carry: the one it was given, or one apart from the machine's agent. */
export function beatName(o: Pick<ProducerOptions, 'hostname' | 'app'>, machine: string = osHostname()): string {
  return o.hostname ?? `${o.app ?? 'node'}@${machine}`;
}

function makeProducer(options: ProducerOptions): ProducerApi {
  const o = options;
  const logsQueueUrl = o.logsQueueUrl ?? process.env.DTS_LOGS_QUEUE_URL;
  const heartbeatsQueueUrl = o.heartbeatsQueueUrl ?? process.env.DTS_HEARTBEATS_QUEUE_URL;
  const ownClient = o.sqs === undefined;
  if (ownClient) quietSdkNodeWarning();
  const sqs = o.sqs ?? new SQSClient({
    ...(o.region ? { region: o.region } : {}),
    ...(o.endpoint ? { endpoint: o.endpoint } : {}),
    ...(o.credentials ? { credentials: o.credentials } : {}),
    maxAttempts: 2,
  });
  const host = o.hostname ?? osHostname();
  const lingerMs = o.lingerMs ?? 1000;
  const maxBatchRecords = clamp(o.maxBatchRecords ?? MAX_BATCH_RECORDS, 1, MAX_BATCH_RECORDS);
  const maxMessageBytes = clamp(o.maxMessageBytes ?? MAX_MESSAGE_BYTES, 1024, MAX_MESSAGE_BYTES);
  const maxInFlight = Math.max(1, o.maxInFlight ?? 4);
  const retry: RetryPolicy = { maxAttempts: 8, baseDelayMs: 100, maxDelayMs: 20_000, ...o.retry };
  const beatRetry: RetryPolicy = { ...retry, maxAttempts: Math.min(retry.maxAttempts, 4), maxDelayMs: Math.min(retry.maxDelayMs, 5000) };
  const warningIntervalMs = o.warningIntervalMs ?? 60_000;
  const warn = o.warn ?? ((m: string) => process.stderr.write(`dts producer: ${m}\n`));
  const attributeBytes = typeAttributeBytes(LOG_BATCH);
  const maxPayload = maxPayloadFor(maxMessageBytes, attributeBytes);
  const defaults = {
    app: o.app,
    hostname: host,
    textMaxBytes: o.textMaxBytes ?? 32 * 1024,
    // A record alone must fit in a message: its frame is a tag and a length varint.
    maxRecordBytes: maxPayload - 1 - varintLength(maxPayload),
  };
  const beatDefaults = {
    hostname: beatName(o),
    interval: o.interval ?? 60,
    labels: o.labels ?? {},
    agent: o.agent ?? { name: PRODUCER_NAME, version: PRODUCER_VERSION },
  };

  const buffer = new RecordBuffer({ maxRecords: o.maxBufferedRecords ?? 100_000, maxBytes: o.maxBufferedBytes ?? 32 * 1024 * 1024 });
  const inFlight = new Set<Promise<void>>();
  const beats = new Set<Promise<unknown>>();
  const stats: Omit<ProducerStats, 'buffered' | 'inFlight'> = {
    accepted: 0, sent: 0, dropped: 0, rejected: 0, lost: 0, messages: 0, calls: 0, failedCalls: 0, heartbeats: 0, failedHeartbeats: 0,
  };
  let closed = false;
  let flushing = 0;
  let oldestAt: number | undefined;
  let backoffUntil = 0;
  let lingerTimer: NodeJS.Timeout | undefined;
  let lastError: Error | undefined;

  // ---- reporting ------------------------------------------------------------------------
  let dropsUnwarned = 0;
  let lastDropWarning = -Infinity;
  let dropTimer: NodeJS.Timeout | undefined;
  const warnDrops = (): void => {
    dropTimer = undefined;
    if (dropsUnwarned === 0) return;
    lastDropWarning = Date.now();
    warn(`buffer full: dropped the ${dropsUnwarned} oldest log record(s) (${stats.dropped} in all)`);
    dropsUnwarned = 0;
  };
  const dropped = (n: number): void => {
    if (n === 0) return;
    stats.dropped += n;
    dropsUnwarned += n;
    safely(() => o.onDrop?.({ dropped: n, totalDropped: stats.dropped, reason: 'overflow' }));
    const wait = lastDropWarning + warningIntervalMs - Date.now();
    if (wait <= 0) warnDrops();
    else dropTimer ??= setTimeout(warnDrops, wait).unref();
  };
  let lastErrorWarning = -Infinity;
  let errorsUnwarned = 0;
  const report = (error: Error): void => {
    lastError = error;
    if (o.onError) return safely(() => o.onError?.(error));
    if (Date.now() - lastErrorWarning < warningIntervalMs) {
      errorsUnwarned++;
      return;
    }
    lastErrorWarning = Date.now();
    const more = errorsUnwarned > 0 ? ` (and ${errorsUnwarned} more since the last warning)` : '';
    errorsUnwarned = 0;
    warn(error.message + more);
  };

  // ---- batching -------------------------------------------------------------------------
  const fullMessageReady = (): boolean => buffer.length >= maxBatchRecords || buffer.framedBytes >= maxPayload;
  const overdue = (): boolean => oldestAt !== undefined && Date.now() - oldestAt >= lingerMs;

  /**
   * Take up to 10 messages, 256 KiB in all, oldest records first. Every message is full (by
   * size or count) except the last of the buffer, which goes only when `tailToo`: a young tail
   * waits for company, and a call's leftover room never becomes a fragment of a message.
   */
  const takeCall = (tailToo: boolean): OutgoingMessage[] => {
    const call: OutgoingMessage[] = [];
    let callBytes = 0;
    while (call.length < MAX_CALL_ENTRIES && buffer.length > 0) {
      let count = 0;
      let payload = 0;
      for (let r = buffer.at(0); r !== undefined && count < maxBatchRecords; r = buffer.at(count)) {
        const size = framedLength(r.length);
        if (payload + size > maxPayload) break;
        payload += size;
        count++;
      }
      const full = count < buffer.length || count === maxBatchRecords || payload === maxPayload;
      if (count === 0 || (!full && !tailToo)) break;
      if (base64Length(payload) + attributeBytes > MAX_CALL_BYTES - callBytes) break;
      const records: Uint8Array[] = [];
      for (let i = 0; i < count; i++) records.push(buffer.shift() as Uint8Array);
      const body = Buffer.from(frameBatch(records)).toString('base64');
      const message = { type: LOG_BATCH, body, size: body.length + attributeBytes, records };
      call.push(message);
      callBytes += message.size;
    }
    oldestAt = buffer.length > 0 ? oldestAt : undefined;
    return call;
  };

  const send = (call: OutgoingMessage[]): void => {
    const p = (async () => {
      if (!logsQueueUrl) throw new Error('no logs queue: pass logsQueueUrl or set DTS_LOGS_QUEUE_URL');
      const out = await sendWithRetry(sqs, logsQueueUrl, call, retry);
      stats.calls++;
      stats.messages += out.sent.length;
      for (const m of out.sent) stats.sent += m.records.length;
      for (const { message, reason } of out.rejected) {
        stats.rejected += message.records.length;
        report(new Error(`SQS refused a batch of ${message.records.length} record(s): ${reason}`));
      }
      if (out.unsent.length > 0) requeue(out.unsent, out.error);
    })()
      .catch((e: unknown) => requeue(call, e as Error))
      .finally(() => {
        inFlight.delete(p);
        pump();
      });
    inFlight.add(p);
  };

  const requeue = (messages: readonly OutgoingMessage[], error: Error | undefined): void => {
    stats.failedCalls++;
    const records = messages.flatMap((m) => m.records);
    if (closed && flushing === 0) stats.lost += records.length;
    else {
      dropped(buffer.unshift(records));
      oldestAt ??= Date.now();
    }
    backoffUntil = Date.now() + retry.maxDelayMs;
    report(new Error(`could not send ${records.length} log record(s), will retry: ${describeError(error)}`));
  };

  const armLinger = (at: number): void => {
    if (lingerTimer) return;
    lingerTimer = setTimeout(() => {
      lingerTimer = undefined;
      pump();
    }, Math.max(0, at - Date.now())).unref();
  };

  /**
   * Start calls while there is something worth sending and room in flight. After a call ran out
   * of retries nothing is sent until the backoff ends, unless `now` (a flush starting) says so.
   */
  function pump(now = false): void {
    try {
      while (buffer.length > 0 && inFlight.size < maxInFlight) {
        if (!now && Date.now() < backoffUntil) return armLinger(backoffUntil);
        const tailToo = now || flushing > 0 || overdue();
        if (!tailToo && !fullMessageReady()) break;
        const call = takeCall(tailToo);
        if (call.length === 0) break;
        send(call);
      }
      if (buffer.length > 0 && inFlight.size < maxInFlight) armLinger((oldestAt ?? Date.now()) + lingerMs);
    } catch (e) {
      report(e as Error);
    }
  }

  // ---- the API --------------------------------------------------------------------------
  const log = (input: LogInput | string): void => {
    try {
      if (closed) {
        stats.rejected++;
        return report(new Error('log() after close(): record discarded'));
      }
      const record = typeof input === 'string' ? { text: input } : input;
      const encoded = encodeRecord(record, defaults);
      if (!encoded.ok) {
        stats.rejected++;
        return report(new Error(`log record rejected: ${encoded.error.field}: ${encoded.error.reason}`));
      }
      stats.accepted++;
      oldestAt ??= Date.now();
      dropped(buffer.push(encoded.value));
      if (fullMessageReady() || lingerMs <= 0) pump();
      else armLinger(oldestAt + lingerMs);
    } catch (e) {
      report(e as Error);
    }
  };

  const heartbeat = (sample: HeartbeatSample = {}): Promise<HeartbeatResult> => {
    const p = (async (): Promise<HeartbeatResult> => {
      if (!heartbeatsQueueUrl) throw new Error('no heartbeats queue: pass heartbeatsQueueUrl or set DTS_HEARTBEATS_QUEUE_URL');
      const body = encodeBody(HEARTBEAT, heartbeatMessage(sample, beatDefaults));
      const message = { type: HEARTBEAT, body, size: body.length + typeAttributeBytes(HEARTBEAT), records: [] };
      const out = await sendWithRetry(sqs, heartbeatsQueueUrl, [message], beatRetry);
      if (out.sent.length === 1) {
        stats.heartbeats++;
        return { ok: true };
      }
      throw out.error ?? new Error(out.rejected[0]?.reason ?? 'heartbeat not sent');
    })().catch((e: unknown) => {
      stats.failedHeartbeats++;
      const error = new Error(`heartbeat not sent: ${describeError(e as Error)}`, { cause: e });
      report(error);
      return { ok: false as const, error };
    });
    beats.add(p);
    void p.finally(() => beats.delete(p));
    return p;
  };

  const ping = (check: string | { readonly key: string }, status: string | number = '', output = ''): Promise<HeartbeatResult> => {
    const p = (async (): Promise<HeartbeatResult> => {
      if (!heartbeatsQueueUrl) throw new Error('no heartbeats queue: pass heartbeatsQueueUrl or set DTS_HEARTBEATS_QUEUE_URL');
      const which = typeof check === 'string' ? { check } : { key: check.key };
      const fields = { ...which, status: String(status), output: outputTail(output) };
      // Refused here, to the caller, rather than in the DLQ.
      const valid = validateCheckPing(fields);
      if (!valid.ok) throw new Error(`${valid.error.field}: ${valid.error.reason}`);
      const body = encodeBody(CHECK_PING, { ...fields, timestamp: nowSeconds() });
      const message = { type: CHECK_PING, body, size: body.length + typeAttributeBytes(CHECK_PING), records: [] };
      const out = await sendWithRetry(sqs, heartbeatsQueueUrl, [message], beatRetry);
      if (out.sent.length === 1) return { ok: true };
      throw out.error ?? new Error(out.rejected[0]?.reason ?? 'ping not sent');
    })().catch((e: unknown) => {
      const error = new Error(`ping not sent: ${describeError(e as Error)}`, { cause: e });
      report(error);
      return { ok: false as const, error };
    });
    beats.add(p);
    void p.finally(() => beats.delete(p));
    return p;
  };

  const flush = async ({ timeoutMs }: { timeoutMs?: number } = {}): Promise<FlushResult> => {
    flushing++;
    const failedBefore = stats.failedCalls;
    const deadline = timeoutMs === undefined ? undefined : Date.now() + timeoutMs;
    try {
      for (let first = true; ; first = false) {
        pump(first);
        const pending = [...inFlight, ...beats];
        if (pending.length === 0) break;
        if (await timedOut(Promise.race(pending), deadline)) break;
        if (stats.failedCalls > failedBefore) {
          // One round failed after all its retries: settle what is in flight, then report.
          await timedOut(Promise.all([...inFlight, ...beats]), deadline);
          break;
        }
      }
    } catch (e) {
      report(e as Error);
    } finally {
      flushing--;
    }
    const ok = buffer.length === 0 && inFlight.size === 0 && stats.failedCalls === failedBefore;
    return { ok, buffered: buffer.length, ...(ok || !lastError ? {} : { error: lastError }) };
  };

  let unhook = (): void => {};
  const close = async ({ timeoutMs }: { timeoutMs?: number } = {}): Promise<FlushResult> => {
    const result = await flush({ timeoutMs: timeoutMs ?? o.exitTimeoutMs ?? 30_000 });
    closed = true;
    unhook();
    if (lingerTimer) clearTimeout(lingerTimer);
    if (dropTimer) clearTimeout(dropTimer);
    warnDrops();
    const lost = buffer.clear();
    if (lost > 0) {
      stats.lost += lost;
      report(new Error(`closed with ${lost} log record(s) unsent`));
    }
    if (ownClient && inFlight.size === 0) sqs.destroy();
    return result;
  };

  const producer: ProducerApi = {
    heartbeat,
    ping,
    log,
    flush,
    close,
    stats: () => ({ ...stats, buffered: buffer.length, inFlight: inFlight.size }),
    beatsAs: beatDefaults.hostname,
  };

  if (o.flushOnExit !== false) {
    const hook: Flushable = {
      flushForExit: async (ms) => (await flush({ timeoutMs: ms })).ok,
      unsent: () => buffer.length + inFlight.size,
      warn,
    };
    unhook = flushOnExit(hook, o.exitTimeoutMs ?? 5000);
  }
  return producer;
}

function clamp(n: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, Math.floor(n)));
}

function safely(f: () => void): void {
  try {
    f();
  } catch {
    // A callback of the caller's must not break the producer.
  }
}

function describeError(e: Error | undefined): string {
  if (!e) return 'unknown error';
  return e.name && e.name !== 'Error' && !e.message.startsWith(e.name) ? `${e.name}: ${e.message}` : e.message;
}

/** Wait for `p` or the deadline; true when the deadline came first. */
async function timedOut(p: Promise<unknown>, deadline: number | undefined): Promise<boolean> {
  if (deadline === undefined) {
    await p;
    return false;
  }
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<true>((resolve) => {
    timer = setTimeout(() => resolve(true), Math.max(0, deadline - Date.now()));
  });
  try {
    return await Promise.race([p.then(() => false), expired]);
  } finally {
    clearTimeout(timer);
  }
}
