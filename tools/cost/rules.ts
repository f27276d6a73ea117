import type { MeasuredInputs, Prices } from './model';
import { SECONDS_PER_MONTH } from './model';

/**
 * What log rules add (docs/RULES.md), per million log records and per month: the counter writes
 * of ingest (one UpdateItem per rule and minute per invocation, at most), the CPU of trying each
 * record against the rules, and the reads of diagnose (a GetItem and a Query per rule and pass)
 * and of ingest's cache (one Query per warm container every 30 s).
 */
export interface RuleCostInputs {
  readonly rules: number;
  /** Records an ingest-logs invocation holds: a busy fleet's full batches, or a trickle's one. */
  readonly recordsPerInvocation: number;
  /** CPU to try a record against these rules, µs (bench/cpu.ts measures 20). */
  readonly matchMicrosPerRecord: number;
  /** CPU of the SDK building and signing one UpdateItem, µs (a beat's whole handler path is about that). */
  readonly sdkMicrosPerWrite: number;
  readonly logsMemoryMb: number;
  readonly diagnoseEverySeconds: number;
  /** Warm ingest-logs containers, each reading the rules every 30 s. */
  readonly warmContainers: number;
}

export interface RuleCost {
  readonly perMillionRecords: { readonly counterWrites: number; readonly writeUnits: number; readonly extraCpuMicrosPerRecord: number; readonly gbSeconds: number; readonly dollars: number };
  readonly perMonth: { readonly readUnits: number; readonly dollars: number };
}

/** A counter item with its 5 samples (≤ 200 characters each) is over 1 KB: 2 write units an ADD. */
const WRU_PER_COUNTER_WRITE = 2;
/** Diagnose's GetItem (consistent, ≤ 4 KB: 1 RRU) and its window's Query (counts only, eventually consistent: 0.5). */
const RRU_PER_RULE_PER_PASS = 1.5;
/** The cache's Query of every rule (a few KB, eventually consistent). */
const RRU_PER_CACHE_READ = 0.5;

export function ruleCost(i: RuleCostInputs, prices: Prices): RuleCost {
  const d = prices.aws.dynamodb;
  const invocations = 1e6 / Math.max(1, i.recordsPerInvocation);
  // Every rule touched in every invocation (each within one minute): the upper bound.
  const counterWrites = invocations * i.rules;
  const writeUnits = counterWrites * WRU_PER_COUNTER_WRITE;
  const extraCpuMicrosPerRecord = i.matchMicrosPerRecord + (counterWrites / 1e6) * i.sdkMicrosPerWrite;
  const gbSeconds = (i.logsMemoryMb / 1024) * 1e6 * ((extraCpuMicrosPerRecord / 1e6) / (i.logsMemoryMb / 1769));
  const passes = SECONDS_PER_MONTH / i.diagnoseEverySeconds;
  const readUnits = passes * i.rules * RRU_PER_RULE_PER_PASS + (SECONDS_PER_MONTH / 30) * i.warmContainers * RRU_PER_CACHE_READ;
  return {
    perMillionRecords: {
      counterWrites, writeUnits, extraCpuMicrosPerRecord, gbSeconds,
      dollars: (writeUnits / 1e6) * d.onDemandWriteRequestUnitsPerMillion + gbSeconds * prices.aws.lambda.arm64GbSecond,
    },
    perMonth: { readUnits, dollars: (readUnits / 1e6) * d.onDemandReadRequestUnitsPerMillion },
  };
}

/** A busy fleet's records per ingest-logs invocation: full messages, a full batch of them. */
export function fullInvocationRecords(m: MeasuredInputs): number {
  return m.logs.recordsPerFullMessage * m.logs.messagesPerInvocation;
}
