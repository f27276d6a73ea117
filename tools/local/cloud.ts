/**
 * The local cloud: the edge with its engines, the resources of the packaged template, the
 * functions' event source mappings and schedules, and the alert printer, started and stopped in
 * the order that loses no message.
 */
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { AlertPrinter } from './alert-printer';
import { HttpApiGateway, planHttpApi } from './http-api';
import { lockDataDir } from './data-dir-lock';
import { startEdge, type Edge } from './engines/edge';
import { SqsEventSourceMapping } from './event-source-mapping';
import { FaultInjector } from './faults/injector';
import { lambdaInvokeApi } from './lambda/invoke-api';
import { functionBundles, handlerSource } from './lambda/bundles';
import { LambdaRuntime } from './lambda/runtime';
import { clientsFor, provision, type AwsClients } from './provision';
import { DurableQueues } from './queue-snapshot';
import { Scheduler } from './scheduler';
import { packagedTemplate } from './template/packaged';
import { planFromTemplate, type CloudFormationTemplate, type LocalPlan, type QueuePlan } from './template/plan';

export interface LocalCloudOptions {
  /** The directory holding serverless.yml and the function sources. */
  readonly serviceDir: string;
  readonly stage: string;
  readonly region: string;
  readonly port: number;
  readonly host: string;
  /** Where DynamoDB data and the queue snapshot live; ignored when inMemory. */
  readonly dataDir: string;
  readonly inMemory: boolean;
  /** Run every schedule but the report's at this period instead of its own, in seconds. */
  readonly tick?: number;
  /** Run the report's schedule at this period instead of its own, in seconds. */
  readonly reportEvery?: number;
  /** A CloudFormation JSON file to use instead of packaging serverless.yml. */
  readonly templateFile?: string;
  /** Where packaged templates are cached. */
  readonly cacheDir: string;
  readonly params?: Readonly<Record<string, string>>;
  /** Fault rules to inject from the start (docs/LOCAL.md, "Fault injection"). */
  readonly faults?: string;
  /** POWERTOOLS_LOG_LEVEL for every function, over the template's (npm start --verbose: DEBUG). */
  readonly functionLogLevel?: string;
  /**
   * Start each function's first environment at its first invocation, as Lambda does, instead of
   * one per function once the cloud is ready (npm start --lazy). Less CPU and memory for a cloud
   * whose functions are not all used; an init error then shows at the first invocation.
   */
  readonly lazy?: boolean;
  /** Operator-facing output. */
  readonly print: (line: string) => void;
}

export interface LocalCloud {
  readonly endpoint: string;
  readonly plan: LocalPlan;
  readonly notices: readonly string[];
  readonly mappings: readonly SqsEventSourceMapping[];
  readonly scheduler: Scheduler;
  /** The fault rules in force; also driven through the edge's /_dts/faults. */
  readonly faults: FaultInjector;
  readonly templateSource: string;
  readonly restoredMessages: number;
  readonly tablesCreated: readonly string[];
  readonly tablesKept: readonly string[];
  /** Milliseconds from the call to ready. */
  readonly startupMs: number;
  /** Where the template's HTTP API (the console) answers, if it has one. */
  readonly httpApiUrl: string | undefined;
  stop(): Promise<{ snapshotted: number }>;
}

export async function startLocalCloud(options: LocalCloudOptions): Promise<LocalCloud> {
  const started = Date.now();
  const persistent = !options.inMemory;
  if (persistent) await mkdir(options.dataDir, { recursive: true });
  // A malformed spec fails the start before anything is locked or listening.
  const faults = new FaultInjector();
  if (options.faults) faults.add(options.faults);
  const lock = persistent ? await lockDataDir(options.dataDir) : { release: async () => undefined, tookOverFrom: undefined };
  let edge: Edge | undefined;
  const queues = persistent ? new DurableQueues(options.dataDir) : undefined;
  try {
    const [template, started_] = await Promise.all([
      loadTemplate(options),
      startEdge({ port: options.port, host: options.host, region: options.region, dynamoDbPath: persistent ? path.join(options.dataDir, 'dynamodb') : undefined, faults,
        ssmPath: persistent ? path.join(options.dataDir, 'ssm-parameters.json') : undefined, ...(queues ? { queueLog: queues } : {}) })
        .then((e) => {
          e.setReadiness({ stage: options.stage, ready: false });
          return e;
        }, (e: NodeJS.ErrnoException) => {
          throw e.code === 'EADDRINUSE' ? new Error(`port ${options.port} on ${options.host} is in use (LocalStack, or another npm start?); choose one with --port`) : e;
        }),
    ]);
    edge = started_;
    if (lock.tookOverFrom !== undefined) options.print(`notice: ${options.dataDir} was locked by pid ${lock.tookOverFrom}, which is gone (a crashed run); the lock was taken over`);
    const cloud = await assemble(options, template, edge, queues, started);
    return { ...cloud, stop: () => cloud.stop().finally(() => lock.release()) };
  } catch (e) {
    await edge?.drain(0).catch(() => undefined);
    await queues?.abandon().catch(() => undefined);
    await edge?.close().catch(() => undefined);
    await lock.release();
    throw e;
  }
}

async function loadTemplate(options: LocalCloudOptions): Promise<{ template: CloudFormationTemplate; source: string }> {
  if (options.templateFile) {
    return { template: JSON.parse(await readFile(options.templateFile, 'utf8')) as CloudFormationTemplate, source: options.templateFile };
  }
  const packaged = await packagedTemplate({
    serviceDir: options.serviceDir, stage: options.stage, region: options.region, cacheDir: options.cacheDir, ...(options.params ? { params: options.params } : {}),
  });
  return { template: packaged.template, source: `serverless package --stage ${options.stage} (${packaged.fromCache ? 'cached' : 'fresh'}: ${path.relative(options.serviceDir, packaged.file)})` };
}

async function assemble(options: LocalCloudOptions, loaded: { template: CloudFormationTemplate; source: string }, edge: Edge, queues: DurableQueues | undefined, started: number): Promise<LocalCloud> {
  const { print } = options;
  const plan = planFromTemplate(loaded.template, {
    region: options.region, stackName: stackNameOf(loaded.template, options), endpoint: edge.endpoint, ...(options.params ? { parameters: options.params } : {}),
  });
  const shortName = (fn: string): string => fn.startsWith(`${plan.stackName}-`) ? fn.slice(plan.stackName.length + 1) : fn;
  const level = options.functionLogLevel;
  const functions = level ? plan.functions.map((f) => ({ ...f, environment: { ...f.environment, POWERTOOLS_LOG_LEVEL: level } })) : plan.functions;
  // Built (or found current in the cache) while the cloud provisions; environments wait for it.
  const bundles = functionBundles({ serviceDir: options.serviceDir, cacheDir: options.cacheDir, entries: functions.map((f) => handlerSource(options.serviceDir, f.handler)) });
  bundles.catch(() => undefined); // A failed build is each function's init error (runtime.ts).
  const runtime = new LambdaRuntime(functions, {
    serviceDir: options.serviceDir, endpoint: edge.endpoint, region: options.region, log: (fn, line) => print(`[${shortName(fn)}] ${line}`), bundles,
  });
  edge.faults.attach(runtime);
  const announced = new Set<string>();
  edge.faults.onInject = (id, rule, call, fn) => {
    const kill = rule.includes('=kill-');
    if (!kill && announced.has(id)) return;
    announced.add(id);
    print(`! fault ${id} ${rule}: ${kill ? 'killed the worker of' : 'now injecting, first into'} ${fn ? shortName(fn) : 'a client'} (${call.service}:${call.operation}${call.resources.length > 0 ? ` ${call.resources.join(',')}` : ''})`);
  };
  const clients: AwsClients = clientsFor(edge.endpoint, options.region);
  const report = await provision(plan, clients);
  const printer = new AlertPrinter(plan.topics, clients, print);
  await printer.provision();
  const snapshotQueues: QueuePlan[] = [...plan.queues, ...printer.queues];
  const restore = queues ? await queues.recover(edge, snapshotQueues) : { restored: 0, notices: [] };
  const httpApi = planHttpApi(loaded.template, plan);
  const gateway = httpApi && new HttpApiGateway(httpApi, { region: options.region, invoke: (fn, e) => runtime.invoke(fn, e), log: print });
  if (gateway) edge.serveHttp((req, res) => gateway.handle(req, res));
  edge.serveLambda(lambdaInvokeApi(runtime, print));
  const notices = [...plan.notices.filter((n) => !httpApi?.logicalIds.has(n.split(/[ .:]/)[0] as string)), ...report.notices, ...restore.notices];
  let stopping: Promise<{ snapshotted: number }> | undefined;

  const invoke = (fn: string, event: unknown): Promise<unknown> => runtime.invoke(fn, event);
  const mappings = plan.sqsMappings.map((m) => {
    const queue = plan.queues.find((q) => q.arn === m.queueArn) as QueuePlan;
    return new SqsEventSourceMapping(m, queue, { sqs: clients.sqs, invoke, log: (l) => print(`[${shortName(m.functionName)}] ${l}`), region: options.region });
  });
  const scheduler = new Scheduler(plan.schedules, {
    ...(options.tick ? { tickSeconds: options.tick } : {}),
    ...(options.reportEvery ? { reportEverySeconds: options.reportEvery } : {}),
    isReport: (fn) => shortName(fn) === 'report',
  }, { invoke, log: print, region: options.region });
  edge.serveStatus('/_dts/schedules', () => ({ schedules: scheduler.status() }));
  edge.serveStatus('/_dts/environments', () => ({ environments: runtime.environments() }));
  mappings.forEach((m) => m.start());
  scheduler.start();
  printer.start();

  const stop = (): Promise<{ snapshotted: number }> => {
    stopping ??= (async () => {
      // 1. No schedule fires, and a diagnose pass (or its deadline watch) in flight finishes
      //    while ingest still runs: a pass judging a fleet whose beats nobody stores would see
      //    them all die. Then no poller receives; batches in flight finish and delete what
      //    succeeded; what failed stays in its queue.
      await scheduler.stop();
      await Promise.all([...mappings.map((m) => m.stop()), printer.stop()]);
      // 2. Clients get 503 from now on; requests in flight complete.
      await edge.drain(5_000);
      // 3. Every message still in a queue goes to a new snapshot, which replaces the journal.
      const snapshotted = queues ? await queues.compact(edge, snapshotQueues) : 0;
      await runtime.close();
      // 4. dynalite flushes and closes its database.
      await edge.close();
      for (const c of Object.values(clients)) c.destroy();
      return { snapshotted };
    })();
    return stopping;
  };

  edge.setReadiness({ stage: options.stage, ready: true });
  // The functions' first environments start once the cloud is ready, not during provisioning:
  // each loads its handler and the SDK, and seven of them at once on two cores made provisioning
  // take 3 s instead of 0.2 s. Ready does not wait for them: as in Lambda, an invocation that finds
  // none waits for a cold start, which does not count against its timeout.
  // With --lazy, none starts before its function is first invoked (docs/LOCAL.md, "Start-up time").
  if (!options.lazy) {
    void runtime.warm().then((failures) => {
      if (stopping) return; // Environments ended by the stop itself are no failures.
      for (const f of failures) print(`! ${shortName(f.functionName)}: init failed; its invocations fail until it loads: ${f.error.message}`);
    });
  }
  return {
    endpoint: edge.endpoint, plan, notices, mappings, scheduler, faults: edge.faults, templateSource: loaded.source, restoredMessages: restore.restored,
    tablesCreated: report.tablesCreated, tablesKept: report.tablesKept, startupMs: Date.now() - started, stop, httpApiUrl: httpApi ? `${edge.endpoint}/` : undefined,
  };
}

/** serverless names its stack service-stage; the template itself does not say. */
function stackNameOf(template: CloudFormationTemplate, options: LocalCloudOptions): string {
  const fn = Object.values(template.Resources).find((r) => r.Type === 'AWS::Lambda::Function');
  const name = fn?.Properties?.FunctionName;
  if (typeof name === 'string' && name.includes(`-${options.stage}-`)) return name.slice(0, name.indexOf(`-${options.stage}-`) + options.stage.length + 1);
  return `local-${options.stage}`;
}
