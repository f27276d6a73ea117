/**
 * Beats out of the relay: every flush packs whatever the buffer holds into HeartbeatBatch
 * messages (each at most 256 KiB as SQS counts it), up to 10 per SendMessageBatch call, with the
 * producer's retries. Beats that could not be sent go back to the buffer for the next flush;
 * beats SQS refused as malformed are counted and told, never retried.
 */
import type { SQSClient } from '@aws-sdk/client-sqs';
import { frameBatch, framedLength, MAX_CALL_BYTES, MAX_CALL_ENTRIES, MAX_MESSAGE_BYTES, maxPayloadFor, typeAttributeBytes, varintLength } from '../producer/limits';
import { sendWithRetry, type OutgoingMessage, type RetryPolicy } from '../producer/sender';
import type { MessageType } from '../wire/codec';
import { dts } from '../wire/generated/dts.js';
import { beatBytes, type BeatBuffer, type BufferedBeat } from './beat-buffer';

const BATCH: MessageType = 'dts.HeartbeatBatch';

export interface PackedMessage extends OutgoingMessage {
  readonly beats: readonly BufferedBeat[];
}

/** The `relay` field (2) of a HeartbeatBatch, encoded. */
function relayField(relay: string): Uint8Array {
  const name = Buffer.from(relay, 'utf8');
  const out = new Uint8Array(1 + varintLength(name.length) + name.length);
  let at = 0;
  out[at++] = 0x12;
  for (let n = name.length; ; n = Math.floor(n / 128)) {
    if (n < 0x80) {
      out[at++] = n;
      break;
    }
    out[at++] = (n & 0x7f) | 0x80;
  }
  out.set(name, at);
  return out;
}

/** Beats as HeartbeatBatch messages that SQS accepts as they are. */
export function packBeats(beats: readonly BufferedBeat[], relay: string, maxMessageBytes = MAX_MESSAGE_BYTES): PackedMessage[] {
  const tail = relayField(relay);
  const attribute = typeAttributeBytes(BATCH);
  const budget = maxPayloadFor(maxMessageBytes, attribute) - tail.length;
  const out: PackedMessage[] = [];
  let group: BufferedBeat[] = [];
  let encoded: Uint8Array[] = [];
  let bytes = 0;
  const close = (): void => {
    if (group.length === 0) return;
    const body = Buffer.concat([frameBatch(encoded), tail]).toString('base64');
    out.push({ type: BATCH, body, size: body.length + attribute, records: [], beats: group });
    group = [];
    encoded = [];
    bytes = 0;
  };
  for (const b of beats) {
    const one = b.encoded ?? dts.RelayedBeat.encode({ beat: b.beat, receivedAt: b.receivedAt / 1000 }).finish();
    if (bytes + framedLength(one.length) > budget) close();
    group.push(b);
    encoded.push(one);
    bytes += framedLength(one.length);
  }
  close();
  return out;
}

/** Messages grouped into SendMessageBatch calls: at most 10 entries and 256 KiB each. */
export function groupCalls<T extends OutgoingMessage>(messages: readonly T[]): T[][] {
  const calls: T[][] = [];
  let call: T[] = [];
  let bytes = 0;
  for (const m of messages) {
    if (call.length === MAX_CALL_ENTRIES || (call.length > 0 && bytes + m.size > MAX_CALL_BYTES)) {
      calls.push(call);
      call = [];
      bytes = 0;
    }
    call.push(m);
    bytes += m.size;
  }
  if (call.length > 0) calls.push(call);
  return calls;
}

export interface ForwardStats {
  /** Beats SQS accepted. */
  sent: number;
  /** SendMessageBatch requests made, retries included. */
  requests: number;
  messages: number;
  /** Beats SQS refused as malformed. */
  rejected: number;
  /** Flushes that left beats unsent (they went back to the buffer). */
  failedFlushes: number;
}

export interface ForwarderOptions {
  readonly sqs: SQSClient;
  readonly queueUrl: string;
  readonly buffer: BeatBuffer;
  /** The relay's own name, carried in each batch. */
  readonly relay: string;
  readonly retry?: Partial<RetryPolicy>;
  readonly say: (line: string) => void;
  readonly now?: () => number;
}

/** While SQS stays unreachable, a failed flush is told at most this often (with a count). */
export const FAILURE_REPORT_MS = 60_000;

export class Forwarder {
  readonly stats: ForwardStats = { sent: 0, requests: 0, messages: 0, rejected: 0, failedFlushes: 0 };
  private readonly retry: RetryPolicy;
  private flushing: Promise<void> | undefined;
  /** The current run of failed flushes: when it was last told, and how many since. */
  private outage: { toldAt: number; untold: number; since: number } | undefined;

  constructor(private readonly o: ForwarderOptions) {
    this.retry = { maxAttempts: 3, baseDelayMs: 100, maxDelayMs: 2000, ...o.retry };
    // Every request, as SQS bills it: what "sends a minute" counts.
    o.sqs.middlewareStack.add((next) => async (args) => {
      this.stats.requests++;
      return next(args);
    }, { step: 'initialize', name: 'dtsRelayRequestCount' });
  }

  /** Send everything buffered; one flush at a time, packed a few calls' worth at a time. */
  flush(): Promise<void> {
    this.flushing ??= this.flushOnce().finally(() => {
      this.o.buffer.settle();
      this.flushing = undefined;
    });
    return this.flushing;
  }

  private async flushOnce(): Promise<void> {
    const now = this.o.now ?? Date.now;
    this.o.buffer.expire(now());
    const beats = this.o.buffer.take();
    if (beats.length === 0) return;
    const unsent: BufferedBeat[] = [];
    let error: Error | undefined;
    for (const chunk of chunksOf(beats, FLUSH_CHUNK_BYTES)) {
      // A call that failed after its retries says SQS is away: the rest go back as they are,
      // not packed (a copy of the whole buffer, made and dropped at every flush of an outage).
      if (error) {
        unsent.push(...chunk);
        continue;
      }
      for (const call of groupCalls(packBeats(chunk, this.o.relay))) {
        if (error) {
          for (const m of call) unsent.push(...m.beats);
          continue;
        }
        const out = await sendWithRetry(this.o.sqs, this.o.queueUrl, call, this.retry);
        for (const m of out.sent as PackedMessage[]) {
          this.stats.sent += m.beats.length;
          this.stats.messages++;
        }
        for (const r of out.rejected) {
          const n = (r.message as PackedMessage).beats.length;
          this.stats.rejected += n;
          this.o.say(`SQS refused a batch of ${n} beat(s): ${r.reason}`);
        }
        for (const m of out.unsent as PackedMessage[]) unsent.push(...m.beats);
        error ??= out.error;
      }
    }
    if (unsent.length > 0) {
      this.stats.failedFlushes++;
      this.o.buffer.requeue(unsent, now());
      this.tellFailure(unsent.length, error, now());
    } else if (this.outage) {
      this.o.say(`sending again: ${this.outage.untold} more failed flush(es) since the last report, ${Math.round((now() - this.outage.since) / 1000)} s without SQS`);
      this.outage = undefined;
    }
  }

  /**
   * The first failed flush is told at once; while they go on (a flush every few seconds), one
   * line a minute says how many, so an outage of SQS does not flood the relay's log.
   */
  private tellFailure(beats: number, error: Error | undefined, at: number): void {
    const line = `could not send ${beats} beat(s), kept for the next flush: ${error?.message ?? 'unknown error'}`;
    if (!this.outage) {
      this.outage = { toldAt: at, untold: 0, since: at };
      this.o.say(line);
    } else if (at - this.outage.toldAt >= FAILURE_REPORT_MS) {
      this.o.say(`${line} (${this.outage.untold + 1} failed flushes in the last ${Math.round((at - this.outage.toldAt) / 1000)} s)`);
      this.outage.toldAt = at;
      this.outage.untold = 0;
    } else {
      this.outage.untold++;
    }
  }
}

/**
 * Beats are packed into messages a chunk at a time: packing a whole buffer at once would hold a
 * second, encoded copy of it (64 MiB more at the default --max-bytes) while SQS is unreachable.
 * 1 MiB is a few calls' worth (a call carries at most 256 KiB in all), and SQS bills by the
 * 64 KiB of payload, not by the call, so smaller chunks cost nothing more.
 */
const FLUSH_CHUNK_BYTES = 1024 * 1024;

function* chunksOf(beats: readonly BufferedBeat[], maxBytes: number): Generator<BufferedBeat[]> {
  let chunk: BufferedBeat[] = [];
  let bytes = 0;
  for (const b of beats) {
    const size = b.bytes ?? beatBytes(b);
    if (chunk.length > 0 && bytes + size > maxBytes) {
      yield chunk;
      chunk = [];
      bytes = 0;
    }
    chunk.push(b);
    bytes += size;
  }
  if (chunk.length > 0) yield chunk;
}
