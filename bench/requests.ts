/**
 * Part 2: AWS requests per heartbeat and per log record, through the real engines (dynalite and
 * fauxqs in this process, every resource of the packaged template). Producer → SQS → an
 * event-source-mapping poller (bench/support/poller.ts) → the ingest services → DynamoDB / SNS.
 * Every request is counted by a middleware on the clients handed to each side.
 *
 * Writes bench/measured.json: the counted inputs of the cost model (`npm run cost`).
 *
 *   npx tsx bench/requests.ts [--quick]
 */
import { loadConfig } from '../lib/config';
import { createProducer } from '../lib/producer';
import { ingestHeartbeat, type HeartbeatIngest } from '../lib/app/ingest/heartbeats';
import { ingestLogMessage, ingestLogMessages, type LogIngest } from '../lib/app/ingest/logs';
import { silentLog } from '../lib/app/log';
import { AlertPublisher } from '../lib/adapters/sns/alerts';
import { createClients, type Clients } from '../lib/adapters/clients';
import { HostStore } from '../lib/adapters/dynamodb/hosts';
import { LogStore } from '../lib/adapters/dynamodb/logs';
import { NotificationStore } from '../lib/adapters/dynamodb/notifications';
import { Quarantine } from '../lib/adapters/sqs/quarantine';
import { StatsStore } from '../lib/adapters/dynamodb/stats';
import { startTestCloud, type TestCloud } from '../tools/harness/cloud';
import { counted, Tally } from './support/counting';
import { heartbeat, hostnameOf, text } from './support/fixtures';
import { drainQueue, type PollStats } from './support/poller';
import { header, isQuick, saveResult, table } from './support/report';
import { itemBytes } from './support/item-size';
import { mergeMeasured } from './support/measured';
import { encodeBody } from '../lib/wire/codec';
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { sig } from './support/stats';

const quick = isQuick();
const HOSTS = quick ? 200 : 1_000;
const BURST_RECORDS = quick ? 2_000 : 10_000;
const TRICKLE_RECORDS = quick ? 100 : 400;
const RECORD_BYTES = 200;
/** The logs mapping's batch size in serverless.yml: one invocation's messages share their writes. */
const LOG_BATCH = 100;
const CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' };

interface Sides {
  producer: Tally;
  poller: Tally;
  handler: Tally;
}

function clientsOf(cloud: TestCloud): Clients {
  const ddb = createClients({ region: 'us-east-1', credentials: CREDENTIALS, endpoint: cloud.env.AWS_ENDPOINT_URL_DYNAMODB as string }).ddb;
  const { sqs, sns } = createClients({ region: 'us-east-1', credentials: CREDENTIALS, endpoint: cloud.env.AWS_ENDPOINT_URL_SQS as string });
  return { ddb, sqs, sns };
}

interface Scenario {
  readonly name: string;
  readonly records: number;
  readonly messages: number;
  readonly poll: PollStats;
  readonly tallies: { producer: ReturnType<Tally['snapshot']>; poller: ReturnType<Tally['snapshot']>; handler: ReturnType<Tally['snapshot']> };
  readonly sendChunks: number;
  readonly perRecord: Record<string, number>;
}

function perRecord(s: Sides, records: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const t of [s.producer, s.poller, s.handler]) {
    for (const [k, v] of t.requests) out[k] = (out[k] ?? 0) + v / records;
    for (const [k, v] of t.capacity) out[`units ${k}`] = (out[`units ${k}`] ?? 0) + v / records;
  }
  return out;
}

async function main(): Promise<void> {
  header('Part 2 — AWS requests per record, through dynalite + fauxqs');
  const cloud = await startTestCloud();
  const sides: Sides = { producer: new Tally(), poller: new Tally(), handler: new Tally() };
  const producerClients = counted(clientsOf(cloud), sides.producer);
  const pollerClients = counted(clientsOf(cloud), sides.poller);
  const handlerClients = counted(clientsOf(cloud), sides.handler);
  const config = loadConfig({});
  const limits = { maxFutureSeconds: config.maxFutureSeconds, textMaxBytes: config.logs.textMaxBytes };
  const c = handlerClients;
  const delivery = {
    notifications: new NotificationStore(c.ddb, cloud.names.notificationsTable, 90),
    alerts: new AlertPublisher(c.sns, cloud.names.alertsTopicArn),
    now: Date.now,
  };
  const hb: HeartbeatIngest = {
    hosts: new HostStore(c.ddb, cloud.names.hostsTable), delivery,
    quarantine: new Quarantine(c.sqs, cloud.names.heartbeatsDlqUrl), levels: config.levels, limits, log: silentLog,
  };
  const logs: LogIngest = {
    logs: new LogStore(c.ddb, cloud.names.logsTable), stats: new StatsStore(c.ddb, cloud.names.statsTable),
    quarantine: new Quarantine(c.sqs, cloud.names.logsDlqUrl), limits, ttlDays: 14, mirror: undefined, log: silentLog, now: Date.now,
  };
  const logBatch = async (records: Parameters<typeof ingestLogMessages>[1]): Promise<ReadonlySet<string>> =>
    new Set((await ingestLogMessages(logs, records)).failures.keys());
  const scenarios: Scenario[] = [];
  let hostItemBytes: number | undefined;
  let logItemBytes: number | undefined;
  const reset = () => Object.values(sides).forEach((t: Tally) => t.reset());
  const finish = (name: string, records: number, poll: PollStats): Scenario => {
    const s: Scenario = {
      name, records, messages: poll.messages, poll,
      tallies: { producer: sides.producer.snapshot(), poller: sides.poller.snapshot(), handler: sides.handler.snapshot() },
      sendChunks: sides.producer.sqsSendChunks.chunks,
      perRecord: perRecord(sides, records),
    };
    scenarios.push(s);
    return s;
  };

  try {
    // ---- heartbeats: a first beat from each host, then a steady-state round --------------------
    for (const round of ['first beat of a new host', 'steady state (host known, levels unchanged)']) {
      reset();
      const nowS = Date.now() / 1000;
      await Promise.all(Array.from({ length: HOSTS }, async (_, i) => {
        const p = createProducer({ sqs: producerClients.sqs, heartbeatsQueueUrl: cloud.names.heartbeatsQueueUrl, hostname: hostnameOf(i), flushOnExit: false });
        const m = heartbeat(i, nowS);
        const r = await p.heartbeat({ cpu: m.cpu as never, mem: m.mem as never, disk: m.disk as never, uptime: m.uptime as number, labels: m.labels as Record<string, string> });
        if (!r.ok) throw r.error;
      }));
      const poll = await drainQueue(pollerClients.sqs, cloud.names.heartbeatsQueueUrl, 100, (r) => ingestHeartbeat(hb, r));
      finish(`heartbeats: ${round}`, HOSTS, poll);
    }

    // ---- logs: a burst (batches fill up) and a trickle (one record per linger window) ----------
    reset();
    {
      const p = createProducer({ sqs: producerClients.sqs, logsQueueUrl: cloud.names.logsQueueUrl, app: 'api', hostname: hostnameOf(1), flushOnExit: false });
      for (let i = 0; i < BURST_RECORDS; i++) p.log({ text: text(RECORD_BYTES, i), level: [20, 20, 20, 30, 40][i % 5] as number, fields: { request_id: `r${i}`, path: '/v1/orders' } });
      const f = await p.close();
      if (!f.ok) throw f.error ?? new Error('flush failed');
      const poll = await drainQueue(pollerClients.sqs, cloud.names.logsQueueUrl, LOG_BATCH, (r) => ingestLogMessage(logs, r), { handleBatch: logBatch });
      finish(`logs: burst of ${BURST_RECORDS} records from one host (batches fill to 256 KiB)`, BURST_RECORDS, poll);
    }
    reset();
    {
      const p = createProducer({ sqs: producerClients.sqs, logsQueueUrl: cloud.names.logsQueueUrl, app: 'api', hostname: hostnameOf(2), flushOnExit: false });
      for (let i = 0; i < TRICKLE_RECORDS; i++) {
        p.log({ text: text(RECORD_BYTES, i), level: 20, fields: { request_id: `t${i}`, path: '/v1/orders' } });
        await p.flush();
      }
      await p.close();
      const poll = await drainQueue(pollerClients.sqs, cloud.names.logsQueueUrl, LOG_BATCH, (r) => ingestLogMessage(logs, r), { handleBatch: logBatch });
      finish(`logs: trickle, one record per message (a quiet host: < 1 record per 1 s linger)`, TRICKLE_RECORDS, poll);
    }
    const host = await cloud.clients.ddb.send(new GetCommand({ TableName: cloud.names.hostsTable, Key: { hostname: hostnameOf(1) } }));
    hostItemBytes = itemBytes(host.Item ?? {});
    const page = await cloud.clients.ddb.send(new QueryCommand({
      TableName: cloud.names.logsTable, IndexName: 'byHost', Limit: 1,
      KeyConditionExpression: 'hostPk = :pk', ExpressionAttributeValues: { ':pk': `H#${hostnameOf(2)}#${new Date().toISOString().slice(0, 10)}#20` },
    }));
    logItemBytes = itemBytes(page.Items?.[0] ?? {});
  } finally {
    await cloud.stop();
  }

  for (const s of scenarios) {
    console.log(`${s.name}: ${s.records} records in ${s.messages} SQS messages, ${s.poll.invocations} invocations`);
    const rows = Object.entries(s.perRecord).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, sig(v, 4)]);
    console.log(table([['request (or capacity units) per record', 'per record'], ...rows]));
    console.log(`SQS send billing chunks (64 KiB) per record: ${sig(s.sendChunks / s.records, 4)}; capacity missing on ${s.tallies.handler.capacityMissing} DynamoDB responses\n`);
  }

  const steady = scenarios[1] as Scenario;
  const burst = scenarios[2] as Scenario;
  const trickle = scenarios[3] as Scenario;
  const hbWrites = steady.tallies.handler.requests['DynamoDB.UpdateItem@hosts'] ?? 0;
  const hbAllWrites = Object.entries(steady.tallies.handler.requests).filter(([k]) => k.startsWith('DynamoDB.')).reduce((a, [, v]) => a + v, 0);
  const bwPerRecord = (s: Scenario) => (s.tallies.handler.requests['DynamoDB.BatchWriteItem@logs'] ?? 0) / s.records;
  console.log('Targets');
  console.log(table([
    ['target', 'measured', 'met'],
    ['exactly 1 DynamoDB write request per heartbeat (steady state)', `${sig(hbWrites / steady.records, 4)} UpdateItem@hosts, ${sig(hbAllWrites / steady.records, 4)} DynamoDB requests in all`, hbWrites === steady.records && hbAllWrites === steady.records ? 'yes' : 'NO'],
    ['≤ 1/20 BatchWriteItem per log record (burst)', sig(bwPerRecord(burst), 4), bwPerRecord(burst) <= 0.05 ? 'yes' : 'NO'],
    ['≤ 1/20 BatchWriteItem per log record (trickle)', sig(bwPerRecord(trickle), 4), bwPerRecord(trickle) <= 0.05 ? 'yes' : 'NO'],
  ]));

  // The cost model's inputs. Capacity units: dynalite reports table units only (no GSI), so the
  // logs' byHost index write is added from the item size rule (ALL projection: same size).
  const units = (s: Scenario, key: string) => (s.tallies.handler.capacity[key] ?? 0) / s.records;
  const measured = {
    source: `npx tsx bench/requests.ts${quick ? ' --quick' : ''}`,
    date: new Date().toISOString(),
    heartbeat: {
      sqsSendRequestsPerBeat: (steady.tallies.producer.requests['SQS.SendMessageBatch'] ?? 0) / steady.records,
      bodyBytes: Buffer.byteLength(encodeBody('dts.HeartbeatMessage', heartbeat(1, Date.now() / 1000))),
      ddbWriteRequestsPerBeat: hbAllWrites / steady.records,
      ddbWriteUnitsPerBeat: units(steady, 'DynamoDB.UpdateItem@hosts') || 1,
      messagesPerInvocation: 100,
    },
    logs: {
      recordBytes: RECORD_BYTES,
      ddbWriteUnitsPerRecordTable: units(burst, 'DynamoDB.BatchWriteItem@logs') || 1,
      ddbWriteUnitsPerRecordIndex: units(burst, 'DynamoDB.BatchWriteItem@logs') || 1,
      ddbWriteRequestsPerMessageCounters: ((burst.tallies.handler.requests['DynamoDB.PutItem@stats'] ?? 0) + (burst.tallies.handler.requests['DynamoDB.UpdateItem@stats'] ?? 0)) / burst.messages,
      // Keys-only, eventually consistent: half a unit per record by DynamoDB's rule (dynalite reports none).
      presenceReadUnitsPerRecord: units(burst, 'DynamoDB.BatchGetItem@logs') || 0.5,
      recordsPerFullMessage: burst.records / burst.messages,
      batchWriteCallsPerRecordBurst: bwPerRecord(burst),
      batchWriteCallsPerRecordTrickle: bwPerRecord(trickle),
      messagesPerInvocation: 10,
    },
    hostItemBytes: hostItemBytes ?? 0,
    logItemBytes: logItemBytes ?? 0,
  };
  mergeMeasured(measured);
  console.log(`host item ${hostItemBytes} B, log item ${logItemBytes} B (DynamoDB size rule)`);
  console.log(`\nwrote bench/measured.json (cost model inputs)`);
  saveResult('requests', measured.source, quick, { hosts: HOSTS, scenarios, measured });
}

await main();
