/**
 * Part 5: each function's bundle, as `serverless package` makes it (serverless-esbuild, minified,
 * the lockfile's `@aws-sdk/*` bundled in, tree-shaken), and as it was with `@aws-sdk/*` left
 * external for the runtime's copy: minified and gzipped bytes, and cold init, which is the module
 * load plus the first invocation (its first AWS calls, against the local cloud), in a fresh node
 * process each time, median of several.
 *
 *   npm run bench:bundles [-- --quick]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { createRequire } from 'node:module';
import { build, type Plugin } from 'esbuild';
import { encodeBody } from '../lib/wire/codec';
import { heartbeat, logRecord } from './support/fixtures';
import { startBenchCloud, type BenchCloud } from './support/local-cloud';
import { BENCH_DIR, header, isQuick, saveResult, table } from './support/report';
import { sig, summarize } from './support/stats';

const quick = isQuick();
/** serverless.yml's custom.esbuild.plugins. */
const ESBUILD_PLUGINS = createRequire(import.meta.url)('../scripts/esbuild-plugins.cjs') as Plugin[];
const ROOT = path.resolve(BENCH_DIR, '..');
const RUNS = quick ? 3 : 7;
const TARGET_KB = 250;
const STAGE = 'bundles';

interface Bundle {
  fn: string;
  variant: string;
  minifiedBytes: number;
  gzipBytes: number;
  zipBytes?: number;
  /** require() alone. */
  loadMs: { p50: number; max: number };
  /** require() and the first invocation, to its answer. */
  initMs: { p50: number; p99: number; max: number };
}

const sqsEvent = (...bodies: string[]) => ({
  Records: bodies.map((body, i) => ({
    messageId: `bench-${i}`, receiptHandle: `bench-${i}`, body, md5OfBody: '', eventSource: 'aws:sqs', awsRegion: 'us-east-1',
    eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:dts-bundles-queue', messageAttributes: {},
    attributes: { ApproximateReceiveCount: '1', SentTimestamp: String(Date.now()), SenderId: 'bench', ApproximateFirstReceiveTimestamp: String(Date.now()) },
  })),
});
const scheduledEvent = () => ({
  version: '0', id: 'bench', 'detail-type': 'Scheduled Event', source: 'aws.events', account: '000000000000', time: new Date().toISOString(),
  region: 'us-east-1', resources: [], detail: {},
});

/** An event for each function's first invocation that makes it call AWS at least once. */
function firstEvent(fn: string): unknown {
  const now = Math.floor(Date.now() / 1000);
  switch (fn) {
    case 'ingest-heartbeats': return sqsEvent(encodeBody('dts.HeartbeatMessage', heartbeat(1, now)));
    case 'ingest-logs': return sqsEvent(encodeBody('dts.LogBatch', { records: [logRecord(1, now)] }));
    case 'diagnose': case 'report': return scheduledEvent();
    case 'diagnose-worker': return { phase: 'judge', at: Date.now(), segments: { first: 0, count: 1, total: 4 }, canDeclareDead: false, silences: [], stormMembers: [] };
    // A key that is not there: one GetItem on the keys table, then 401.
    case 'api': return {
      version: '2.0', routeKey: 'GET /api/{proxy+}', rawPath: '/api/v1/hosts', rawQueryString: '', headers: { authorization: 'Bearer dts_bench_nokey' },
      requestContext: { http: { method: 'GET', path: '/api/v1/hosts', protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'bench' }, stage: '$default', requestId: 'bench', routeKey: 'GET /api/{proxy+}', timeEpoch: Date.now() },
      isBase64Encoded: false,
    };
    // An SNS envelope of nothing dts sent: the notifier sets it aside on its DLQ (one SendMessage).
    case 'notify': return sqsEvent(JSON.stringify({ Type: 'Notification', Message: 'not a notification', MessageAttributes: {} }));
    default: throw new Error(`no first event for ${fn}`);
  }
}

/**
 * The functions' environment from the packaged template, each reference resolved to the local
 * cloud's resource of that name, and every AWS call sent to it.
 */
function functionEnv(templateFile: string, cloud: BenchCloud): Record<string, string> {
  const template = JSON.parse(readFileSync(templateFile, 'utf8')) as { Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }> };
  const ref = (id: string): string => {
    const r = template.Resources[id];
    const p = r?.Properties ?? {};
    switch (r?.Type) {
      case 'AWS::DynamoDB::Table': return String(p.TableName);
      case 'AWS::SQS::Queue': return `${cloud.endpoint}/000000000000/${String(p.QueueName)}`;
      case 'AWS::SNS::Topic': return `arn:aws:sns:${cloud.region}:000000000000:${String(p.TopicName)}`;
      case 'AWS::Lambda::Function': return String(p.FunctionName);
      default: return `bench-${id}`;
    }
  };
  const env: Record<string, string> = {
    AWS_REGION: cloud.region, AWS_ENDPOINT_URL: cloud.endpoint, AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', POWERTOOLS_LOG_LEVEL: 'CRITICAL', POWERTOOLS_METRICS_DISABLED: 'true',
    // diagnose would watch deadlines for a minute after its pass.
    DTS_WATCH_SECONDS: '0',
  };
  for (const r of Object.values(template.Resources)) {
    if (r.Type !== 'AWS::Lambda::Function') continue;
    const vars = (r.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {};
    for (const [k, v] of Object.entries(vars)) {
      if (k in env) continue;
      env[k] = typeof v === 'string' ? v : typeof v === 'number' ? String(v) : ref(String((v as { Ref?: unknown }).Ref));
    }
  }
  return env;
}

interface Candidate {
  readonly fn: string;
  readonly variant: string;
  readonly file: string;
  readonly env: Record<string, string>;
  readonly zipBytes?: number;
}

/** One fresh process: ms to require the bundle (load) and to answer its first event (init). */
function probeOnce(c: Candidate, eventFile: string): [number, number] {
  const context = `{functionName:'bench',awsRequestId:'bench',getRemainingTimeInMillis:()=>30000,callbackWaitsForEmptyEventLoop:true}`;
  const probe = [
    `const t=process.hrtime.bigint();const m=require(${JSON.stringify(c.file)});const loaded=process.hrtime.bigint();`,
    `Promise.resolve(m.handler(JSON.parse(require('fs').readFileSync(${JSON.stringify(eventFile)},'utf8')),${context})).then(`,
    `()=>{process.stdout.write(JSON.stringify([Number(loaded-t)/1e6,Number(process.hrtime.bigint()-t)/1e6]));process.exit(0)},`,
    `(e)=>{process.stderr.write(String(e&&e.stack||e));process.exit(1)})`,
  ].join('');
  const out = execFileSync(process.execPath, ['--no-warnings', '-e', probe], { env: { PATH: process.env.PATH ?? '', ...c.env }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return JSON.parse(out) as [number, number];
}

/**
 * The variants of one function, measured in turns (A, B, A, B...) so that the machine's load,
 * which shifts from minute to minute here, weighs on both alike.
 */
function measureFunction(candidates: Candidate[], work: string): Bundle[] {
  const [first] = candidates;
  if (!first) return [];
  const eventFile = path.join(work, `event-${first.fn}.json`);
  writeFileSync(eventFile, JSON.stringify(firstEvent(first.fn)));
  const samples = candidates.map(() => ({ load: [] as number[], init: [] as number[] }));
  for (let i = 0; i < RUNS; i++) {
    candidates.forEach((c, k) => {
      const [load, init] = probeOnce(c, eventFile);
      samples[k]?.load.push(load);
      samples[k]?.init.push(init);
    });
  }
  return candidates.map((c, k) => {
    const code = readFileSync(c.file);
    const l = summarize(samples[k]?.load ?? []);
    const s = summarize(samples[k]?.init ?? []);
    return {
      fn: c.fn, variant: c.variant, minifiedBytes: code.length, gzipBytes: gzipSync(code, { level: 9 }).length,
      ...(c.zipBytes !== undefined ? { zipBytes: c.zipBytes } : {}),
      loadMs: { p50: l.p50, max: l.max }, initMs: { p50: s.p50, p99: s.p99, max: s.max },
    };
  });
}

async function main(): Promise<void> {
  header('Part 5 — bundles: size and cold initialisation (load + first call)');
  const work = mkdtempSync(path.join(tmpdir(), 'dts-bundles-'));
  const bundles: Bundle[] = [];
  const cloud = await startBenchCloud({ stage: STAGE });
  try {
    // A: exactly what deploys: the zips of `serverless package`.
    const pkg = path.join(work, 'package');
    // Its temporary directory in the work directory: serverless-esbuild leaves a staging directory
    // per function there (tools/local/template/packaged.ts).
    execFileSync('npx', ['serverless', 'package', '--stage', STAGE, '--package', pkg], { cwd: ROOT, stdio: 'pipe', env: { ...process.env, TMPDIR: work } });
    const env = functionEnv(path.join(pkg, 'cloudformation-template-update-stack.json'), cloud);
    for (const zip of readdirSync(pkg).filter((f) => f.endsWith('.zip'))) {
      const dir = path.join(work, zip.replace(/\.zip$/, ''));
      execFileSync('unzip', ['-q', '-o', path.join(pkg, zip), '-d', dir]);
      const js = readdirSync(path.join(dir, 'functions')).find((f) => f.endsWith('.js'));
      if (!js) continue;
      const fn = js.replace(/\.js$/, '');
      // B: the same options with @aws-sdk/* external, as before issue 21: the SDK came from the
      // runtime; here it resolves from the project's node_modules.
      const external = path.join(work, 'external', `${fn}.js`);
      await build({
        entryPoints: [path.join(ROOT, 'functions', `${fn}.ts`)], bundle: true, minify: true, platform: 'node', target: 'node22',
        format: 'cjs', outfile: external, logLevel: 'silent', plugins: ESBUILD_PLUGINS, external: ['@aws-sdk/*'],
      });
      bundles.push(...measureFunction([
        // No NODE_PATH: the deployed bundle must hold everything it needs, the SDK included.
        { fn, variant: 'A: SDK bundled (serverless package, deployed)', file: path.join(dir, 'functions', js), env, zipBytes: statSync(path.join(pkg, zip)).size },
        { fn, variant: 'B: @aws-sdk/* external (before)', file: external, env: { ...env, NODE_PATH: path.join(ROOT, 'node_modules') } },
      ], work));
    }
  } finally {
    await cloud.stop();
    rmSync(work, { recursive: true, force: true });
  }

  bundles.sort((a, b) => a.fn.localeCompare(b.fn) || a.variant.localeCompare(b.variant));
  console.log(table([
    ['function', 'variant', 'minified KB', 'gzip KB', 'zip KB', 'load p50 ms', 'init p50 ms', 'init max ms'],
    ...bundles.map((b) => [
      b.fn, b.variant, sig(b.minifiedBytes / 1024), sig(b.gzipBytes / 1024), b.zipBytes ? sig(b.zipBytes / 1024) : '—',
      sig(b.loadMs.p50), sig(b.initMs.p50), sig(b.initMs.max),
    ]),
  ]));
  console.log('\nInit is require() plus the first invocation to its answer (its first AWS calls go to a local cloud), in a fresh node process.');
  saveResult('bundles', `npm run bench:bundles${quick ? ' -- --quick' : ''}`, quick, { runs: RUNS, targetKB: TARGET_KB, bundles });
}

await main();
