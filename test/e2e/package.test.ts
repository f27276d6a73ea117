/**
 * The package as a user gets it: `npm pack` (which builds dist/ through prepack), installed into
 * an empty project with plain Node and no TypeScript. From there a program imports
 * `{ Producer }` from 'dts', sends a beat and a log record to the local cloud, and `npx dts`
 * and the one-file agent read and write through the same cloud.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, startCloudProcess, type CloudProcess } from './support/local-cloud-process';

const exec = promisify(execFile);
let cloud: CloudProcess;
let work: string;
let project: string;
let tarball: string;

/** Only the endpoint: the consumer discovers everything else, as on a fresh machine. */
function consumerEnv(): NodeJS.ProcessEnv {
  const inherited = Object.entries(process.env).filter(([k]) => !k.startsWith('DTS_') && !k.startsWith('AWS_') && !k.startsWith('npm_'));
  return { ...Object.fromEntries(inherited), AWS_ENDPOINT_URL: cloud.endpoint, NO_COLOR: '1' };
}

async function inProject(file: string, args: string[]): Promise<{ stdout: string; stderr: string }> {
  return exec(file, args, { cwd: project, env: consumerEnv(), timeout: 60_000 });
}

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'dts-package-e2e-'));
  const [started, packed] = await Promise.all([
    startCloudProcess({ dataDir: path.join(work, 'data'), inMemory: true, stage: 'dev' }),
    exec('npm', ['pack', '--json', '--pack-destination', work], { cwd: ROOT, timeout: 120_000, maxBuffer: 16 * 1024 * 1024 }),
  ]);
  cloud = started;
  tarball = path.join(work, (JSON.parse(packed.stdout) as { filename: string }[])[0]?.filename ?? '');
  project = path.join(work, 'consumer');
  await exec('mkdir', ['-p', project]);
  await writeFile(path.join(project, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', type: 'module', private: true }));
  // From the npm cache that `npm ci` filled; the registry only for what it lacks.
  await exec('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', tarball], { cwd: project, timeout: 180_000 });
}, 300_000);

afterAll(async () => {
  await cloud?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('npm pack, installed into an empty project', () => {
  it('holds the bundles, the library with its declarations and the codec, and no TypeScript source', async () => {
    const { stdout } = await exec('tar', ['-tzf', tarball]);
    const files = stdout.split('\n').filter(Boolean);
    for (const f of ['dist/dts.cjs', 'dist/dts-agent.mjs', 'dist/index.js', 'dist/types/producer/index.d.ts', 'dist/types/wire/generated/dts.d.ts', 'bin/dts.js', 'proto/dts.proto']) {
      expect(files).toContain(`package/${f}`);
    }
    expect(files.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))).toEqual([]);
  });

  it('installs only the SQS client and protobufjs: no CloudFormation, DynamoDB or SNS client', async () => {
    const sdk = await readdir(path.join(project, 'node_modules', '@aws-sdk'));
    expect(sdk).toContain('client-sqs');
    for (const absent of ['client-cloudformation', 'client-dynamodb', 'client-sns', 'lib-dynamodb']) expect(sdk).not.toContain(absent);
    expect(existsSync(path.join(project, 'node_modules', 'tsx'))).toBe(false);
  });

  it('sends a beat and a log record with `import { Producer } from \'dts\'`, and `npx dts` reads them back', async () => {
    await writeFile(path.join(project, 'send.mjs'), `
      import { Producer, createProducer, locateBackend } from 'dts';
      if (typeof createProducer !== 'function') throw new Error('createProducer is not exported');
      const backend = await locateBackend({ need: ['heartbeatsQueueUrl', 'logsQueueUrl'] });
      const producer = new Producer({
        ...backend.client,
        heartbeatsQueueUrl: backend.require('heartbeatsQueueUrl'),
        logsQueueUrl: backend.require('logsQueueUrl'),
        app: 'packaged', hostname: 'pkg-host-1', interval: 60,
      });
      const beat = await producer.heartbeat({ cpu: { percent: 7 } });
      producer.log({ level: 'error', text: 'sent from the packed library' });
      const flushed = await producer.close();
      console.log(JSON.stringify({ beat: beat.ok, flushed: flushed.ok, stats: producer.stats() }));
    `);
    const sent = await inProject(process.execPath, ['send.mjs']);
    expect(JSON.parse(sent.stdout)).toMatchObject({ beat: true, flushed: true, stats: { sent: 1, heartbeats: 1 } });
    expect(sent.stderr).not.toMatch(/NodeVersionSupportWarning/);

    await expect.poll(async () => {
      const { stdout } = await inProject('npx', ['--offline', 'dts', 'hosts', '--json']);
      return (JSON.parse(stdout) as { hostname: string; state: string }[]).find((h) => h.hostname === 'pkg-host-1')?.state;
    }, { timeout: 60_000, interval: 500 }).toBe('alive');
    await expect.poll(async () => {
      const { stdout } = await inProject('npx', ['--offline', 'dts', 'logs', '--app', 'packaged', '--json']);
      return (JSON.parse(stdout) as { text: string }[]).map((r) => r.text);
    }, { timeout: 60_000, interval: 500 }).toEqual(['sent from the packed library']);
  }, 150_000);

  it('runs the one-file agent with plain Node: one beat, no SDK warning', async () => {
    const { stdout, stderr } = await inProject(process.execPath, [
      path.join(project, 'node_modules', 'dts', 'dist', 'dts-agent.mjs'), '--once', '--json', '--hostname', 'pkg-agent-1',
    ]);
    expect(JSON.parse(stdout)).toMatchObject({ sent: true, heartbeat: { mem: { percent: expect.any(Number) } } });
    expect(stderr).not.toMatch(/NodeVersionSupportWarning/);
    const { stdout: version } = await inProject('npx', ['--offline', 'dts', '--version']);
    expect(version.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  }, 60_000);
});
