/**
 * The local cloud (`npm start`, in memory) as the end-to-end benches run it: a child process on
 * a free port with a template cache of its own, its resources found by the stage's names, and
 * clients for them. DTS_BENCH_LOCAL_LOG=<file> keeps its whole output (functions included).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createClients, type Clients } from '../../lib/adapters/clients';
import { BENCH_DIR } from './report';

const ROOT = path.resolve(BENCH_DIR, '..');
const REGION = 'us-east-1';
const ACCOUNT = '000000000000';

export interface BenchCloudOptions {
  /** The stage: resources are named `dts-<stage>-…`. */
  readonly stage: string;
  /** Seconds between scheduled runs (--tick); the template's own schedules when undefined. */
  readonly tick?: number;
  /** --param name=value for each entry. */
  readonly params?: Readonly<Record<string, string | number>>;
  readonly readyTimeoutMs?: number;
}

export interface BenchCloud {
  readonly port: number;
  readonly endpoint: string;
  readonly region: string;
  readonly credentials: { accessKeyId: string; secretAccessKey: string };
  readonly clients: Clients;
  /** `heartbeats`, `logs`, …: the stage's queue of that name. */
  queueUrl(name: string): string;
  /** `hosts`, `notifications`, …: the stage's table of that name. */
  table(name: string): string;
  /** `alerts`: the stage's topic of that name. */
  topicArn(name: string): string;
  /** SIGINT, SIGKILL after 15 s; then the clients and the template cache go. */
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

async function ready(child: ChildProcess, timeoutMs: number): Promise<void> {
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`local cloud not ready after ${timeoutMs / 1000} s:\n${output}`)), timeoutMs);
    child.stdout?.on('data', (d: Buffer) => {
      output += d.toString();
      if (/ready in [\d.]+ s/.test(output)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`local cloud exited (${code}):\n${output}`));
    });
  });
  child.removeAllListeners('exit');
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGINT');
  await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))]);
  if (child.exitCode === null) child.kill('SIGKILL');
}

export async function startBenchCloud(o: BenchCloudOptions): Promise<BenchCloud> {
  const logFile = process.env.DTS_BENCH_LOCAL_LOG;
  const cacheDir = mkdtempSync(path.join(tmpdir(), `dts-bench-${o.stage}-cache-`));
  const port = await freePort();
  const child = spawn(process.execPath, [
    '--no-warnings', '--import', 'tsx', 'tools/local/main.ts',
    '--port', String(port), '--in-memory', ...(o.tick !== undefined ? ['--tick', String(o.tick)] : []),
    ...(logFile ? [] : ['--quiet']), '--stage', o.stage,
    ...Object.entries(o.params ?? {}).flatMap(([k, v]) => ['--param', `${k}=${v}`]),
  ], { cwd: ROOT, env: { ...process.env, DTS_LOCAL_CACHE_DIR: cacheDir }, stdio: ['ignore', 'pipe', 'pipe'] });
  if (logFile) {
    const log = createWriteStream(logFile);
    child.stdout?.pipe(log);
    child.stderr?.pipe(log);
  }
  try {
    await ready(child, o.readyTimeoutMs ?? 180_000);
  } catch (e) {
    await stopChild(child);
    rmSync(cacheDir, { recursive: true, force: true });
    throw e;
  }
  const endpoint = `http://127.0.0.1:${port}`;
  const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
  const clients = createClients({ region: REGION, endpoint, credentials });
  return {
    port,
    endpoint,
    region: REGION,
    credentials,
    clients,
    queueUrl: (name) => `${endpoint}/${ACCOUNT}/dts-${o.stage}-${name}`,
    table: (name) => `dts-${o.stage}-${name}`,
    topicArn: (name) => `arn:aws:sns:${REGION}:${ACCOUNT}:dts-${o.stage}-${name}`,
    async stop() {
      for (const c of [clients.ddb, clients.sqs, clients.sns]) c.destroy();
      await stopChild(child);
      rmSync(cacheDir, { recursive: true, force: true });
    },
  };
}
