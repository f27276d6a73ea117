/**
 * Docs that run (issue 24): the README's and docs/' blocks marked `runs=test/e2e/docs.test.ts`,
 * run as written by bash (or python3) against the local cloud of `npm start`, each required to
 * exit 0. Two things are adapted, and only these: `dts` and `npx dts` are this checkout's
 * bin/dts.js (a shell function), and the local cloud's fixed address and stage in a block
 * (`127.0.0.1:4566`, `dts-local-`) are this test's cloud's, which runs beside others on a free port.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { snippetsRunBy, type Snippet } from '../support/snippets';
import { startCloudProcess, ROOT, type CloudProcess } from './support/local-cloud-process';
import { eventually } from './support/steps';
import { REGION, resourcesFromOutput } from './support/target';

const STAGE = 'docs';
let cloud: CloudProcess;
let dataDir: string;
let env: Record<string, string>;
/** docs/ALERTS.md's loopback receiver. */
let receiver: Server;
const received: string[] = [];

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'dts-e2e-docs-'));
  cloud = await startCloudProcess({ dataDir, inMemory: true, tick: 2, stage: STAGE });
  const r = resourcesFromOutput(cloud.output());
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k, v]) => !k.startsWith('DTS_') && !k.startsWith('AWS_') && v !== undefined)) as Record<string, string>;
  env = {
    ...clean, NO_COLOR: '1', AWS_ENDPOINT_URL: cloud.endpoint, AWS_REGION: REGION, AWS_DEFAULT_REGION: REGION,
    AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test',
    DTS_LOGS_QUEUE_URL: r.logsQueueUrl, DTS_HEARTBEATS_QUEUE_URL: r.heartbeatsQueueUrl, PYTHONPATH: path.join(ROOT, 'clients', 'python'),
  };
  receiver = createServer((req, res) => {
    req.resume();
    req.on('end', () => { received.push(`${req.method} ${req.url}`); res.end('ok'); });
  });
  await new Promise<void>((done) => receiver.listen(9000, '127.0.0.1', done));
}, 180_000);

afterAll(async () => {
  receiver?.close();
  if (cloud) await cloud.stop('SIGINT');
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

/** The block with this cloud's address and stage in place of `npm start`'s defaults. */
function adapted(code: string): string {
  const { host } = new URL(cloud.endpoint);
  return code.replaceAll('127.0.0.1:4566', host).replaceAll('localhost:4566', host).replaceAll('dts-local-', `dts-${STAGE}-`);
}

const DTS = `node ${JSON.stringify(path.join(ROOT, 'bin', 'dts.js'))}`;
const PRELUDE = `dts() { ${DTS} "$@"; }\nnpx() { if [ "$1" = dts ]; then shift; ${DTS} "$@"; else command npx "$@"; fi; }\n`;

/** Runs a block without blocking this process, which serves docs/ALERTS.md's receiver meanwhile. */
function run(s: Snippet): Promise<{ status: number | null; out: string; err: string }> {
  const [command, args] = s.lang === 'python'
    ? ['/usr/bin/python3', ['-c', adapted(s.code)]]
    : ['bash', ['-eo', 'pipefail', '-c', PRELUDE + adapted(s.code)]];
  return new Promise((resolve) => {
    const child = spawn(command as string, args as string[], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], timeout: 90_000 });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    child.on('close', (status) => resolve({ status, out, err }));
  });
}

const blocks = snippetsRunBy('test/e2e/docs.test.ts');

describe('the docs\' blocks, run against the local cloud', () => {
  it('are the ones this file knows how to check', () => {
    expect(blocks.map((s) => `${s.doc} ${s.lang}`).sort()).toEqual([
      'README.md sh', 'clients/python/README.md python', 'clients/python/README.md sh', 'docs/ALERTS.md sh', 'docs/CHECKS.md sh',
      'docs/PYTHON.md python', 'docs/RULES.md sh', 'docs/STATUS.md sh',
    ]);
  });

  it.each(blocks.map((s) => [`${s.doc}:${s.line}`, s] as const))('%s exits 0', async (_where, s) => {
    const r = await run(s);
    expect(r.status, `${s.doc}:${s.line}\n--- stdout\n${r.out}\n--- stderr\n${r.err}`).toBe(0);
    if (s.doc === 'README.md') {
      // What the block's comments promise: the record is listed, once ingest has stored it.
      await eventually(async () => (await run({ ...s, code: 'npx dts logs --app demo' })).out, (out) => out.includes('hello'), 30_000, 1000);
    }
    if (s.doc === 'docs/ALERTS.md') expect(received.some((r2) => r2.startsWith('POST /x')), 'the test alert reached the loopback receiver').toBe(true);
    if (s.doc === 'docs/RULES.md') expect(r.out).toContain('payments-errors');
  }, 120_000);
});
