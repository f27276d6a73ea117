/**
 * #12 part 3: diagnose fanned out. dynalite runs in a child process (the local cloud's edge), so
 * the CPU this process spends is the client's alone: what a Lambda worker pays. The hosts table is
 * seeded with N alive hosts; then
 *   - each of W workers judges its range of segments, one at a time (a Lambda worker has its
 *     own CPU): hosts per second per worker, and CPU-seconds per 100k hosts;
 *   - the single pass, and the fanned-out pass with W workers side by side in this process,
 *     which must examine the same hosts.
 * From the per-worker figures: how many workers and how much memory 1M hosts need in 30 s.
 *
 *   npm run bench:fanout [-- --hosts 50000 --workers 4 --segments 4] [--quick]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import { loadConfig } from '../lib/config';
import { startEdge } from '../tools/local/engines/edge';
import { provision } from '../tools/local/provision';
import { planFromTemplate, type CloudFormationTemplate } from '../tools/local/template/plan';
import { runDiagnosePass, type DiagnoseDeps } from '../lib/app/diagnose/pass';
import { judgeSegment, runFannedPass, segmentsOf, commitSegment, type DiagnoseWorkers, type JudgeReply, type CommitReply, type WorkerRequest } from '../lib/app/diagnose/fanout';
import { diagnoseDeps, fixedNames } from '../lib/compose';
import { silentLog } from '../lib/app/log';
import { createClients } from '../lib/adapters/clients';
import { packagedTemplate } from '../tools/harness/template';
import { heartbeat, hostnameOf } from './support/fixtures';
import { header, isQuick, saveResult, table } from './support/report';

const REGION = 'us-east-1';
const CREDENTIALS = { accessKeyId: 'bench', secretAccessKey: 'bench' };

if (process.argv.includes('--edge-child')) {
  // The engines, in their own process: their CPU is not the workers'.
  const edge = await startEdge({ port: 0, host: '127.0.0.1', region: REGION, dynamoDbPath: undefined });
  process.stdout.write(`${JSON.stringify({ endpoint: edge.endpoint })}\n`);
  process.stdin.resume();
  process.stdin.on('end', () => process.exit(0));
} else {
  await main();
}

async function main(): Promise<void> {
  const quick = isQuick();
  const arg = (name: string, fallback: number): number => {
    const i = process.argv.indexOf(name);
    return i >= 0 ? Number(process.argv[i + 1]) : fallback;
  };
  const HOSTS = arg('--hosts', quick ? 8_000 : 50_000);
  const WORKERS = arg('--workers', 4);
  const SEGMENTS = arg('--segments', 4);

  const child: ChildProcess = spawn(process.execPath, ['--no-warnings', '--import', 'tsx', fileURLToPath(import.meta.url), '--edge-child'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const endpoint = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the edge exited (${code})`)));
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).once('line', (line) => resolve((JSON.parse(line) as { endpoint: string }).endpoint));
  });
  try {
    const template = (await packagedTemplate('test')) as unknown as CloudFormationTemplate;
    const plan = planFromTemplate(template, { region: REGION, stackName: 'dts-test', endpoint });
    const base = { region: REGION, credentials: CREDENTIALS, endpoint };
    await provision(plan, { dynamodb: new DynamoDBClient(base), sqs: new SQSClient(base), sns: new SNSClient(base) });
    const out = (name: string) => plan.outputs[name] as string;
    const env = {
      ...process.env, DTS_SCAN_SEGMENTS: String(SEGMENTS), DTS_WATCH_SECONDS: '60', DTS_STATS_TABLE: out('StatsTableName'),
    };
    const config = loadConfig(env);
    const clients = createClients(base);
    const resources = {
      hostsTable: out('HostsTableName'), statsTable: out('StatsTableName'), notificationsTable: out('NotificationsTableName'),
      alertsTopicArn: out('AlertsTopicArn'), heartbeatsQueueUrl: out('HeartbeatsQueueUrl'), silencesTable: out('SilencesTableName'),
    };
    const now = Date.now();
    const d: DiagnoseDeps = diagnoseDeps({ config, clients, names: fixedNames(resources), log: silentLog, now: () => now });

    header(`Diagnose fanned out: ${HOSTS.toLocaleString('en')} hosts, ${WORKERS} workers × ${SEGMENTS} segments (dynalite in a child process)`);
    const seeded = Date.now();
    await seed(clients.ddb, resources.hostsTable, HOSTS, now);
    console.log(`seeded in ${((Date.now() - seeded) / 1000).toFixed(1)} s`);

    // Each worker alone, as on Lambda, where each has its own CPU.
    const perWorker: Array<{ hosts: number; wallS: number; cpuS: number }> = [];
    for (let i = 0; i < WORKERS; i++) {
      const cpu = process.cpuUsage();
      const t = performance.now();
      const reply = roundTrip(await judgeSegment(d, { phase: 'judge', at: now, segments: segmentsOf(i, WORKERS, SEGMENTS), deadThrough: now, watch: false, silences: [] }));
      const used = process.cpuUsage(cpu);
      perWorker.push({ hosts: reply.examined, wallS: (performance.now() - t) / 1000, cpuS: (used.user + used.system) / 1e6 });
    }
    const judged = perWorker.reduce((a, w) => a + w.hosts, 0);
    const cpuS = perWorker.reduce((a, w) => a + w.cpuS, 0);
    const hostsPerSecond = judged / perWorker.reduce((a, w) => a + w.wallS, 0);
    const cpuPer100k = (cpuS / judged) * 100_000;
    console.log(table([
      ['worker', 'hosts', 'wall s', 'CPU s', 'hosts/s', 'CPU s per 100k'],
      ...perWorker.map((w, i) => [i + 1, w.hosts, w.wallS.toFixed(2), w.cpuS.toFixed(2), Math.round(w.hosts / w.wallS), ((w.cpuS / w.hosts) * 100_000).toFixed(2)]),
      ['all', judged, '', cpuS.toFixed(2), Math.round(hostsPerSecond), cpuPer100k.toFixed(2)],
    ]));

    // The whole pass both ways (the workers share this process here, so this wall time is no Lambda figure).
    const single = await timed(() => runDiagnosePass(d));
    const workers = inProcess(d);
    const fanned = await timed(() => runFannedPass(d, { ...workers, count: WORKERS }));
    console.log(table([
      ['pass', 'examined', 'wall s', 'CPU s', 'invocations'],
      ['single', single.result.summary.examined, single.wallS.toFixed(2), single.cpuS.toFixed(2), 0],
      [`fanned out (${WORKERS})`, fanned.result.summary.examined, fanned.wallS.toFixed(2), fanned.cpuS.toFixed(2), workers.invocations()],
    ]));
    if (fanned.result.summary.examined !== single.result.summary.examined || judged !== HOSTS) throw new Error('the fanned-out pass did not read the fleet the single pass read');

    // 1M hosts in 30 s. JavaScript runs on one core, so a worker's rate is at most what one vCPU
    // (1,769 MB) gives; below that, Lambda's CPU share scales with memory. 5 s are kept for the
    // cold starts, the commit phase and the coordinator's own work.
    const budgetS = 25;
    const perVcpu = 100_000 / cpuPer100k;
    const sizing = [1769, 1024, 512].map((memoryMb) => {
      const rate = perVcpu * Math.min(1, memoryMb / 1769);
      return { memoryMb, hostsPerSecond: Math.round(rate), workersFor1M: Math.ceil(1_000_000 / (rate * budgetS)) };
    });
    console.log(table([['worker memory MB', 'hosts/s per worker (CPU-bound)', 'workers for 1M in 25 s'], ...sizing.map((s) => [s.memoryMb, s.hostsPerSecond, s.workersFor1M])]));
    const at100k = (cpuPer100k * 1769) / 1769;
    console.log(`100k hosts in one invocation at 1,769 MB: about ${at100k.toFixed(1)} s of CPU (the diagnose timeout is 75 s).`);

    saveResult('fanout', 'npm run bench:fanout', quick, {
      hosts: HOSTS, workers: WORKERS, segmentsEach: SEGMENTS, perWorker, hostsPerSecondPerWorker: Math.round(hostsPerSecond),
      cpuSecondsPer100k: Number(cpuPer100k.toFixed(2)), single: { wallS: single.wallS, cpuS: single.cpuS }, fanned: { wallS: fanned.wallS, cpuS: fanned.cpuS },
      sizing,
    });
  } finally {
    child.stdin?.end();
    child.kill();
  }
}

function roundTrip<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

async function timed<T>(f: () => Promise<T>): Promise<{ result: T; wallS: number; cpuS: number }> {
  const cpu = process.cpuUsage();
  const t = performance.now();
  const result = await f();
  const used = process.cpuUsage(cpu);
  return { result, wallS: (performance.now() - t) / 1000, cpuS: (used.user + used.system) / 1e6 };
}

/** The workers in this process, each request and reply through JSON as through Invoke. */
function inProcess(d: DiagnoseDeps): Omit<DiagnoseWorkers, 'count'> & { invocations: () => number } {
  let n = 0;
  const call = async <T>(r: WorkerRequest): Promise<T> => {
    n++;
    const e = roundTrip(r);
    return roundTrip(await (e.phase === 'judge' ? judgeSegment(d, e) : commitSegment(d, e))) as T;
  };
  return { judge: (r) => call<JudgeReply>(r), commit: (r) => call<CommitReply>(r), invocations: () => n };
}

/** Alive hosts, shaped as HostStore.recordBeat writes them, with an hour's interval so that none dies meanwhile. */
async function seed(ddb: ReturnType<typeof createClients>['ddb'], table: string, count: number, now: number): Promise<void> {
  const item = (i: number) => {
    const m = heartbeat(i, now / 1000);
    return {
      hostname: hostnameOf(i), lastBeat: now - (i % 60) * 1000, sentAt: now - (i % 60) * 1000 + 12, skewMs: 12, interval: 3600,
      labels: m.labels, firstSeen: now - 86_400_000, resumedAt: now - 86_400_000, state: 'alive', stateSince: now - 86_400_000,
      cpu: m.cpu, mem: m.mem, disk: m.disk, agent: m.agent, uptime: m.uptime, cpuStreak: 0,
    };
  };
  let next = 0;
  await Promise.all(Array.from({ length: 8 }, async () => {
    while (next < count) {
      const start = next;
      next = Math.min(count, next + 25);
      let items: Record<string, unknown>[] = Array.from({ length: next - start }, (_, k) => ({ PutRequest: { Item: item(start + k) } }));
      while (items.length > 0) {
        const out = await ddb.send(new BatchWriteCommand({ RequestItems: { [table]: items as never } }));
        items = (out.UnprocessedItems?.[table] ?? []) as Record<string, unknown>[];
      }
    }
  }));
}
