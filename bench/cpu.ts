/**
 * Part 1: handler CPU per heartbeat and per log record: decode, validate and write planning
 * (down to the serialised, signed request), with no I/O. The AWS clients answer at once
 * (bench/support/null-clients.ts), so the time is the handler's own.
 *
 * Side by side, in one process: the generated static protobufjs code, protobufjs reflection
 * (proto/dts.proto loaded at run time), and a naive JSON body (JSON.parse, no schema).
 *
 *   npx tsx bench/cpu.ts [--quick] [--rules-only]
 *
 * `--rules-only`: the log handler without rules, with 20 (their counts riding in the daily
 * counts write), and with their counts in a request apart as before (part 19), in turns, and
 * the matching cost alone; nothing saved.
 */
import path from 'node:path';
import protobuf from 'protobufjs';
import { loadConfig } from '../lib/config';
import type { Beat } from '../lib/domain/model';
import { ingestHeartbeat, storeBeat, type HeartbeatIngest } from '../lib/app/ingest/heartbeats';
import { ingestLogMessage, type LogIngest } from '../lib/app/ingest/logs';
import { silentLog } from '../lib/app/log';
import { indexRules, RuleTally } from '../lib/app/rules/count';
import { LogRuleStore } from '../lib/adapters/dynamodb/log-rules';
import { BatchWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { createHash } from 'node:crypto';
import type { LogRule } from '../lib/domain/rule/rule';
import { AlertPublisher } from '../lib/adapters/sns/alerts';
import { HostStore } from '../lib/adapters/dynamodb/hosts';
import { LogStore } from '../lib/adapters/dynamodb/logs';
import { NotificationStore } from '../lib/adapters/dynamodb/notifications';
import { StatsStore } from '../lib/adapters/dynamodb/stats';
import { decodeBody, encodeBody } from '../lib/wire/codec';
import type { dts } from '../lib/wire/generated/dts.js';
import { validateHeartbeat, validateLogBatch, type Limits } from '../lib/wire/validate';
import { heartbeat, logRecord } from './support/fixtures';
import { nullClients, type NullTransportCounts } from './support/null-clients';
import { mergeMeasured } from './support/measured';
import { BENCH_DIR, header, isQuick, saveResult, table } from './support/report';
import { sig, summarize, type Summary } from './support/stats';

const quick = isQuick();
const HB_N = quick ? 5_000 : 40_000;
const LOG_MESSAGES = quick ? 300 : 2_000;
const RECORDS_PER_MESSAGE = 100;
const RECORD_BYTES = 200;
/** A relay's flush: 500 hosts beating every 60 s, flushed every 10 s (docs/RELAY.md). */
const RELAYED_PER_BATCH = 84;

const config = loadConfig({});
const limits: Limits = { maxFutureSeconds: config.maxFutureSeconds, textMaxBytes: config.logs.textMaxBytes };
const counts: NullTransportCounts = { requests: 0 };
const c = nullClients(counts);
const delivery = {
  notifications: new NotificationStore(c.ddb, 'notifications', 90),
  alerts: new AlertPublisher(c.sns, 'arn:aws:sns:us-east-1:000000000000:alerts'),
  now: Date.now,
};
const hbDeps: HeartbeatIngest = { hosts: new HostStore(c.ddb, 'hosts'), delivery, quarantine: undefined, levels: config.levels, limits, log: silentLog };
const logDeps: LogIngest = {
  logs: new LogStore(c.ddb, 'logs'), stats: new StatsStore(c.ddb, 'stats'), quarantine: undefined, limits,
  ttlDays: 14, mirror: undefined, log: silentLog, now: Date.now,
};

const root = protobuf.loadSync(path.join(BENCH_DIR, '..', 'proto', 'dts.proto'));
const Reflected = {
  heartbeat: root.lookupType('dts.HeartbeatMessage'),
  batch: root.lookupType('dts.LogBatch'),
};

interface Variant {
  readonly name: string;
  readonly body: (i: number) => string;
  readonly run: (body: string, i: number) => Promise<unknown>;
}

interface Measured {
  readonly variant: string;
  readonly records: number;
  readonly bodyBytes: number;
  /** Per message, in microseconds. */
  readonly perMessage: Summary;
  /** Per record: CPU microseconds, from process.cpuUsage over the whole run. */
  readonly cpuMicrosPerRecord: number;
  readonly recordsPerCoreSecond: number;
  readonly requestsPerMessage: number;
  /** Measured in turns: CPU microseconds per record in each round, so that a round's load burst can be told from the variant. */
  readonly perRound?: readonly number[];
}

async function measure(v: Variant, messages: number, recordsPerMessage: number, warmup: number): Promise<Measured> {
  const bodies = Array.from({ length: Math.min(messages, 2_000) }, (_, i) => v.body(i));
  for (let i = 0; i < warmup; i++) await v.run(bodies[i % bodies.length] as string, i);
  const samples: number[] = new Array(messages);
  const before = counts.requests;
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < messages; i++) {
    const body = bodies[i % bodies.length] as string;
    const t0 = process.hrtime.bigint();
    await v.run(body, i);
    samples[i] = Number(process.hrtime.bigint() - t0) / 1_000;
  }
  const cpu = process.cpuUsage(cpu0);
  const cpuMicros = cpu.user + cpu.system;
  const records = messages * recordsPerMessage;
  return {
    variant: v.name,
    records,
    bodyBytes: Buffer.byteLength(bodies[0] as string),
    perMessage: summarize(samples),
    cpuMicrosPerRecord: cpuMicros / records,
    recordsPerCoreSecond: records / (cpuMicros / 1e6),
    requestsPerMessage: (counts.requests - before) / messages,
  };
}

/**
 * Variants measured in turns (each round runs every variant on its share of the messages), so
 * that a machine's load, which drifts over a run, weighs on each alike: what a side-by-side
 * comparison of a few per cent needs on a shared machine.
 */
async function measureInTurns(vs: readonly Variant[], messages: number, recordsPerMessage: number, warmup: number, rounds: number): Promise<Measured[]> {
  const runs = vs.map((v) => ({ v, bodies: Array.from({ length: Math.min(messages, 2_000) }, (_, i) => v.body(i)), samples: [] as number[], cpuMicros: 0, requests: 0, perRound: [] as number[] }));
  for (const r of runs) for (let i = 0; i < warmup; i++) await r.v.run(r.bodies[i % r.bodies.length] as string, i);
  const per = Math.ceil(messages / rounds);
  for (let round = 0; round < rounds; round++) {
    for (const r of runs) {
      const before = counts.requests;
      const cpu0 = process.cpuUsage();
      for (let k = 0; k < per; k++) {
        const i = round * per + k;
        const t0 = process.hrtime.bigint();
        await r.v.run(r.bodies[i % r.bodies.length] as string, i);
        r.samples.push(Number(process.hrtime.bigint() - t0) / 1_000);
      }
      const cpu = process.cpuUsage(cpu0);
      r.cpuMicros += cpu.user + cpu.system;
      r.perRound.push((cpu.user + cpu.system) / (per * recordsPerMessage));
      r.requests += counts.requests - before;
    }
  }
  return runs.map((r) => {
    const records = r.samples.length * recordsPerMessage;
    return {
      variant: r.v.name, records, bodyBytes: Buffer.byteLength(r.bodies[0] as string), perMessage: summarize(r.samples),
      cpuMicrosPerRecord: r.cpuMicros / records, recordsPerCoreSecond: records / (r.cpuMicros / 1e6), requestsPerMessage: r.requests / r.samples.length,
      perRound: r.perRound,
    };
  });
}

// ---- heartbeats ----------------------------------------------------------------------------
const nowS = Date.now() / 1000;
const hbMessage = (i: number) => heartbeat(i % 1000, nowS);
const sqsRecord = (body: string) => ({ messageId: 'bench', body, attributes: { SentTimestamp: String(Date.now()) } });
const planBeat = async (m: dts.HeartbeatMessage) => {
  const v = validateHeartbeat(m, Date.now(), limits);
  if (!v.ok) throw new Error(`invalid fixture: ${v.error.field}: ${v.error.reason}`);
  return storeBeat(hbDeps, v.value as Beat);
};

const heartbeatVariants: Variant[] = [
  {
    name: 'protobuf static (the handler: ingestHeartbeat)',
    body: (i) => encodeBody('dts.HeartbeatMessage', hbMessage(i)),
    run: (body) => ingestHeartbeat(hbDeps, sqsRecord(body)),
  },
  {
    name: 'protobuf reflection',
    body: (i) => encodeBody('dts.HeartbeatMessage', hbMessage(i)),
    run: (body) => planBeat(Reflected.heartbeat.decode(Buffer.from(body, 'base64')) as unknown as dts.HeartbeatMessage),
  },
  {
    name: 'naive JSON (JSON.parse, no schema)',
    body: (i) => JSON.stringify(hbMessage(i)),
    run: (body) => planBeat(JSON.parse(body) as dts.HeartbeatMessage),
  },
  {
    name: 'protobuf JSON mapping (codec: verify + fromObject)',
    body: (i) => JSON.stringify(hbMessage(i)),
    run: (body) => ingestHeartbeat(hbDeps, sqsRecord(body)),
  },
];

// A relay's HeartbeatBatch: many hosts' beats in one SQS record, each stored as if alone.
const relayRecordOf = (body: string) => ({
  messageId: 'bench', body, attributes: { SentTimestamp: String(Date.now()) },
  messageAttributes: { 'dts-type': { stringValue: 'dts.HeartbeatBatch', dataType: 'String' } },
});
const relayedVariant: Variant = {
  name: `protobuf static, a relay's HeartbeatBatch of ${RELAYED_PER_BATCH} (the handler: ingestHeartbeat)`,
  body: (i) => encodeBody('dts.HeartbeatBatch', {
    relay: 'bench-relay',
    beats: Array.from({ length: RELAYED_PER_BATCH }, (_, k) => ({ beat: hbMessage(i * RELAYED_PER_BATCH + k), receivedAt: nowS })),
  }),
  run: (body) => ingestHeartbeat(hbDeps, relayRecordOf(body)),
};

const decodeOnlyHeartbeat: Variant[] = [
  { name: 'decode only: protobuf static', body: (i) => encodeBody('dts.HeartbeatMessage', hbMessage(i)), run: async (b) => decodeBody('dts.HeartbeatMessage', b) },
  { name: 'decode only: protobuf reflection', body: (i) => encodeBody('dts.HeartbeatMessage', hbMessage(i)), run: async (b) => Reflected.heartbeat.decode(Buffer.from(b, 'base64')) },
  { name: 'decode only: naive JSON', body: (i) => JSON.stringify(hbMessage(i)), run: async (b) => JSON.parse(b) },
  {
    name: 'decode + validate: protobuf static (no SDK)',
    body: (i) => encodeBody('dts.HeartbeatMessage', hbMessage(i)),
    run: async (b) => {
      const d = decodeBody('dts.HeartbeatMessage', b);
      return d.ok ? validateHeartbeat(d.value, Date.now(), limits) : d;
    },
  },
];

// ---- logs ----------------------------------------------------------------------------------
let seq = 0;
const batchMessage = () => ({ records: Array.from({ length: RECORDS_PER_MESSAGE }, () => logRecord(seq++, nowS, RECORD_BYTES)) });
const logRecordOf = (body: string) => ({
  messageId: 'bench', body, attributes: { SentTimestamp: String(Date.now()) },
  messageAttributes: { 'dts-type': { stringValue: 'dts.LogBatch', dataType: 'String' } },
});
const planLogs = async (batch: dts.LogBatch) => {
  const v = validateLogBatch(batch, Date.now(), limits);
  if (!v.ok || v.value.rejected.length) throw new Error('invalid fixture');
  const receivedAt = Date.now();
  return logDeps.logs.write(v.value.records.map((record) => ({ record, receivedAt, owner: 'bench' })), 14);
};

/**
 * 20 log rules on the records' own app, so that every record is tried against all of them (the
 * worst case: rules on other apps are never tried): 15 count and silent rules, 5 regex rules.
 */
const BENCH_RULES: LogRule[] = [
  ...Array.from({ length: 12 }, (_, i): LogRule => ({
    name: `count-${i}`, scope: { app: 'api', ...(i % 3 === 0 ? { fields: { path: '/v1/orders' } } : {}) }, condition: { kind: 'count', count: 50, withinMs: 300_000, minLevel: ([10, 30, 40] as const)[i % 3] as 10 | 30 | 40 }, severity: 'warning', createdAt: 0,
  })),
  ...Array.from({ length: 3 }, (_, i): LogRule => ({ name: `silent-${i}`, scope: { app: 'api' }, condition: { kind: 'silent', forMs: 3_600_000 }, severity: 'warning', createdAt: 0 })),
  ...['OutOfMemoryError', 'timeout after \\d+ms', '(?i)connection refused', 'panic: .*goroutine', '\\bERROR\\b.*database'].map((pattern, i): LogRule => ({
    name: `match-${i}`, scope: { app: 'api' }, condition: { kind: 'match', pattern, count: 1, withinMs: 300_000, minLevel: 10 }, severity: 'warning', createdAt: 0,
  })),
];
const ruleStore = new LogRuleStore(c.ddb, 'stats');
// Compiled once, as the function's cache (cachedRules) holds them between invocations.
const benchIndex = indexRules(BENCH_RULES, silentLog);
const ruledDeps: LogIngest = {
  ...logDeps,
  rules: { index: async () => benchIndex, store: ruleStore },
};

/**
 * The same rules with their counts written as before, and as the issue's sketch would, rebuilt
 * here and measured beside the handler (docs/BENCHMARKS.md, part 19): the daily counts go as
 * the handler sends them, and the rules' counts of the invocation (what now rides in that write)
 * go in a request of their own:
 *
 * - `perRule`: one UpdateItem per rule and minute, each its own item (the first version);
 * - `perMinute`: one UpdateItem a minute holding every rule (the version before this one);
 * - `batchPut`: a PUT of one counter item per invocation and minute in a BatchWriteItem (key:
 *   the minute and a hash of the batch's message ids). At 100 records the four calls of 25 that
 *   write the records are full, so the item is a fifth call.
 */
const stats = new StatsStore(c.ddb, 'stats');
function apartDeps(send: (rules: Readonly<Record<string, number>>, minute: number) => Promise<unknown>): LogIngest {
  return {
    ...logDeps,
    stats: {
      addCounts: async (app, day, levelCounts, rules) => {
        const minute = Math.floor(Date.now() / 60_000) * 60_000;
        await Promise.all([stats.addCounts(app, day, levelCounts), rules ? send(rules, minute) : undefined]);
      },
    },
    rules: { index: async () => benchIndex, store: ruleStore },
  };
}
const exp = (minute: number) => Math.floor((minute + 8 * 86_400_000) / 1000);
const perRuleDeps = apartDeps((rules, minute) => Promise.all(Object.entries(rules).map(([rule, n]) => c.ddb.send(new UpdateCommand({
  TableName: 'stats',
  Key: { pk: `RULE#${rule}`, sk: `M#${String(minute).padStart(13, '0')}` },
  UpdateExpression: 'ADD #n :n SET expiresAt = :exp',
  ExpressionAttributeNames: { '#n': 'n' },
  ExpressionAttributeValues: { ':n': n, ':exp': exp(minute) },
})))));
const perMinuteDeps = apartDeps((rules, minute) => {
  const entries = Object.entries(rules);
  return c.ddb.send(new UpdateCommand({
    TableName: 'stats',
    Key: { pk: 'RULE-MINUTES', sk: `M#${String(minute).padStart(13, '0')}` },
    UpdateExpression: `ADD ${entries.map((_, i) => `#n${i} :n${i}`).join(', ')} SET expiresAt = :exp`,
    ExpressionAttributeNames: Object.fromEntries(entries.map(([rule], i) => [`#n${i}`, `n:${rule}`])),
    ExpressionAttributeValues: { ...Object.fromEntries(entries.map(([, n], i) => [`:n${i}`, n])), ':exp': exp(minute) },
  }));
});
const batchPutDeps = apartDeps((rules, minute) => c.ddb.send(new BatchWriteCommand({
  RequestItems: {
    stats: [{
      PutRequest: {
        Item: {
          pk: `RULE-MINUTE#${String(minute).padStart(13, '0')}`, sk: createHash('sha256').update('bench').digest('base64url').slice(0, 22), expiresAt: exp(minute),
          ...Object.fromEntries(Object.entries(rules).map(([rule, n]) => [`n:${rule}`, n])),
        },
      },
    }],
  },
})));

/**
 * Trying records against the 20 rules alone (RuleTally.add: scope, level, pattern), with no
 * write: what rules cost per record whatever the batching, for texts of 200 B, 8 KB and 100 KB
 * (a match reads the first 8 KB only, so the last two should cost the same).
 */
function ruleMatching(): { textBytes: number; micros: number }[] {
  const index = indexRules(BENCH_RULES, silentLog);
  const n = quick ? 5_000 : 20_000;
  return [RECORD_BYTES, 8192, 100_000].map((textBytes) => {
    const records = Array.from({ length: n }, (_, i) => {
      const r = logRecord(i, nowS, textBytes);
      return { app: r.app as string, hostname: r.hostname as string, timestamp: r.timestamp as number, level: r.level as 20, text: r.text as string, fields: r.fields as Record<string, string>, id: r.id as string };
    });
    let micros = Infinity;
    for (let round = 0; round < 3; round++) {
      const tally = new RuleTally(index);
      const start = process.cpuUsage();
      for (const r of records) tally.add(r, Date.now());
      const used = process.cpuUsage(start);
      micros = Math.min(micros, (used.user + used.system) / n);
    }
    return { textBytes, micros };
  });
}

const logVariants: Variant[] = [
  {
    name: 'protobuf static (the handler: ingestLogMessage)',
    body: () => encodeBody('dts.LogBatch', batchMessage()),
    run: (body) => ingestLogMessage(logDeps, logRecordOf(body)),
  },
  {
    name: 'the handler with 20 log rules (5 regex) on the records\' app',
    body: () => encodeBody('dts.LogBatch', batchMessage()),
    run: (body) => ingestLogMessage(ruledDeps, logRecordOf(body)),
  },
  {
    name: 'the same, counts apart: one UpdateItem per rule and minute (first version)',
    body: () => encodeBody('dts.LogBatch', batchMessage()),
    run: (body) => ingestLogMessage(perRuleDeps, logRecordOf(body)),
  },
  {
    name: 'the same, counts apart: one UpdateItem a minute for all rules (before)',
    body: () => encodeBody('dts.LogBatch', batchMessage()),
    run: (body) => ingestLogMessage(perMinuteDeps, logRecordOf(body)),
  },
  {
    name: 'the same, counts apart: a PUT per invocation in a BatchWriteItem (sketch)',
    body: () => encodeBody('dts.LogBatch', batchMessage()),
    run: (body) => ingestLogMessage(batchPutDeps, logRecordOf(body)),
  },
  {
    name: 'protobuf static, records only (no counters)',
    body: () => encodeBody('dts.LogBatch', batchMessage()),
    run: (body) => {
      const d = decodeBody('dts.LogBatch', body);
      if (!d.ok) throw new Error(d.error.reason);
      return planLogs(d.value);
    },
  },
  {
    name: 'protobuf reflection, records only',
    body: () => encodeBody('dts.LogBatch', batchMessage()),
    run: (body) => planLogs(Reflected.batch.decode(Buffer.from(body, 'base64')) as unknown as dts.LogBatch),
  },
  {
    name: 'naive JSON, records only',
    body: () => JSON.stringify(batchMessage()),
    run: (body) => planLogs(JSON.parse(body) as dts.LogBatch),
  },
];

/** The log variants measured in turns: without rules, with them, and the other ways to write their counts. */
const IN_TURNS = 5;

const decodeOnlyLogs: Variant[] = [
  { name: 'decode only: protobuf static', body: () => encodeBody('dts.LogBatch', batchMessage()), run: async (b) => decodeBody('dts.LogBatch', b) },
  { name: 'decode only: protobuf reflection', body: () => encodeBody('dts.LogBatch', batchMessage()), run: async (b) => Reflected.batch.decode(Buffer.from(b, 'base64')) },
  { name: 'decode only: naive JSON', body: () => JSON.stringify(batchMessage()), run: async (b) => JSON.parse(b) },
  {
    name: 'decode + validate: protobuf static (no SDK)',
    body: () => encodeBody('dts.LogBatch', batchMessage()),
    run: async (b) => {
      const d = decodeBody('dts.LogBatch', b);
      return d.ok ? validateLogBatch(d.value, Date.now(), limits) : d;
    },
  },
];

function print(title: string, rows: Measured[], unit: string): void {
  const base = rows[0] as Measured;
  console.log(`${title}\n`);
  console.log(table([
    ['variant', 'body B', `µs/${unit} CPU`, `${unit}s/s/core`, 'msg p50 µs', 'msg p99 µs', 'requests/msg', 'CPU × static'],
    ...rows.map((r) => [
      r.variant, r.bodyBytes, sig(r.cpuMicrosPerRecord), sig(r.recordsPerCoreSecond), sig(r.perMessage.p50), sig(r.perMessage.p99),
      sig(r.requestsPerMessage), `${sig(r.cpuMicrosPerRecord / base.cpuMicrosPerRecord)}×`,
    ]),
  ]));
  console.log('');
}

async function rulesOnly(): Promise<void> {
  const logs = await measureInTurns(logVariants.slice(0, IN_TURNS), LOG_MESSAGES * 2, RECORDS_PER_MESSAGE, quick ? 50 : 200, 20);
  print(`Log records: LogBatch of ${RECORDS_PER_MESSAGE} records of ${RECORD_BYTES} B text, in turns`, logs, 'record');
  await printRules(logs);
}

/** CPU of the daily counts write (the SDK builds, serialises and signs it), without and with the 20 rules' totals riding in it. */
async function countsWriteMicros(): Promise<{ plain: number; riding: number }> {
  const day = new Date().toISOString().slice(0, 10);
  const levels = { 20: 60, 30: 20, 40: 20 };
  const rules = Object.fromEntries(BENCH_RULES.map((r) => [r.name, 100]));
  const send = (rulesToo: boolean) => stats.addCounts('api', day, levels, rulesToo ? rules : undefined);
  for (let i = 0; i < 300; i++) await send(i % 2 === 0);
  // In turns, so that the machine's load weighs on both alike.
  const best = { plain: Infinity, riding: Infinity };
  for (let round = 0; round < 10; round++) {
    for (const rulesToo of [false, true]) {
      const start = process.cpuUsage();
      for (let i = 0; i < 300; i++) await send(rulesToo);
      const used = process.cpuUsage(start);
      const key = rulesToo ? 'riding' : 'plain';
      best[key] = Math.min(best[key], (used.user + used.system) / 300);
    }
  }
  return best;
}

async function printRules(logs: readonly Measured[]): Promise<{ textBytes: number; micros: number }[]> {
  const base = (logs[0] as Measured).cpuMicrosPerRecord;
  for (const [what, ruled] of [['counts riding in the daily counts write', logs[1]], ['counts apart, one UpdateItem per rule and minute (first version)', logs[2]], ['counts apart, one UpdateItem a minute (before)', logs[3]], ['counts apart, a PUT in a BatchWriteItem (sketch)', logs[4]]] as const) {
    const m = ruled as Measured;
    console.log(`20 log rules (5 regex), ${RECORDS_PER_MESSAGE} records an invocation, ${what}: ${sig(m.cpuMicrosPerRecord)} µs/record against ${sig(base)} without: ${m.cpuMicrosPerRecord >= base ? '+' : ''}${sig((m.cpuMicrosPerRecord / base - 1) * 100)}%, with ${sig(m.requestsPerMessage - (logs[0] as Measured).requestsPerMessage)} more requests an invocation`);
    // Each round's excess over the handler without rules in the same round: the median shrugs off a round that another process took.
    const baseRounds = (logs[0] as Measured).perRound ?? [];
    const excess = (m.perRound ?? []).map((x, i) => (x / (baseRounds[i] ?? x) - 1) * 100).sort((a, b) => a - b);
    if (excess.length > 0) console.log(`  per round (${excess.length}): median ${sig(excess[Math.floor(excess.length / 2)] as number)}%, quartiles ${sig(excess[Math.floor(excess.length / 4)] as number)}% to ${sig(excess[Math.floor((3 * excess.length) / 4)] as number)}%`);
  }
  const write = await countsWriteMicros();
  const more = write.riding - write.plain;
  console.log(`  the daily counts write: ${sig(write.plain)} µs of CPU alone, ${sig(write.riding)} µs with the 20 rules' totals in it: ${sig(more)} µs more, ${sig(more / RECORDS_PER_MESSAGE)} µs a record over ${RECORDS_PER_MESSAGE} (${more >= 0 ? '+' : ''}${sig((more / RECORDS_PER_MESSAGE / base) * 100)}%)`);
  const matching = ruleMatching();
  for (const m of matching) console.log(`  trying a record of ${m.textBytes} B against the 20 rules, no write: ${sig(m.micros)} µs (+${sig((m.micros / base) * 100)}% of the handler's ${sig(base)} µs)`);
  console.log('');
  return matching;
}

async function main(): Promise<void> {
  header('Part 1 — handler CPU (decode + validate + write planning, no I/O)');
  const hb: Measured[] = [];
  for (const v of heartbeatVariants) hb.push(await measure(v, HB_N, 1, quick ? 1_000 : 5_000));
  const relayed = await measure(relayedVariant, Math.ceil(HB_N / RELAYED_PER_BATCH), RELAYED_PER_BATCH, quick ? 20 : 60);
  const hbDecode: Measured[] = [];
  for (const v of decodeOnlyHeartbeat) hbDecode.push(await measure(v, HB_N, 1, 2_000));
  const logs: Measured[] = [];
  // The handler without rules, with them, and with them as they were written before: in turns.
  logs.push(...await measureInTurns(logVariants.slice(0, IN_TURNS), LOG_MESSAGES * 2, RECORDS_PER_MESSAGE, quick ? 50 : 200, 20));
  for (const v of logVariants.slice(IN_TURNS)) logs.push(await measure(v, LOG_MESSAGES, RECORDS_PER_MESSAGE, quick ? 50 : 200));
  const logsDecode: Measured[] = [];
  for (const v of decodeOnlyLogs) logsDecode.push(await measure(v, LOG_MESSAGES, RECORDS_PER_MESSAGE, 100));

  print('Heartbeats: one beat per message, through storeBeat (1 UpdateItem planned, serialised and signed)', hb, 'beat');
  print(`Heartbeats relayed: ${RELAYED_PER_BATCH} hosts' beats per message (per-beat figures = per message / ${RELAYED_PER_BATCH}), beside one beat per message`, [hb[0] as Measured, relayed], 'beat');
  print('Heartbeats: decode only, and decode + validate', hbDecode, 'beat');
  print(`Log records: LogBatch of ${RECORDS_PER_MESSAGE} records of ${RECORD_BYTES} B text (per-record figures = per message / ${RECORDS_PER_MESSAGE})`, logs, 'record');
  print('Log records: decode only, and decode + validate', logsDecode, 'record');

  mergeMeasured({
    cpuMicrosPerBeat: (hb[0] as Measured).cpuMicrosPerRecord,
    relayedBeatCpuShare: relayed.cpuMicrosPerRecord / (hb[0] as Measured).cpuMicrosPerRecord,
    cpuMicrosPerLogRecord: (logs[0] as Measured).cpuMicrosPerRecord,
  });
  const matching = await printRules(logs);
  mergeMeasured({ ruleMatchMicrosPerRecord: (matching[0] as { micros: number }).micros });
  saveResult('cpu', `npx tsx bench/cpu.ts${quick ? ' --quick' : ''}`, quick, {
    recordsPerMessage: RECORDS_PER_MESSAGE, recordBytes: RECORD_BYTES, heartbeats: hb, relayedPerBatch: RELAYED_PER_BATCH, relayed, heartbeatsDecode: hbDecode, logs, logsDecode, ruleMatching: matching,
  });
}

if (process.argv.includes('--rules-only')) await rulesOnly();
else await main();
