import type { MeasuredInputs, Prices } from './model';
import { SECONDS_PER_MONTH } from './model';

/**
 * What log rules add (docs/RULES.md), per million log records and per month: the writes of ingest
 * (one counter UpdateItem per minute an invocation touches, whatever the number of rules, and a
 * samples UpdateItem at most once per warm function a minute: counted here as one per invocation,
 * the upper bound), the CPU of trying each record against the rules, and the reads of diagnose (a
 * GetItem per rule and one Query of the minutes per pass) and of ingest's cache (one Query per
 * warm container every 30 s).
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
  readonly perMillionRecords: { readonly counterWrites: number; readonly sampleWrites: number; readonly writeUnits: number; readonly extraCpuMicrosPerRecord: number; readonly gbSeconds: number; readonly dollars: number };
  readonly perMonth: { readonly readUnits: number; readonly dollars: number };
}

/** A minute's counter item: a count (and a silent rule's seconds) per rule, under 100 bytes a rule. */
const counterItemKb = (rules: number): number => Math.max(1, Math.ceil((rules * 100) / 1024));
/** A minute's samples item: 5 samples of about 300 bytes a rule (200-character texts). */
const samplesItemKb = (rules: number): number => Math.max(1, Math.ceil((rules * 5 * 300) / 1024));
/** Diagnose's GetItem of each rule's state (consistent, ≤ 4 KB: 1 RRU). */
const RRU_PER_RULE_PER_PASS = 1;
/** The minutes a pass reads: a 5-minute window (6 minutes), eventually consistent. */
const WINDOW_MINUTES = 6;
/** The cache's Query of every rule (a few KB, eventually consistent). */
const RRU_PER_CACHE_READ = 0.5;

export function ruleCost(i: RuleCostInputs, prices: Prices): RuleCost {
  const d = prices.aws.dynamodb;
  const invocations = 1e6 / Math.max(1, i.recordsPerInvocation);
  // Each invocation within one minute: one counter write; and a samples write (the upper bound).
  const counterWrites = invocations;
  const sampleWrites = invocations;
  const writeUnits = counterWrites * counterItemKb(i.rules) + sampleWrites * samplesItemKb(i.rules);
  const extraCpuMicrosPerRecord = i.matchMicrosPerRecord + ((counterWrites + sampleWrites) / 1e6) * i.sdkMicrosPerWrite;
  const gbSeconds = (i.logsMemoryMb / 1024) * 1e6 * ((extraCpuMicrosPerRecord / 1e6) / (i.logsMemoryMb / 1769));
  const passes = SECONDS_PER_MONTH / i.diagnoseEverySeconds;
  const minutesQuery = 0.5 * Math.max(1, Math.ceil((WINDOW_MINUTES * counterItemKb(i.rules)) / 4));
  const readUnits = passes * (i.rules * RRU_PER_RULE_PER_PASS + minutesQuery) + (SECONDS_PER_MONTH / 30) * i.warmContainers * RRU_PER_CACHE_READ;
  return {
    perMillionRecords: {
      counterWrites, sampleWrites, writeUnits, extraCpuMicrosPerRecord, gbSeconds,
      dollars: (writeUnits / 1e6) * d.onDemandWriteRequestUnitsPerMillion + gbSeconds * prices.aws.lambda.arm64GbSecond,
    },
    perMonth: { readUnits, dollars: (readUnits / 1e6) * d.onDemandReadRequestUnitsPerMillion },
  };
}

/** A busy fleet's records per ingest-logs invocation: full messages, a full batch of them. */
export function fullInvocationRecords(m: MeasuredInputs): number {
  return m.logs.recordsPerFullMessage * m.logs.messagesPerInvocation;
}
