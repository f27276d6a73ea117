/**
 * Part 3: diagnose scaling on the embedded engine (dynalite in this process, in memory). The
 * hosts table is seeded with BatchWriteItem, items shaped as HostStore.recordBeat writes them;
 * then runDiagnose passes over it with 1, 4, 8 and 16 scan segments. A last pass at the middle
 * size sends 1% of the fleet down, to show what transitions add.
 *
 *   npx tsx bench/diagnose.ts [--quick] [--sizes 1000,10000,100000] [--segments 1,4,8,16]
 */
import { DeleteCommand, BatchWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { loadConfig } from '../lib/config';
import { runDiagnose, type DiagnoseSummary, type DiagnoseDeps } from '../lib/app/diagnose/pass';
import { silentLog } from '../lib/app/log';
import { AlertPublisher } from '../lib/adapters/sns/alerts';
import { createClients } from '../lib/adapters/clients';
import { HostStore } from '../lib/adapters/dynamodb/hosts';
import { MONITOR_KEY } from '../lib/adapters/dynamodb/keys';
import { NotificationStore } from '../lib/adapters/dynamodb/notifications';
import { StatsStore } from '../lib/adapters/dynamodb/stats';
import { startTestCloud } from '../tools/harness/cloud';
import { counted, Tally } from './support/counting';
import { heartbeat, hostnameOf } from './support/fixtures';
import { itemBytes } from './support/item-size';
import { mergeMeasured } from './support/measured';
import { header, isQuick, saveResult, table } from './support/report';
import { sig } from './support/stats';

const quick = isQuick();
const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const SIZES = (arg('--sizes') ?? (quick ? '1000,5000' : '1000,10000,100000')).split(',').map(Number);
const SEGMENTS = (arg('--segments') ?? (quick ? '1,4' : '1,4,8,16')).split(',').map(Number);
const SEED_CONCURRENCY = 8;
const TARGET_100K_SECONDS = 10;

/** A host item as recordBeat leaves it after a few beats and diagnose has seen it alive. */
function hostItem(i: number, now: number): Record<string, unknown> {
  const m = heartbeat(i, now / 1000);
  return {
    hostname: hostnameOf(i),
    lastBeat: now - (i % 60) * 1000,
    sentAt: now - (i % 60) * 1000 + 12,
    skewMs: 12,
    // An hour's interval keeps every seeded host alive however long seeding takes.
    interval: 3600,
    labels: m.labels,
    firstSeen: now - 86_400_000,
    resumedAt: now - 86_400_000,
    state: 'alive',
    stateSince: now - 86_400_000,
    cpu: m.cpu,
    mem: m.mem,
    disk: m.disk,
    agent: m.agent,
    uptime: m.uptime,
    cpuStreak: 0,
  };
}

interface Pass {
  hosts: number;
  segments: number;
  seconds: number;
  hostsPerSecond: number;
  scans: number;
  readUnits: number;
  readUnitsPerHost: number;
  writes: number;
  publishes: number;
  transitions: DiagnoseSummary['transitions'];
  cpuSeconds: number;
  note?: string;
}

async function main(): Promise<void> {
  header('Part 3 — diagnose scaling on dynalite (in process, in memory)');
  const cloud = await startTestCloud();
  const config = loadConfig({});
  const tally = new Tally();
  const base = createClients({ region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, endpoint: cloud.env.AWS_ENDPOINT_URL_DYNAMODB as string });
  const snsSqs = createClients({ region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, endpoint: cloud.env.AWS_ENDPOINT_URL_SQS as string });
  const c = counted({ ddb: base.ddb, sqs: snsSqs.sqs, sns: snsSqs.sns }, tally);
  const seeder = cloud.clients.ddb;
  const passes: Pass[] = [];
  const seeding: { hosts: number; seconds: number; itemsPerSecond: number }[] = [];
  let seeded = 0;
  let hostBytes = 0;

  const diagnosis = (segments: number): DiagnoseDeps => ({
    hosts: new HostStore(c.ddb, cloud.names.hostsTable),
    stats: new StatsStore(c.ddb, cloud.names.statsTable),
    delivery: {
      notifications: new NotificationStore(c.ddb, cloud.names.notificationsTable, 90),
      alerts: new AlertPublisher(c.sns, cloud.names.alertsTopicArn),
      now: Date.now,
    },
    // The hosts are written straight to the table: nothing waits on a queue.
    queue: { gauge: async () => ({ pending: 0, visibilityTimeoutMs: 30_000, at: Date.now() }), sendCanary: async () => undefined },
    lagWaitMs: config.diagnose.lagWaitMs,
    rule: config.liveness,
    scanSegments: segments,
    log: silentLog,
  });

  const pass = async (hosts: number, segments: number, note?: string): Promise<Pass> => {
    await seeder.send(new DeleteCommand({ TableName: cloud.names.statsTable, Key: MONITOR_KEY }));
    tally.reset();
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const summary = await runDiagnose(diagnosis(segments));
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    if (summary.examined !== hosts) throw new Error(`examined ${summary.examined} of ${hosts} hosts`);
    const readUnits = tally.units('DynamoDB.Scan');
    const p: Pass = {
      hosts, segments, seconds, hostsPerSecond: hosts / seconds,
      scans: tally.count('DynamoDB.Scan@hosts'), readUnits, readUnitsPerHost: readUnits / hosts,
      writes: tally.sum('DynamoDB.UpdateItem') + tally.sum('DynamoDB.PutItem'), publishes: tally.sum('SNS.'),
      transitions: summary.transitions, cpuSeconds: (cpu.user + cpu.system) / 1e6, ...(note ? { note } : {}),
    };
    passes.push(p);
    console.log(`  ${hosts} hosts, ${segments} segments: ${sig(seconds)} s, ${sig(p.hostsPerSecond)} hosts/s, ${p.scans} Scan pages, ${sig(readUnits)} read units${note ? ` (${note})` : ''}`);
    return p;
  };

  try {
    const now = Date.now();
    for (const size of SIZES) {
      const t0 = performance.now();
      const items = Array.from({ length: size - seeded }, (_, k) => hostItem(seeded + k, now));
      hostBytes = itemBytes(items[0] ?? hostItem(0, now));
      let next = 0;
      await Promise.all(Array.from({ length: SEED_CONCURRENCY }, async () => {
        while (next < items.length) {
          const chunk = items.slice(next, (next += 25));
          let pending: Record<string, unknown>[] = chunk.map((Item) => ({ PutRequest: { Item } }));
          while (pending.length) {
            const out = await seeder.send(new BatchWriteCommand({ RequestItems: { [cloud.names.hostsTable]: pending as never } }));
            pending = (out.UnprocessedItems?.[cloud.names.hostsTable] ?? []) as Record<string, unknown>[];
          }
        }
      }));
      const seconds = (performance.now() - t0) / 1000;
      seeding.push({ hosts: size, seconds, itemsPerSecond: (size - seeded) / seconds });
      console.log(`seeded ${size - seeded} hosts (now ${size}) in ${sig(seconds)} s`);
      seeded = size;
      for (const s of SEGMENTS) await pass(size, s);
    }
    // Transitions: 1% of the middle size's fleet goes silent.
    const size = SIZES[Math.min(1, SIZES.length - 1)] as number;
    if (size < seeded) {
      // Only hosts below `size` exist at the middle size's time; later ones are alive and harmless.
    }
    const down = Math.max(1, Math.floor(seeded / 100));
    for (let i = 0; i < down; i += 1) {
      await seeder.send(new UpdateCommand({
        TableName: cloud.names.hostsTable, Key: { hostname: hostnameOf(i * 100) },
        UpdateExpression: 'SET lastBeat = :old', ExpressionAttributeValues: { ':old': Date.now() - 4 * 3600_000 },
      }));
    }
    await pass(seeded, 4, `${down} hosts (1%) declared down in this pass`);
  } finally {
    await cloud.stop();
  }

  console.log('');
  console.log(table([
    ['hosts', 'segments', 'seconds', 'hosts/s', 'Scan pages', 'read units', 'RU/host', 'writes', 'SNS', 'CPU s', 'note'],
    ...passes.map((p) => [p.hosts, p.segments, sig(p.seconds), sig(p.hostsPerSecond), p.scans, sig(p.readUnits), sig(p.readUnitsPerHost), p.writes, p.publishes, sig(p.cpuSeconds), p.note ?? '']),
  ]));
  const largest = passes.filter((p) => p.hosts === Math.max(...SIZES) && !p.note);
  const best = largest.reduce((a, b) => (b.seconds < a.seconds ? b : a));
  const scaled = (best.seconds * 100_000) / best.hosts;
  console.log(`\nTarget: 100k hosts ≤ ${TARGET_100K_SECONDS} s. Best at ${best.hosts} hosts: ${sig(best.seconds)} s with ${best.segments} segments` +
    (best.hosts === 100_000 ? ` → ${best.seconds <= TARGET_100K_SECONDS ? 'met' : `MISSED by ${sig(best.seconds - TARGET_100K_SECONDS)} s`}` : ` (≈ ${sig(scaled)} s per 100k, linear)`));
  const ruPerHost = best.readUnitsPerHost;
  // The host item size comes from bench/requests.ts, which reads back what a real beat wrote.
  mergeMeasured({ diagnoseReadUnitsPerHost: ruPerHost });
  saveResult('diagnose', `npx tsx bench/diagnose.ts${quick ? ' --quick' : ''}`, quick, { sizes: SIZES, segments: SEGMENTS, hostItemBytes: hostBytes, seeding, passes });
}

await main();
