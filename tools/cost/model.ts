/**
 * The cost model: counted requests × list prices. Pure arithmetic, no I/O. The counts come from
 * bench/measured.json (written by the benchmarks against the engines); the prices from
 * bench/prices.json. docs/BENCHMARKS.md explains each term.
 */

import { PASS_METRIC_COUNT } from '../../lib/app/diagnose/metrics';
import { workersFor } from '../../lib/app/diagnose/fanout';
import { BATCH_HOST_CONCURRENCY } from '../../lib/app/ingest/heartbeats';
import { relayHoldMs } from '../../lib/domain/host/relay-stamp';

export const SECONDS_PER_MONTH = 730 * 3600;
export const DAYS_PER_MONTH = 730 / 24;
const MB = 1_000_000;

export interface Prices {
  readonly aws: {
    readonly sqs: { readonly standardRequestsPerMillion: number; readonly billingChunkBytes: number };
    readonly dynamodb: {
      readonly onDemandWriteRequestUnitsPerMillion: number;
      readonly onDemandReadRequestUnitsPerMillion: number;
      readonly provisionedWcuHour: number;
      readonly provisionedRcuHour: number;
      readonly storageGbMonth: number;
    };
    readonly lambda: { readonly requestsPerMillion: number; readonly arm64GbSecond: number };
    readonly sns: { readonly publishesPerMillion: number };
    readonly cloudwatch: {
      readonly logsIngestionPerGb: number;
      readonly customMetricMonth: number;
      readonly standardAlarmMonth: number;
      readonly putMetricDataPer1000: number;
    };
  };
  readonly alternatives: readonly { readonly name: string; readonly perHostMonth: number | null; readonly asOf: string; readonly sources: readonly string[] }[];
}

/** What the benchmarks counted; see bench/measured.json. */
export interface MeasuredInputs {
  readonly source: string;
  readonly date: string;
  readonly heartbeat: {
    /** SendMessageBatch calls per beat (the producer sends each beat at once). */
    readonly sqsSendRequestsPerBeat: number;
    readonly bodyBytes: number;
    /** Every DynamoDB write request ingest makes per beat, steady state. */
    readonly ddbWriteRequestsPerBeat: number;
    readonly ddbWriteUnitsPerBeat: number;
    readonly messagesPerInvocation: number;
  };
  readonly logs: {
    readonly recordBytes: number;
    readonly ddbWriteUnitsPerRecordTable: number;
    /** The byHost index (ALL projection) costs the same again. */
    readonly ddbWriteUnitsPerRecordIndex: number;
    /** The counting claim and the per-app-day counter update, per SQS message. */
    readonly ddbWriteRequestsPerMessageCounters: number;
    /**
     * Read units per record of the keys-only BatchGetItem that finds records stored already, so
     * they are neither rewritten nor counted twice (#10). An eventually consistent read of an
     * item up to 4 KB is half a unit whatever the projection: 0.5 unless measured.
     */
    readonly presenceReadUnitsPerRecord?: number;
    /** Records in a LogBatch that the producer filled up to 256 KiB. */
    readonly recordsPerFullMessage: number;
    readonly batchWriteCallsPerRecordBurst: number;
    readonly batchWriteCallsPerRecordTrickle: number;
    readonly messagesPerInvocation: number;
  };
  /** Bytes of one hosts-table item as the heartbeat writes it. */
  readonly hostItemBytes: number;
  /** Read units one diagnose pass consumes per host (a consistent Scan reads 4 KiB per unit). */
  readonly diagnoseReadUnitsPerHost?: number;
  /** Handler CPU, on the bench machine. */
  readonly cpuMicrosPerBeat?: number;
  /**
   * Handler CPU per beat of a relay's HeartbeatBatch (one SQS record shared by many beats) as a
   * share of a lone beat's, both measured in the same run of bench/cpu.ts: a ratio survives the
   * load of a shared machine better than either figure.
   */
  readonly relayedBeatCpuShare?: number;
  readonly cpuMicrosPerLogRecord?: number;
  /** CPU to try one record of 200 B against 20 log rules, 5 of them regex, with no write (bench/cpu.ts; docs/RULES.md). */
  readonly ruleMatchMicrosPerRecord?: number;
  /** Bytes of a stored log item (table; the index holds the same). */
  readonly logItemBytes?: number;
  /** JSON bytes per host of a report's detail parts (bench/report.ts: 20.3 MB at 100,000 hosts). */
  readonly reportDetailBytesPerHost?: number;
}

export interface Fleet {
  readonly hosts: number;
  /** Seconds between heartbeats. */
  readonly interval: number;
  readonly logRecordsPerHostPerDay: number;
  /** Bytes of log text per record. */
  readonly recordBytes: number;
  /** The producer's linger: how long a record waits for company, in seconds. */
  readonly lingerSeconds: number;
  /** Seconds between diagnose passes. */
  readonly diagnoseEvery: number;
  /** Missed beats before a host is dead (serverless.yml `tolerance`). */
  readonly tolerance: number;
  /** How long each pass watches deadlines (serverless.yml `diagnoseWatchSeconds`); 0 without the watch. */
  readonly watchSeconds: number;
  readonly billing: 'on-demand' | 'provisioned';
  /** Provisioned capacity runs at this share of what it is provisioned for. */
  readonly provisionedUtilisation: number;
  readonly logTtlDays: number;
  /** The legacy LogTracer mirror: every record re-logged to CloudWatch Logs. */
  readonly mirrorLogs: boolean;
  /** Notifications per host per month (downs, recoveries, level changes). */
  readonly notificationsPerHostMonth: number;
  readonly lambdaMemoryMb: number;
  /** Lambda CPU at `lambdaMemoryMb` relative to one bench-machine core (1,769 MB = 1 vCPU). */
  readonly lambdaCpuShare: number;
  /** Milliseconds of waiting on DynamoDB/SQS per invocation, on top of CPU. */
  readonly lambdaIoMsPerInvocation: number;
  /** The logs function's own memory (serverless.yml `ingestLogsMemory`); its CPU share follows (1,769 MB = 1 vCPU). */
  readonly logsMemoryMb: number;
  /** Lambda's event source mapping long-polls each queue with this many pollers when idle. */
  readonly idlePollersPerQueue: number;
  /**
   * Hosts beat through `dts relay`s, which forward their beats in HeartbeatBatch messages, each
   * beat within `flushSeconds` and a third of its interval (rules/relay relayHoldMs).
   */
  readonly relay?: { readonly hostsPerRelay: number; readonly flushSeconds: number };
  /** Diagnose's own memory (serverless.yml `diagnoseMemory`); its CPU share follows (1,769 MB = 1 vCPU). */
  readonly diagnoseMemoryMb: number;
  /** Custom metrics diagnose publishes each pass (EMF): see lib/app/diagnose/metrics.ts. */
  readonly customMetrics: number;
  /** Bytes of the EMF log line that carries them, per pass. */
  readonly emfBytesPerPass: number;
  /** CloudWatch alarms in serverless.yml (standard resolution); the template test keeps it equal. */
  readonly alarms: number;
  /** Share of log records at error or above: only these are written to the sparse byError index. */
  readonly errorShare: number;
  /** Bytes of a host item, instead of the measured one (e.g. to price a larger item before it is measured). */
  readonly hostItemBytes?: number;
  /** Diagnose fanned out (serverless.yml `diagnoseWorkers`, `diagnoseHostsPerWorker`, `diagnoseWorkerMemory`); default 1: none. */
  readonly diagnoseWorkers?: number;
  readonly diagnoseHostsPerWorker?: number;
  readonly diagnoseWorkerMemoryMb?: number;
}

export const DEFAULT_FLEET: Omit<Fleet, 'hosts'> = {
  interval: 60,
  logRecordsPerHostPerDay: 0,
  recordBytes: 200,
  lingerSeconds: 1,
  diagnoseEvery: 60,
  tolerance: 3,
  watchSeconds: 60,
  billing: 'on-demand',
  provisionedUtilisation: 0.7,
  logTtlDays: 14,
  mirrorLogs: true,
  notificationsPerHostMonth: 2,
  lambdaMemoryMb: 256,
  lambdaCpuShare: 256 / 1769,
  lambdaIoMsPerInvocation: 30,
  logsMemoryMb: 1024,
  idlePollersPerQueue: 5,
  diagnoseMemoryMb: 1769,
  customMetrics: PASS_METRIC_COUNT,
  emfBytesPerPass: 1200,
  alarms: 19,
  errorShare: 0.02,
};

export interface Line {
  readonly service: 'SQS' | 'DynamoDB' | 'Lambda' | 'SNS' | 'CloudWatch Logs' | 'CloudWatch' | 'API Gateway';
  readonly item: string;
  /** Billed units per month (requests, units, GB-s, GB…). */
  readonly quantity: number;
  readonly unit: string;
  readonly dollars: number;
}

export interface Estimate {
  readonly lines: readonly Line[];
  readonly total: number;
  readonly perHost: number;
  readonly byService: Readonly<Record<string, number>>;
  /** Derived quantities, shown so the arithmetic can be followed. */
  readonly derived: Readonly<Record<string, number>>;
}

const perMillion = (n: number, price: number) => (n / MB) * price;
const sigSeconds = (s: number) => (Number.isInteger(s) ? String(s) : s.toFixed(1));

/** SQS bills each 64 KiB of a request's payload as one request. */
export function sqsBilled(requests: number, payloadBytesPerRequest: number, chunk: number): number {
  return requests * Math.max(1, Math.ceil(payloadBytesPerRequest / chunk));
}

/** Records in one LogBatch: those arriving within the linger, capped by the full message. */
export function recordsPerMessage(recordsPerHostPerDay: number, lingerSeconds: number, full: number): number {
  return Math.min(full, 1 + (recordsPerHostPerDay / 86_400) * lingerSeconds);
}

export function estimate(fleetIn: Partial<Fleet> & { hosts: number }, m: MeasuredInputs, prices: Prices): Estimate {
  const f: Fleet = { ...DEFAULT_FLEET, ...fleetIn };
  const p = prices.aws;
  const lines: Line[] = [];
  const add = (l: Line) => lines.push(l);
  const sqsPrice = (n: number) => perMillion(n, p.sqs.standardRequestsPerMillion);
  const chunk = p.sqs.billingChunkBytes;

  // ---- heartbeats ------------------------------------------------------------------------------
  const relays = f.relay ? Math.ceil(f.hosts / f.relay.hostsPerRelay) : 0;
  // A relay beats too, at the fleet's interval.
  const beats = ((f.hosts + relays) * SECONDS_PER_MONTH) / f.interval;
  // SQS messages that carry the beats: one each, or a relay's flush of many.
  let hbMessages = beats;
  if (f.relay) {
    const hold = relayHoldMs(f.interval, f.relay.flushSeconds * 1000) / 1000;
    const flushes = (relays * SECONDS_PER_MONTH) / hold;
    const beatsPerFlush = Math.max(1, ((f.relay.hostsPerRelay + 1) / f.interval) * hold);
    // A relayed beat is the beat plus its receive time (~12 B), base64 like the rest.
    const flushBytes = beatsPerFlush * (m.heartbeat.bodyBytes + 16);
    hbMessages = flushes * Math.ceil(flushBytes / (256 * 1024));
    const hbSends = sqsBilled(flushes, flushBytes, chunk);
    const hbReceives = Math.max(hbMessages / 10, (flushes * flushBytes) / chunk);
    add({ service: 'SQS', item: `heartbeats: SendMessageBatch (a relay flush of ${beatsPerFlush.toFixed(0)} beats every ${sigSeconds(hold)} s)`, quantity: hbSends, unit: 'requests', dollars: sqsPrice(hbSends) });
    add({ service: 'SQS', item: 'heartbeats: ReceiveMessage + DeleteMessageBatch', quantity: hbReceives + hbMessages / 10, unit: 'requests', dollars: sqsPrice(hbReceives + hbMessages / 10) });
  } else {
    const hbSends = sqsBilled(beats * m.heartbeat.sqsSendRequestsPerBeat, m.heartbeat.bodyBytes, chunk);
    add({ service: 'SQS', item: 'heartbeats: SendMessageBatch (one beat each)', quantity: hbSends, unit: 'requests', dollars: sqsPrice(hbSends) });
    add({ service: 'SQS', item: 'heartbeats: ReceiveMessage + DeleteMessageBatch (10 a call)', quantity: beats / 5, unit: 'requests', dollars: sqsPrice(beats / 5) });
  }
  // A write costs a unit per KB of the larger of the item before and after it: the host item's size
  // decides, whatever the engine counted for a smaller one.
  const hostItemBytes = f.hostItemBytes ?? m.hostItemBytes;
  const writeUnitsPerBeat = Math.max(m.heartbeat.ddbWriteUnitsPerBeat, Math.ceil(hostItemBytes / 1024));
  const hbWriteUnits = beats * writeUnitsPerBeat;

  // ---- diagnose --------------------------------------------------------------------------------
  const passes = SECONDS_PER_MONTH / f.diagnoseEvery;
  // The larger of what the engine reported and AWS's rule: a Scan reads the items' total size in
  // 4 KiB units, half a unit each when eventually consistent, as HostStore.scanSegment reads.
  // dynalite sizes items for Scan more compactly than the documented rule.
  const readUnitsPerHost = Math.max(m.diagnoseReadUnitsPerHost ?? 0, hostItemBytes / 4096 / 2);
  const readUnitsPerPass = Math.max(1, f.hosts * readUnitsPerHost) + 1;
  const diagnoseReadUnits = passes * readUnitsPerPass;
  // recordRun, and the monitor item's update when ingest stores the pass's canary.
  const diagnoseWriteUnits = passes * 2;
  // The ingest watermark (lib/domain/fleet/watermark.ts): a GetQueueAttributes each pass, and a canary
  // (SendMessage) when the queue is not empty, counted always: a busy fleet's queue rarely is.
  const diagnoseSqs = passes * 2;

  add({ service: 'SQS', item: 'diagnose: GetQueueAttributes and a canary (ingest watermark)', quantity: diagnoseSqs, unit: 'requests', dollars: sqsPrice(diagnoseSqs) });

  // ---- the deadline watch (lib/app/diagnose/watch.ts) ------------------------------------
  // A healthy host's deadline is at least (tolerance − 1) × interval ahead of a pass; it is watched
  // only when that falls within the watch, and is then confirmed about once per (tolerance − ½)
  // intervals (each confirm finds a newer beat and a later deadline). A silent host is confirmed
  // once, at its death. One consistent read unit per host (items under 4 KiB).
  const watching = f.watchSeconds > 0;
  const healthyConfirms = watching && (f.tolerance - 1) * f.interval < f.watchSeconds ? SECONDS_PER_MONTH / ((f.tolerance - 0.5) * f.interval) : 0;
  const watchConfirms = watching ? f.hosts * (healthyConfirms + f.notificationsPerHostMonth / 2) : 0;
  // An invocation with no deadline listed ends after its pass; one with deadlines lasts until the
  // last of them: the whole watch when healthy hosts are watched, else about half of it for each
  // death (each in its own pass at most). While waiting it reads the monitor item once a second
  // (a newer pass takes over).
  const watchSecondsPerMonth = !watching ? 0 : healthyConfirms > 0
    ? passes * f.watchSeconds
    : Math.min(passes, (f.hosts * f.notificationsPerHostMonth) / 2) * (f.watchSeconds / 2);
  const watchMonitorReads = watchSecondsPerMonth;
  // Only a batch with a death establishes the watermark again: a GetQueueAttributes and a canary
  // (and the monitor item's update when ingest stores it), at most one per death.
  const watchDeaths = watching ? Math.min(passes * f.watchSeconds * 4, (f.hosts * f.notificationsPerHostMonth) / 2) : 0;
  if (watching) {
    add({ service: 'SQS', item: 'diagnose watch: GetQueueAttributes and a canary per batch with a death', quantity: watchDeaths * 2, unit: 'requests', dollars: sqsPrice(watchDeaths * 2) });
  }

  // ---- logs ------------------------------------------------------------------------------------
  const records = f.hosts * f.logRecordsPerHostPerDay * DAYS_PER_MONTH;
  const rpm = f.logRecordsPerHostPerDay > 0 ? recordsPerMessage(f.logRecordsPerHostPerDay, f.lingerSeconds, m.logs.recordsPerFullMessage) : 1;
  const messages = records / rpm;
  // A record on the wire: its text, ~100 B of app, host, id, fields and framing; base64 adds a third.
  const messageBytes = Math.ceil((rpm * (f.recordBytes + 100) * 4) / 3);
  const logSends = sqsBilled(messages, messageBytes, chunk);
  const logReceives = Math.max(messages / 10, (messages * messageBytes) / chunk);
  const logDeletes = messages / 10;
  const logItemBytes = m.logItemBytes ?? f.recordBytes + 250;
  const unitsPerRecord = Math.ceil(logItemBytes / 1024);
  const logWriteUnits = records * unitsPerRecord * 2 + messages * m.logs.ddbWriteRequestsPerMessageCounters;
  const logReadUnits = records * (m.logs.presenceReadUnitsPerRecord ?? 0.5);
  // The fleet-wide error view: the sparse byError index holds (and is written for) errors only.
  const errorIndexWriteUnits = records * f.errorShare * unitsPerRecord;
  if (records > 0) {
    add({ service: 'SQS', item: `logs: SendMessageBatch (${rpm.toFixed(rpm < 10 ? 2 : 0)} records per message)`, quantity: logSends, unit: 'requests', dollars: sqsPrice(logSends) });
    add({ service: 'SQS', item: 'logs: ReceiveMessage + DeleteMessageBatch', quantity: logReceives + logDeletes, unit: 'requests', dollars: sqsPrice(logReceives + logDeletes) });
  }

  // Lambda's pollers long-poll both queues even when they are idle (20 s waits).
  const idleReceives = 2 * f.idlePollersPerQueue * (SECONDS_PER_MONTH / 20);
  add({ service: 'SQS', item: `event source mapping: idle long polls (2 queues × ${f.idlePollersPerQueue} pollers × 20 s)`, quantity: idleReceives, unit: 'requests', dollars: sqsPrice(idleReceives) });

  // ---- DynamoDB ----------------------------------------------------------------------------------
  const d = p.dynamodb;
  if (f.billing === 'on-demand') {
    add({ service: 'DynamoDB', item: `hosts: 1 UpdateItem per beat (${writeUnitsPerBeat} WRU: a ${Math.round(hostItemBytes)} B item)`, quantity: hbWriteUnits, unit: 'WRU', dollars: perMillion(hbWriteUnits, d.onDemandWriteRequestUnitsPerMillion) });
    add({ service: 'DynamoDB', item: 'diagnose: parallel Scan of hosts (eventually consistent)', quantity: diagnoseReadUnits, unit: 'RRU', dollars: perMillion(diagnoseReadUnits, d.onDemandReadRequestUnitsPerMillion) });
    add({ service: 'DynamoDB', item: 'diagnose: monitor bookkeeping', quantity: diagnoseWriteUnits, unit: 'WRU', dollars: perMillion(diagnoseWriteUnits, d.onDemandWriteRequestUnitsPerMillion) });
    if (watching) {
      add({ service: 'DynamoDB', item: 'diagnose watch: BatchGetItem at deadlines (consistent)', quantity: watchConfirms, unit: 'RRU', dollars: perMillion(watchConfirms, d.onDemandReadRequestUnitsPerMillion) });
      add({ service: 'DynamoDB', item: 'diagnose watch: monitor GetItem once a second', quantity: watchMonitorReads, unit: 'RRU', dollars: perMillion(watchMonitorReads, d.onDemandReadRequestUnitsPerMillion) });
    }
    // The daily report: one Scan of the hosts, and its detail in parts of ≤350 KB (a write unit per KB).
    const reportRead = DAYS_PER_MONTH * Math.max(1, f.hosts * readUnitsPerHost);
    const reportWrite = DAYS_PER_MONTH * (Math.ceil((f.hosts * (m.reportDetailBytesPerHost ?? 210)) / 1024) + 300);
    add({ service: 'DynamoDB', item: 'report (daily): Scan of hosts, head and detail parts', quantity: reportRead + reportWrite, unit: 'RRU+WRU',
      dollars: perMillion(reportRead, d.onDemandReadRequestUnitsPerMillion) + perMillion(reportWrite, d.onDemandWriteRequestUnitsPerMillion) });
    if (records > 0) add({ service: 'DynamoDB', item: 'logs: BatchWriteItem (table + byHost index) and counters', quantity: logWriteUnits, unit: 'WRU', dollars: perMillion(logWriteUnits, d.onDemandWriteRequestUnitsPerMillion) });
    if (records > 0) add({ service: 'DynamoDB', item: 'logs: BatchGetItem, which records are stored already (count once)', quantity: logReadUnits, unit: 'RRU', dollars: perMillion(logReadUnits, d.onDemandReadRequestUnitsPerMillion) });
    if (records > 0) add({ service: 'DynamoDB', item: `logs: sparse byError index (${(f.errorShare * 100).toFixed(0)}% of records at error+)`, quantity: errorIndexWriteUnits, unit: 'WRU', dollars: perMillion(errorIndexWriteUnits, d.onDemandWriteRequestUnitsPerMillion) });
  } else {
    const hours = SECONDS_PER_MONTH / 3600;
    const wcu = (hbWriteUnits + diagnoseWriteUnits + logWriteUnits + errorIndexWriteUnits) / SECONDS_PER_MONTH / f.provisionedUtilisation;
    const rcu = (diagnoseReadUnits + watchConfirms + watchMonitorReads + logReadUnits) / SECONDS_PER_MONTH / f.provisionedUtilisation;
    add({ service: 'DynamoDB', item: `provisioned WCU (${wcu.toFixed(1)} at ${f.provisionedUtilisation * 100}% use)`, quantity: wcu * hours, unit: 'WCU-h', dollars: wcu * hours * d.provisionedWcuHour });
    add({ service: 'DynamoDB', item: `provisioned RCU (${rcu.toFixed(1)}: diagnose scans and deadline reads, bursts absorbed by burst capacity)`, quantity: rcu * hours, unit: 'RCU-h', dollars: rcu * hours * d.provisionedRcuHour });
  }
  const storedLogGb = (f.hosts * f.logRecordsPerHostPerDay * f.logTtlDays * logItemBytes * 2) / 1e9;
  const storedHostsGb = (f.hosts * hostItemBytes) / 1e9;
  add({ service: 'DynamoDB', item: `storage (hosts; logs kept ${f.logTtlDays} days, table + index)`, quantity: storedLogGb + storedHostsGb, unit: 'GB-month', dollars: (storedLogGb + storedHostsGb) * d.storageGbMonth });

  // ---- Lambda ----------------------------------------------------------------------------------
  const l = p.lambda;
  const gb = f.lambdaMemoryMb / 1024;
  const hbMessagesPerSecond = hbMessages / SECONDS_PER_MONTH;
  const hbMessagesPerInvocation = Math.max(1, Math.min(m.heartbeat.messagesPerInvocation, hbMessagesPerSecond)); // 1 s batching window
  const hbInvocations = hbMessages / hbMessagesPerInvocation;
  const hbBatch = beats / hbInvocations;
  const cpuMicrosPerBeat = (m.cpuMicrosPerBeat ?? 400) * (f.relay ? m.relayedBeatCpuShare ?? 1 : 1);
  const cpuSecondsPerBeat = (cpuMicrosPerBeat / 1e6) / f.lambdaCpuShare;
  const logMessagesPerSecond = messages / SECONDS_PER_MONTH;
  const logBatch = Math.max(1, Math.min(m.logs.messagesPerInvocation, logMessagesPerSecond));
  const logInvocations = messages / logBatch;
  const cpuSecondsPerRecord = ((m.cpuMicrosPerLogRecord ?? 45) / 1e6) / (f.logsMemoryMb / 1769);
  const gbSeconds = gb * (
    // A relayed batch's beats are written BATCH_HOST_CONCURRENCY hosts at a time: one wait per round.
    (f.relay ? beats / BATCH_HOST_CONCURRENCY : hbInvocations) * (f.lambdaIoMsPerInvocation / 1000) + beats * cpuSecondsPerBeat
  );
  const logsGbSeconds = (f.logsMemoryMb / 1024) * (logInvocations * (f.lambdaIoMsPerInvocation / 1000) + records * cpuSecondsPerRecord);
  // Fanned out (docs/SEMANTICS.md, "Diagnose fanned out"): W workers each judge hosts / W, and
  // those with planned hosts commit them (a second invocation, and a BatchGetItem of those hosts);
  // the coordinator waits for the slowest. One worker means none: no extra request at all.
  const workers = workersFor({ workers: f.diagnoseWorkers ?? 1, hostsPerWorker: f.diagnoseHostsPerWorker ?? 50_000, workerFunction: 'diagnoseWorker' }, { lastHosts: f.hosts });
  const plannedPerPass = (f.hosts * f.notificationsPerHostMonth) / passes;
  const workerInvocations = workers > 1 ? passes * (workers + Math.min(workers, plannedPerPass)) : 0;
  // Also the monitor item, read once a pass to size the fan-out (with diagnoseWorkers above 1).
  const workerReadUnits = workers > 1 ? passes * (plannedPerPass * Math.ceil(hostItemBytes / 4096) + 1) : 0;
  const workerMb = f.diagnoseWorkerMemoryMb ?? f.diagnoseMemoryMb;
  const scanSecondsAt = (hosts: number, mb: number) => (hosts * 5e-6) / Math.min(1, mb / 1769);
  const workerGbSeconds = workers > 1
    ? (workerMb / 1024) * passes * workers * (2 * f.lambdaIoMsPerInvocation / 1000 + scanSecondsAt(f.hosts / workers, workerMb))
    : 0;
  // The watch keeps an invocation running (mostly waiting) until its last listed deadline.
  const diagnoseGbSeconds = (f.diagnoseMemoryMb / 1024)
    * (passes * (f.lambdaIoMsPerInvocation / 1000 + (workers > 1 ? scanSecondsAt(f.hosts / workers, workerMb) : (f.hosts * 5e-6) / (f.diagnoseMemoryMb / 1769))) + watchSecondsPerMonth);
  const invocations = hbInvocations + logInvocations + passes;
  add({ service: 'Lambda', item: `requests (ingest batches of ${hbBatch.toFixed(0)} beats${records > 0 ? `, ${logBatch.toFixed(0)} log messages` : ''}; diagnose)`, quantity: invocations, unit: 'invocations', dollars: perMillion(invocations, l.requestsPerMillion) });
  add({ service: 'Lambda', item: `duration, ingest heartbeats arm64 ${f.lambdaMemoryMb} MB`, quantity: gbSeconds, unit: 'GB-s', dollars: gbSeconds * l.arm64GbSecond });
  if (records > 0) add({ service: 'Lambda', item: `duration, ingest logs arm64 ${f.logsMemoryMb} MB`, quantity: logsGbSeconds, unit: 'GB-s', dollars: logsGbSeconds * l.arm64GbSecond });
  add({ service: 'Lambda', item: `duration, diagnose arm64 ${f.diagnoseMemoryMb} MB`, quantity: diagnoseGbSeconds, unit: 'GB-s', dollars: diagnoseGbSeconds * l.arm64GbSecond });
  if (workers > 1) {
    add({ service: 'Lambda', item: `requests, diagnose workers (${workers} judge + up to ${workers} commit invocations a pass)`, quantity: workerInvocations, unit: 'invocations', dollars: perMillion(workerInvocations, l.requestsPerMillion) });
    add({ service: 'Lambda', item: `duration, diagnose workers arm64 ${workerMb} MB`, quantity: workerGbSeconds, unit: 'GB-s', dollars: workerGbSeconds * l.arm64GbSecond });
    if (f.billing === 'on-demand') {
      add({ service: 'DynamoDB', item: 'diagnose workers: BatchGetItem of the planned hosts before committing (consistent), and the monitor item', quantity: workerReadUnits, unit: 'RRU', dollars: perMillion(workerReadUnits, d.onDemandReadRequestUnitsPerMillion) });
    }
  }

  // ---- SNS and CloudWatch Logs -----------------------------------------------------------------
  const publishes = f.hosts * f.notificationsPerHostMonth;
  add({ service: 'SNS', item: 'notification publishes', quantity: publishes, unit: 'publishes', dollars: perMillion(publishes, p.sns.publishesPerMillion) });
  if (publishes > 0 && f.billing === 'on-demand') {
    // The outbox entry in the state write (about one more unit), the record, the mark, the entry's removal.
    const notificationWrites = publishes * 4;
    add({ service: 'DynamoDB', item: 'notifications: outbox entry, record, mark published, settle', quantity: notificationWrites, unit: 'WRU', dollars: perMillion(notificationWrites, d.onDemandWriteRequestUnitsPerMillion) });
  }

  // ---- watching the watcher: diagnose's metrics (EMF) and the alarms ---------------------------
  const cw = p.cloudwatch;
  add({ service: 'CloudWatch', item: `custom metrics from diagnose (${f.customMetrics}, by EMF: no PutMetricData)`, quantity: f.customMetrics, unit: 'metric-months', dollars: f.customMetrics * cw.customMetricMonth });
  const emfGb = (passes * f.emfBytesPerPass) / 1e9;
  add({ service: 'CloudWatch Logs', item: 'EMF lines carrying those metrics, one per pass', quantity: emfGb, unit: 'GB', dollars: emfGb * cw.logsIngestionPerGb });
  add({ service: 'CloudWatch', item: `alarms (${f.alarms}, standard resolution)`, quantity: f.alarms, unit: 'alarm-months', dollars: f.alarms * cw.standardAlarmMonth });
  if (f.mirrorLogs && records > 0) {
    // Powertools writes one JSON line per mirrored record: the legacy line plus ~250 B of envelope.
    const gbIngested = (records * (f.recordBytes + 300)) / 1e9;
    add({ service: 'CloudWatch Logs', item: 'LogTracer mirror (one JSON line per record)', quantity: gbIngested, unit: 'GB', dollars: gbIngested * p.cloudwatch.logsIngestionPerGb });
  }

  const total = lines.reduce((a, x) => a + x.dollars, 0);
  const byService: Record<string, number> = {};
  for (const x of lines) byService[x.service] = (byService[x.service] ?? 0) + x.dollars;
  return {
    lines,
    total,
    perHost: total / Math.max(1, f.hosts),
    byService,
    derived: { beats, writeUnitsPerBeat, hostItemBytes, records, recordsPerMessage: rpm, messages, readUnitsPerPass, passes, watchConfirms, watchMonitorReads, hbInvocations, logInvocations, gbSeconds, logsGbSeconds, diagnoseGbSeconds, diagnoseWorkers: workers, workerInvocations, workerGbSeconds },
  };
}

/** An alternative's list price per host per month; CloudWatch's is computed from its parts. */
export function alternativePerHost(a: Prices['alternatives'][number], prices: Prices): number {
  if (a.perHostMonth !== null) return a.perHostMonth;
  const cw = prices.aws.cloudwatch;
  const putsPerMonth = SECONDS_PER_MONTH / 60;
  return 3 * cw.customMetricMonth + cw.standardAlarmMonth + (putsPerMonth / 1000) * cw.putMetricDataPer1000;
}

/** A fleet of checks (scheduled jobs) and how they signal (docs/CHECKS.md, "Cost"). */
export interface CheckFleet {
  readonly checks: number;
  /** Seconds between runs. */
  readonly everySeconds: number;
  /** Signals per run: 1 for a plain `curl` at the end, 2 for `dts run` (start, then the end). */
  readonly signalsPerRun: number;
  /** How they arrive: SQS (a CheckPing on the heartbeats queue) or HTTP (/ping on the API). */
  readonly via: 'sqs' | 'http';
  /** Bytes of output a run sends with its end signal (kept as a log record); 0 for none. */
  readonly outputBytes: number;
  readonly diagnoseEvery: number;
  /** A check item's size, outbox empty: about 600 B with a cron schedule and two labels. */
  readonly checkItemBytes: number;
  /** The ingest function's billed duration and memory per invocation. */
  readonly invocationMs: number;
  readonly memoryMb: number;
  /** API Gateway HTTP API, per million requests (not in bench/prices.json: verify). */
  readonly httpApiPerMillion: number;
}

export const DEFAULT_CHECK_FLEET: Omit<CheckFleet, 'checks'> = {
  everySeconds: 3600, signalsPerRun: 1, via: 'sqs', outputBytes: 0, diagnoseEvery: 60, checkItemBytes: 600, invocationMs: 50, memoryMb: 1024, httpApiPerMillion: 1.0,
};

/**
 * A check-month, from the design's counts: one DynamoDB write per signal (the check item, under
 * 1 KB), a strongly consistent read of it before each run's end (docs/DATA-MODEL.md, "Runs"), a
 * log record per run that sends output, and the checks read once a pass (one eventually
 * consistent Scan). SQS: a send per signal, a receive and a delete per ingest invocation, which takes what
 * a one-second batching window gathers (at most 100). HTTP: an API request and an invocation per
 * signal. Diagnose's own invocations are the hosts' and not counted again.
 */
export function checkEstimate(fleetIn: Partial<CheckFleet> & { checks: number }, prices: Prices): Estimate & { perCheck: number } {
  const f: CheckFleet = { ...DEFAULT_CHECK_FLEET, ...fleetIn };
  const p = prices.aws;
  const runs = (f.checks * SECONDS_PER_MONTH) / f.everySeconds;
  const signals = runs * f.signalsPerRun;
  const lines: Line[] = [];
  const add = (service: Line['service'], item: string, quantity: number, unit: string, dollars: number) => lines.push({ service, item, quantity, unit, dollars });
  const wruPerSignal = Math.max(1, Math.ceil(f.checkItemBytes / 1024));
  add('DynamoDB', 'signal writes (check item)', signals * wruPerSignal, 'WRU', (signals * wruPerSignal * p.dynamodb.onDemandWriteRequestUnitsPerMillion) / MB);
  // The end of each run reads the check first (strongly consistent), to count the run with its duration.
  const endReads = runs * Math.ceil(f.checkItemBytes / 4096);
  add('DynamoDB', 'check read before each run\'s end', endReads, 'RRU', (endReads * p.dynamodb.onDemandReadRequestUnitsPerMillion) / MB);
  if (f.outputBytes > 0) {
    const wru = runs * Math.ceil((f.outputBytes + 300) / 1024);
    add('DynamoDB', 'output log records', wru, 'WRU', (wru * p.dynamodb.onDemandWriteRequestUnitsPerMillion) / MB);
  }
  const passes = SECONDS_PER_MONTH / f.diagnoseEvery;
  // An eventually consistent Scan: half a read unit per 4 KB; the name items ride along.
  const rru = passes * Math.ceil((f.checks * (f.checkItemBytes + 100)) / 4096) / 2;
  add('DynamoDB', 'diagnose reads every check each pass', rru, 'RRU', (rru * p.dynamodb.onDemandReadRequestUnitsPerMillion) / MB);
  const perSecond = signals / SECONDS_PER_MONTH;
  const perInvocation = f.via === 'sqs' ? Math.min(100, Math.max(1, perSecond)) : 1;
  const invocations = signals / perInvocation;
  if (f.via === 'sqs') {
    const requests = signals + 2 * invocations;
    add('SQS', 'send, receive and delete', requests, 'requests', (requests * p.sqs.standardRequestsPerMillion) / MB);
  } else {
    add('API Gateway', 'HTTP API requests', signals, 'requests', (signals * f.httpApiPerMillion) / MB);
  }
  const gbSeconds = invocations * (f.invocationMs / 1000) * (f.memoryMb / 1024);
  add('Lambda', 'ingest invocations', invocations, 'requests', (invocations * p.lambda.requestsPerMillion) / MB);
  add('Lambda', 'ingest duration', gbSeconds, 'GB-s', gbSeconds * p.lambda.arm64GbSecond);
  const byService: Record<string, number> = {};
  for (const l of lines) byService[l.service] = (byService[l.service] ?? 0) + l.dollars;
  const total = lines.reduce((t, l) => t + l.dollars, 0);
  return { lines, byService, total, perHost: total / f.checks, perCheck: total / f.checks, derived: { signals, invocations, readUnitsPerPass: rru / passes } };
}
