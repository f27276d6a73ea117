/**
 * Part 1: handler CPU per heartbeat and per log record: decode, validate and write planning
 * (down to the serialised, signed request), with no I/O. The AWS clients answer at once
 * (bench/support/null-clients.ts), so the time is the handler's own.
 *
 * Side by side, in one process: the generated static protobufjs code, protobufjs reflection
 * (proto/dts.proto loaded at run time), and a naive JSON body (JSON.parse, no schema).
 *
 *   npx tsx bench/cpu.ts [--quick] [--rules-only] [--before DIR]
 *
 * `--rules-only`: the log handler without rules, with 20, and with 20 written as before, in
 * turns, one message of 100 records an invocation; the matching cost alone; and the handler
 * without and with the 20 on full invocations (ten messages); nothing saved. Each regression is
 * given pooled over the run and round by round (the median of the rounds' ratios with its 95%
 * interval), which the drift of a shared machine over the run does not move.
 *
 * `--before DIR`: one more log variant in the same turns, the handler with the same 20 rules as
 * the checkout at DIR runs it (its ingest, rule tally and stores, on the same null clients): a
 * change's before and after measured side by side in one process; its matching alone is timed
 * beside this tree's too. DIR is a worktree of the commit
 * to compare, with node_modules and lib/wire/generated (docs/BENCHMARKS.md, part 19, shows how).
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import protobuf from 'protobufjs';
import { loadConfig } from '../lib/config';
import type { Beat } from '../lib/domain/model';
import { ingestHeartbeat, storeBeat, type HeartbeatIngest } from '../lib/app/ingest/heartbeats';
import { ingestLogMessage, ingestLogMessages, type LogIngest } from '../lib/app/ingest/logs';
import { silentLog } from '../lib/app/log';
import { indexRules, RuleTally, type RuleIndex } from '../lib/app/rules/count';
import { LogRuleStore } from '../lib/adapters/dynamodb/log-rules';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
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
import { medianInterval, sig, summarize, type Summary } from './support/stats';

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
  /** Measured in turns: CPU microseconds per record in each round, for ratios paired by round. */
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
 * comparison of a few per cent needs on a shared machine. Each round starts one variant later:
 * a variant that runs after the one writing a request per rule pays for that one's garbage
 * (the same code measured 6 points dearer in that place, 2026-12-06), so every variant takes
 * every place as often. Each variant cycles through `distinctBodies` bodies of its own.
 */
async function measureInTurns(vs: readonly Variant[], messages: number, recordsPerMessage: number, warmup: number, rounds: number, distinctBodies = 2_000): Promise<Measured[]> {
  const runs = vs.map((v) => ({ v, bodies: Array.from({ length: Math.min(messages, distinctBodies) }, (_, i) => v.body(i)), samples: [] as number[], cpuMicros: 0, requests: 0, perRound: [] as number[] }));
  for (const r of runs) for (let i = 0; i < warmup; i++) await r.v.run(r.bodies[i % r.bodies.length] as string, i);
  const per = Math.ceil(messages / rounds);
  for (let round = 0; round < rounds; round++) {
    for (let k = 0; k < runs.length; k++) {
      const r = runs[(round + k) % runs.length] as (typeof runs)[number];
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
const ruleStore = new LogRuleStore(c.ddb, 'stats', () => c.ddbRaw);
// Compiled once, as the function's cache (cachedRules) holds them between invocations.
const benchIndex = indexRules(BENCH_RULES, silentLog);
const ruledDeps: LogIngest = {
  ...logDeps,
  rules: { index: async () => benchIndex, store: ruleStore },
};

/**
 * The write pattern before one item a minute held every rule (docs/BENCHMARKS.md, part 19): one
 * UpdateItem per rule and minute, each its own item (`pk = RULE#name`), as the adapter built them,
 * and one conditional UpdateItem per `--silent` rule seen, measured beside it in the same process.
 */
const perRuleDeps: LogIngest = {
  ...logDeps,
  rules: {
    index: async () => benchIndex,
    store: {
      addMinutes: async (minutes) => {
        await Promise.all([...minutes.flatMap((m) => m.rules.map((r) => c.ddb.send(new UpdateCommand({
          TableName: 'stats',
          Key: { pk: `RULE#${r.rule}`, sk: `M#${String(m.minute).padStart(13, '0')}` },
          UpdateExpression: 'ADD #n :n SET expiresAt = :exp, samples = if_not_exists(samples, :samples)',
          ExpressionAttributeNames: { '#n': 'n' },
          ExpressionAttributeValues: { ':n': r.count, ':exp': Math.floor((m.minute + 86_400_000) / 1000), ':samples': r.samples },
        })))), ...minutes.flatMap((m) => m.seen.map((r) => ruleStore.markSeen(r.rule, r.at)))]);
      },
    },
  },
};

/** A checkout's rule tally: this tree's, or `--before`'s. */
interface RuleCounting {
  readonly indexRules: typeof indexRules;
  readonly RuleTally: typeof RuleTally;
}

/**
 * Trying records against the 20 rules alone (RuleTally.add: scope, level, pattern), with no
 * write: what rules cost per record whatever the batching, for texts of 200 B, 8 KB and 100 KB
 * (a match reads the first 8 KB only, so the last two should cost the same). With `--before`, the
 * checkout's tally too, in alternate rounds on the same records: one column per tally.
 */
function ruleMatching(tallies: readonly RuleCounting[] = [{ indexRules, RuleTally }]): { textBytes: number; micros: number[] }[] {
  const indexes = tallies.map((t) => t.indexRules(BENCH_RULES, silentLog));
  const n = quick ? 5_000 : 20_000;
  return [RECORD_BYTES, 8192, 100_000].map((textBytes) => {
    const records = Array.from({ length: n }, (_, i) => {
      const r = logRecord(i, nowS, textBytes);
      return { app: r.app as string, hostname: r.hostname as string, timestamp: r.timestamp as number, level: r.level as 20, text: r.text as string, fields: r.fields as Record<string, string>, id: r.id as string };
    });
    const micros = tallies.map(() => Infinity);
    for (let round = 0; round < 6; round++) {
      tallies.forEach((t, k) => {
        const tally = new t.RuleTally(indexes[k] as RuleIndex);
        const start = process.cpuUsage();
        for (const r of records) tally.add(r, Date.now());
        const used = process.cpuUsage(start);
        micros[k] = Math.min(micros[k] as number, (used.user + used.system) / n);
      });
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
    name: 'the same, one counter write per rule and minute (before)',
    body: () => encodeBody('dts.LogBatch', batchMessage()),
    run: (body) => ingestLogMessage(perRuleDeps, logRecordOf(body)),
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

/** A file of the checkout at `dir`, as a module (a second load of the same file is the first one's). */
const loadFrom = (dir: string, file: string) => import(pathToFileURL(path.resolve(dir, file)).href);

/** The handler with the same 20 rules as the checkout at `dir` runs it (see `--before`). */
async function beforeVariant(dir: string): Promise<Variant> {
  const load = (file: string) => loadFrom(dir, file);
  const [ingest, count, ruleStore, logStore, statsStore] = await Promise.all([
    load('lib/app/ingest/logs.ts'), load('lib/app/rules/count.ts'), load('lib/adapters/dynamodb/log-rules.ts'),
    load('lib/adapters/dynamodb/logs.ts'), load('lib/adapters/dynamodb/stats.ts'),
  ]);
  const index = count.indexRules(BENCH_RULES, silentLog);
  const deps = {
    ...logDeps, logs: new logStore.LogStore(c.ddb, 'logs'), stats: new statsStore.StatsStore(c.ddb, 'stats'),
    rules: { index: async () => index, store: new ruleStore.LogRuleStore(c.ddb, 'stats') },
  };
  // A worktree names its commit; an unpacked `git archive` is named by its directory.
  let rev = path.basename(path.resolve(dir));
  const git = (...args: string[]) => execFileSync('git', ['-C', dir, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  try {
    if (path.resolve(git('rev-parse', '--show-toplevel')) === path.resolve(dir)) rev = git('rev-parse', '--short', 'HEAD');
  } catch {
    // not a git checkout
  }
  return {
    name: `the same 20 rules as at ${rev} (before)`,
    body: () => encodeBody('dts.LogBatch', batchMessage()),
    run: (body) => ingest.ingestLogMessage(deps, logRecordOf(body)) as Promise<unknown>,
  };
}
const beforeAt = process.argv.indexOf('--before');
const beforeDir = beforeAt > 0 ? process.argv[beforeAt + 1] : undefined;
if (beforeAt > 0 && !beforeDir) throw new Error('--before takes a directory: a worktree of the commit to compare');
/** The variants measured in turns: no rules, 20 rules, 20 written one per rule, and a checkout's 20 rules if asked. */
const inTurns = async (): Promise<Variant[]> => [...logVariants.slice(0, 3), ...(beforeDir ? [await beforeVariant(beforeDir)] : [])];

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

/**
 * A variant against the first, round by round: each round's ratio compares two turns run a
 * second apart, so the machine's drift over a run (which moves the pooled ratio by points) cancels;
 * the median of the rounds' ratios, with its 95% interval, in per cent.
 */
function pairedRegression(m: Measured, base: Measured): { median: number; low: number; high: number; rounds: number } {
  const ratios = (m.perRound ?? []).map((cpu, i) => (cpu / ((base.perRound ?? [])[i] as number) - 1) * 100);
  return { ...medianInterval(ratios), rounds: ratios.length };
}

const pct = (x: number): string => `${x >= 0 ? '+' : ''}${sig(x)}%`;
const paired = (m: Measured, base: Measured): string => {
  const p = pairedRegression(m, base);
  return `round by round: median ${pct(p.median)}, 95% interval ${pct(p.low)} to ${pct(p.high)} over ${p.rounds} rounds`;
};

/** Messages an ingest-logs invocation takes at most: its SQS batchSize (serverless/functions.yml). */
const MESSAGES_PER_INVOCATION = 10;
/** One invocation's messages, as one body: LogBatches of 100 records, a line each. */
const invocationBody = (): string => Array.from({ length: MESSAGES_PER_INVOCATION }, () => encodeBody('dts.LogBatch', batchMessage())).join('\n');
const invocationOf = (body: string) => body.split('\n').map((b, k) => ({ ...logRecordOf(b), messageId: `bench-${k}` }));

/**
 * The handler without rules and with the 20, in turns, on invocations as full as ingest-logs
 * gets them (ten messages of 100 records): the per-record regression where the invocation's
 * one counter write is shared by 1,000 records, beside the 100 of one message.
 */
async function fullInvocations(): Promise<{ without: Measured; ruled: Measured; regression: ReturnType<typeof pairedRegression> }> {
  const [without, ruled] = await measureInTurns([
    { name: `no rules, ${MESSAGES_PER_INVOCATION} messages an invocation`, body: invocationBody, run: (body) => ingestLogMessages(logDeps, invocationOf(body)) },
    { name: `20 log rules, ${MESSAGES_PER_INVOCATION} messages an invocation`, body: invocationBody, run: (body) => ingestLogMessages(ruledDeps, invocationOf(body)) },
  ], quick ? 120 : 600, MESSAGES_PER_INVOCATION * RECORDS_PER_MESSAGE, quick ? 5 : 20, quick ? 12 : 60, 50) as [Measured, Measured];
  console.log(`20 log rules (5 regex), ${MESSAGES_PER_INVOCATION} messages of ${RECORDS_PER_MESSAGE} records an invocation (ingest-logs' batchSize): ${sig(ruled.cpuMicrosPerRecord)} µs/record against ${sig(without.cpuMicrosPerRecord)} without: ${pct((ruled.cpuMicrosPerRecord / without.cpuMicrosPerRecord - 1) * 100)} (${paired(ruled, without)}), with ${sig(ruled.requestsPerMessage - without.requestsPerMessage)} more requests an invocation\n`);
  return { without, ruled, regression: pairedRegression(ruled, without) };
}

async function rulesOnly(): Promise<void> {
  const logs = await measureInTurns(await inTurns(), LOG_MESSAGES * 2, RECORDS_PER_MESSAGE, quick ? 50 : 200, 20);
  print(`Log records: LogBatch of ${RECORDS_PER_MESSAGE} records of ${RECORD_BYTES} B text, in turns`, logs, 'record');
  await printRules(logs);
  await fullInvocations();
}

/** CPU of the one counter write alone (the SDK builds, serialises and signs it): 17 counts and 3 silent rules' seconds, as here. */
async function counterWriteMicros(): Promise<number> {
  const minute = Math.floor(Date.now() / 60_000) * 60_000;
  const m = { minute, rules: Array.from({ length: 17 }, (_, i) => ({ rule: `count-${i}`, count: 100, samples: [] })), seen: Array.from({ length: 3 }, (_, i) => ({ rule: `silent-${i}`, at: minute })) };
  const store = new LogRuleStore(c.ddb, 'stats', () => c.ddbRaw);
  for (let i = 0; i < 300; i++) await store.addMinutes([m]);
  let best = Infinity;
  for (let round = 0; round < 5; round++) {
    const start = process.cpuUsage();
    for (let i = 0; i < 500; i++) await store.addMinutes([m]);
    const used = process.cpuUsage(start);
    best = Math.min(best, (used.user + used.system) / 500);
  }
  return best;
}

async function printRules(logs: readonly Measured[]): Promise<{ textBytes: number; micros: number }[]> {
  const base = (logs[0] as Measured).cpuMicrosPerRecord;
  const compared = [['one counter item a minute', logs[1]], ['one counter item per rule and minute (before)', logs[2]], ...(beforeDir ? [[`as at ${(logs[3] as Measured).variant.replace(/.* at (\S+) .*/, '$1')} (before)`, logs[3]]] : [])] as const;
  for (const [what, ruled] of compared) {
    const m = ruled as Measured;
    console.log(`20 log rules (5 regex), ${RECORDS_PER_MESSAGE} records an invocation, ${what}: ${sig(m.cpuMicrosPerRecord)} µs/record against ${sig(base)} without: ${pct((m.cpuMicrosPerRecord / base - 1) * 100)} (${paired(m, logs[0] as Measured)}), with ${sig(m.requestsPerMessage - (logs[0] as Measured).requestsPerMessage)} more requests an invocation`);
  }
  const write = await counterWriteMicros();
  console.log(`  the one counter write alone: ${sig(write)} µs of CPU, ${sig(write / RECORDS_PER_MESSAGE)} µs a record over ${RECORDS_PER_MESSAGE} (+${sig((write / RECORDS_PER_MESSAGE / base) * 100)}%)`);
  // The checkout's tally, loaded already by its handler variant: its matching is timed beside this tree's.
  const before = beforeDir ? [(await loadFrom(beforeDir, 'lib/app/rules/count.ts')) as RuleCounting] : [];
  const matching = ruleMatching([{ indexRules, RuleTally }, ...before]);
  for (const { textBytes, micros: [now, before] } of matching) {
    const then = before === undefined ? '' : `; as at ${path.basename(path.resolve(beforeDir as string))} (before), in alternate rounds: ${sig(before)} µs`;
    console.log(`  trying a record of ${textBytes} B against the 20 rules, no write: ${sig(now as number)} µs (+${sig(((now as number) / base) * 100)}% of the handler's ${sig(base)} µs)${then}`);
  }
  console.log('');
  return matching.map(({ textBytes, micros }) => ({ textBytes, micros: micros[0] as number }));
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
  logs.push(...await measureInTurns(await inTurns(), LOG_MESSAGES * 2, RECORDS_PER_MESSAGE, quick ? 50 : 200, 20));
  for (const v of logVariants.slice(3)) logs.push(await measure(v, LOG_MESSAGES, RECORDS_PER_MESSAGE, quick ? 50 : 200));
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
  const full = await fullInvocations();
  mergeMeasured({ ruleMatchMicrosPerRecord: (matching[0] as { micros: number }).micros });
  saveResult('cpu', `npx tsx bench/cpu.ts${quick ? ' --quick' : ''}`, quick, {
    recordsPerMessage: RECORDS_PER_MESSAGE, recordBytes: RECORD_BYTES, heartbeats: hb, relayedPerBatch: RELAYED_PER_BATCH, relayed, heartbeatsDecode: hbDecode, logs, logsDecode, ruleMatching: matching, rulesRegression: pairedRegression(logs[1] as Measured, logs[0] as Measured), rulesOnFullInvocations: { messagesPerInvocation: MESSAGES_PER_INVOCATION, ...full },
  });
}

if (process.argv.includes('--rules-only')) await rulesOnly();
else await main();
