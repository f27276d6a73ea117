/**
 * Part 4: end to end through the local cloud (`npm start`, started here as a child process,
 * in memory, schedules every second): heartbeats/s and log records/s from a send to a stored
 * row, with latency p50/p99, and the time from a host's deadline to its host-down notification.
 *
 *   npx tsx bench/e2e.ts [--quick]
 */
import { SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { createProducer } from '../lib/producer';
import type { Clients } from '../lib/adapters/clients';
import { HostStore } from '../lib/adapters/dynamodb/hosts';
import { LogStore } from '../lib/adapters/dynamodb/logs';
import { NotificationStore } from '../lib/adapters/dynamodb/notifications';
import { encodeBody } from '../lib/wire/codec';
import { heartbeat, hostnameOf, text } from './support/fixtures';
import { startBenchCloud } from './support/local-cloud';
import { header, isQuick, saveResult, table } from './support/report';
import { sig, summarize, type Summary } from './support/stats';

const quick = isQuick();
const HOSTS = quick ? 500 : 2_000;
const LATENCY_SAMPLE = quick ? 20 : 50;
const LOG_RECORDS = quick ? 5_000 : 10_000;
const LATENCY_RECORDS = quick ? 30 : 100;
const DEADLINE_HOSTS = quick ? 3 : 10;
const DEADLINE_INTERVAL_S = 2;
const TOLERANCE = 3;
const STAGE = 'bench';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Throughput {
  readonly what: string;
  readonly count: number;
  readonly seconds: number;
  readonly perSecond: number;
  readonly latencyMs: Summary;
}

/**
 * Heartbeats: every host sends one beat. Latency is watched on a sample of hosts (a GetItem each
 * every 50 ms); throughput on the whole fleet (a parallel scan every 500 ms), so that watching
 * does not load the engine more than the flow it watches.
 */
async function heartbeats(c: Clients, queueUrl: string, hostsTable: string, round: string): Promise<Throughput> {
  const hosts = new HostStore(c.ddb, hostsTable);
  const sentAt = new Map<string, number>();
  const start = Date.now();
  const nowS = start / 1000;
  const sample = Array.from({ length: LATENCY_SAMPLE }, (_, k) => hostnameOf(Math.floor((k * HOSTS) / LATENCY_SAMPLE)));
  const sampleSeen = new Map<string, number>();
  let allSeenAt = 0;
  let sendsDone = false;
  const watchSample = (async () => {
    const until = Date.now() + 180_000;
    while (sampleSeen.size < sample.length && Date.now() < until) {
      await Promise.all(sample.filter((h) => !sampleSeen.has(h) && sentAt.has(h)).map(async (h) => {
        const host = await hosts.get(h);
        if (host && host.lastBeat >= start - 1000) sampleSeen.set(h, Date.now());
      }));
      await sleep(50);
    }
  })();
  const watchAll = (async () => {
    const until = Date.now() + 180_000;
    while (Date.now() < until) {
      await sleep(500);
      if (!sendsDone) continue;
      const fresh = (await hosts.list(4)).filter((h) => h.lastBeat >= start - 1000 && sentAt.has(h.hostname)).length;
      if (fresh >= HOSTS) {
        allSeenAt = Date.now();
        return;
      }
    }
  })();
  const sends: Promise<unknown>[] = [];
  for (let i = 0; i < HOSTS; i += 10) {
    const entries = Array.from({ length: Math.min(10, HOSTS - i) }, (_, k) => ({
      Id: String(k), MessageBody: encodeBody('dts.HeartbeatMessage', heartbeat(i + k, nowS)),
      MessageAttributes: { 'dts-type': { DataType: 'String', StringValue: 'dts.HeartbeatMessage' } },
    }));
    sends.push(c.sqs.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries })).then(() => {
      const t = Date.now();
      for (let k = 0; k < entries.length; k++) sentAt.set(hostnameOf(i + k), t);
    }));
    if (sends.length >= 16) await Promise.all(sends.splice(0));
  }
  await Promise.all(sends);
  sendsDone = true;
  await Promise.all([watchSample, watchAll]);
  if (!allSeenAt) throw new Error(`not every beat of ${round} was stored within 180 s`);
  const latencies = [...sampleSeen].map(([h, t]) => t - (sentAt.get(h) as number));
  const seconds = (allSeenAt - start) / 1000;
  return { what: `heartbeats (${round})`, count: HOSTS, seconds, perSecond: HOSTS / seconds, latencyMs: summarize(latencies) };
}

async function logThroughput(c: Clients, queueUrl: string, logsTable: string): Promise<Throughput> {
  const store = new LogStore(c.ddb, logsTable);
  const host = 'e2e-burst';
  const p = createProducer({ sqs: c.sqs, logsQueueUrl: queueUrl, app: 'e2e', hostname: host, flushOnExit: false });
  const start = Date.now();
  for (let i = 0; i < LOG_RECORDS; i++) p.log({ text: text(200, i), level: 20, fields: { request_id: `r${i}` } });
  const flushed = await p.close({ timeoutMs: 60_000 });
  if (!flushed.ok) throw flushed.error ?? new Error('flush failed');
  const sent = Date.now();
  let stored = 0;
  const deadline = Date.now() + 300_000;
  while (stored < LOG_RECORDS && Date.now() < deadline) {
    stored = (await store.query({ host, minLevel: 20, since: start - 60_000, until: Date.now() + 60_000, limit: LOG_RECORDS })).length;
    if (stored < LOG_RECORDS) await sleep(200);
  }
  if (stored < LOG_RECORDS) throw new Error(`only ${stored} of ${LOG_RECORDS} log records stored after 300 s`);
  const end = Date.now();
  return {
    what: `log records (burst of ${LOG_RECORDS}, producer-batched)`, count: stored, seconds: (end - start) / 1000, perSecond: stored / ((end - start) / 1000),
    latencyMs: summarize([sent - start, end - start]),
  };
}

/** Log latency: single records sent apart, each watched until its row is readable. */
async function logLatency(c: Clients, queueUrl: string, logsTable: string): Promise<Throughput> {
  const store = new LogStore(c.ddb, logsTable);
  const host = 'e2e-latency';
  const p = createProducer({ sqs: c.sqs, logsQueueUrl: queueUrl, app: 'e2e', hostname: host, flushOnExit: false, lingerMs: 0 });
  const latencies: number[] = [];
  const start = Date.now();
  for (let i = 0; i < LATENCY_RECORDS; i++) {
    const id = `lat-${i}-${Date.now()}`;
    const t0 = Date.now();
    p.log({ text: `latency probe ${i}`, level: 20, id });
    await p.flush();
    for (;;) {
      const rows = await store.query({ host, minLevel: 20, since: t0 - 5_000, until: Date.now() + 5_000, limit: 5 });
      if (rows.some((r) => r.id === id)) break;
      if (Date.now() - t0 > 30_000) throw new Error(`record ${id} not stored after 30 s`);
      await sleep(10);
    }
    latencies.push(Date.now() - t0);
  }
  await p.close();
  return { what: 'log record latency (one record per message, 10 ms polls)', count: LATENCY_RECORDS, seconds: (Date.now() - start) / 1000, perSecond: NaN, latencyMs: summarize(latencies) };
}

/** Hosts that beat once and fall silent: time from each deadline to its host-down notification. */
async function deadlineToNotification(c: Clients, queueUrl: string, hostsTable: string, notificationsTable: string): Promise<Summary> {
  const hosts = new HostStore(c.ddb, hostsTable);
  const notes = new NotificationStore(c.ddb, notificationsTable, 90);
  const names = Array.from({ length: DEADLINE_HOSTS }, (_, i) => `deadline-${i}-${Date.now()}`);
  for (const hostname of names) {
    await c.sqs.send(new SendMessageBatchCommand({
      QueueUrl: queueUrl,
      Entries: [{ Id: '0', MessageBody: encodeBody('dts.HeartbeatMessage', { hostname, timestamp: Date.now() / 1000, interval: DEADLINE_INTERVAL_S }) }],
    }));
    await sleep(150);
  }
  const gaps = new Map<string, number>();
  const until = Date.now() + 60_000;
  while (gaps.size < names.length && Date.now() < until) {
    for (const hostname of names) {
      if (gaps.has(hostname)) continue;
      const down = (await notes.byHost(hostname, Date.now() - 600_000, Date.now() + 60_000)).find((n) => n.kind === 'host-down');
      if (!down) continue;
      const host = await hosts.get(hostname);
      const deadline = (host?.outageStart ?? down.at) + DEADLINE_INTERVAL_S * TOLERANCE * 1000;
      gaps.set(hostname, Date.now() - deadline);
    }
    await sleep(50);
  }
  if (gaps.size < names.length) throw new Error(`${names.length - gaps.size} hosts were never declared down`);
  return summarize([...gaps.values()]);
}

/** Milliseconds until no host is still `new`. */
async function settle(c: Clients, hostsTable: string): Promise<number> {
  const hosts = new HostStore(c.ddb, hostsTable);
  const t0 = Date.now();
  while (Date.now() - t0 < 300_000) {
    if ((await hosts.list(4)).every((h) => h.state !== 'new')) return Date.now() - t0;
    await sleep(1_000);
  }
  throw new Error('hosts still new after 300 s');
}

async function main(): Promise<void> {
  header('Part 4 — end to end through the local cloud (npm start, in memory, --tick 1)');
  const t0 = Date.now();
  const cloud = await startBenchCloud({ stage: STAGE, tick: 1, params: { tolerance: TOLERANCE }, readyTimeoutMs: 120_000 });
  console.log(`local cloud ready on port ${cloud.port} in ${sig((Date.now() - t0) / 1000)} s`);
  const c = cloud.clients;
  const results: Throughput[] = [];
  const push = (r: Throughput) => {
    results.push(r);
    console.log(`  ${r.what}: ${r.count} in ${sig(r.seconds)} s${Number.isNaN(r.perSecond) ? '' : `, ${sig(r.perSecond)}/s`}, p50 ${sig(r.latencyMs.p50)} ms, p99 ${sig(r.latencyMs.p99)} ms`);
  };
  let deadline: Summary;
  try {
    push(await heartbeats(c, cloud.queueUrl('heartbeats'), cloud.table('hosts'), 'first beat of each host'));
    // Let diagnose bring every new host up (a notification each) before timing the steady state.
    const settled = await settle(c, cloud.table('hosts'));
    console.log(`diagnose brought ${HOSTS} new hosts up in ${sig(settled / 1000)} s`);
    push(await heartbeats(c, cloud.queueUrl('heartbeats'), cloud.table('hosts'), 'steady state'));
    push(await logThroughput(c, cloud.queueUrl('logs'), cloud.table('logs')));
    push(await logLatency(c, cloud.queueUrl('logs'), cloud.table('logs')));
    deadline = await deadlineToNotification(c, cloud.queueUrl('heartbeats'), cloud.table('hosts'), cloud.table('notifications'));
  } finally {
    await cloud.stop();
  }
  console.log(table([
    ['flow', 'count', 'seconds', 'per second', 'latency p50 ms', 'latency p99 ms'],
    ...results.map((r) => [r.what, r.count, sig(r.seconds), Number.isNaN(r.perSecond) ? '—' : sig(r.perSecond), sig(r.latencyMs.p50), sig(r.latencyMs.p99)]),
  ]));
  console.log(`\nLog burst latency columns: p50 = time to hand every record to SQS, p99 = time until every row was readable.`);
  console.log(`Deadline → host-down notification (interval ${DEADLINE_INTERVAL_S} s × tolerance ${TOLERANCE}, diagnose every 1 s): p50 ${sig(deadline.p50)} ms, p99 ${sig(deadline.p99)} ms, max ${sig(deadline.max)} ms over ${deadline.n} hosts`);
  saveResult('e2e', `npx tsx bench/e2e.ts${quick ? ' --quick' : ''}`, quick, { hosts: HOSTS, logRecords: LOG_RECORDS, results, deadlineToNotificationMs: deadline });
}

await main();
