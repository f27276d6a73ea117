/**
 * The local cloud provisions from `serverless package`'s CloudFormation, cached so that start-up
 * stays fast. The cache must never serve a stale template: any change to serverless.yml or to a
 * parameter is a different key. A stage needs no packaging of its own: the template packaged
 * under a marker stage serves every stage, and is what packaging under that stage gives.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packagedTemplate, STAGE_MARK, withLock } from '../../tools/local/template/packaged';
import { ROOT } from './support/local-cloud-process';

const service = (retention: number): string => `service: cachetest
frameworkVersion: '4'
provider:
  name: aws
  runtime: nodejs22.x
  stage: \${opt:stage, 'dev'}
params:
  default:
    visibility: 30
resources:
  Resources:
    Queue:
      Type: AWS::SQS::Queue
      Properties:
        QueueName: cachetest-\${sls:stage}-queue
        MessageRetentionPeriod: ${retention}
        VisibilityTimeout: \${param:visibility}
`;

/**
 * What differs between two packagings of the same input: the artifacts' upload folder (a
 * timestamp) and the Lambda versions' logical ids (a hash of each function's code and settings).
 */
function normalized(template: unknown): unknown {
  const text = JSON.stringify(template)
    .replace(/LambdaVersion[A-Za-z0-9]+/g, 'LambdaVersion')
    .replace(/"serverless\/[^"]*\/\d{13}-[^"/]*\//g, '"serverless/<upload>/');
  return JSON.parse(text);
}

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'dts-e2e-template-'));
  await symlink(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
  await writeFile(path.join(dir, 'package.json'), '{"name":"cachetest","private":true,"type":"module"}');
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** serverless-esbuild's zip staging directories in the temporary directory: `<function>-<pid>-<ms>-<hex>`. */
async function stagingDirs(): Promise<string[]> {
  return (await readdir(tmpdir())).filter((name) => /^[A-Za-z][\w]*-\d+-\d{13}-[0-9a-f]{8}$/.test(name));
}

const queueOf = (t: Awaited<ReturnType<typeof packagedTemplate>>): Record<string, unknown> =>
  t.template.Resources.Queue?.Properties as Record<string, unknown>;

describe('the packaged template cache', () => {
  it('packages once, then serves the cache, for any stage, until serverless.yml or a parameter changes', async () => {
    const options = { serviceDir: dir, stage: 'local', region: 'us-east-1', cacheDir: path.join(dir, '.cache') };
    await writeFile(path.join(dir, 'serverless.yml'), service(3600));
    const first = await packagedTemplate(options);
    expect(first.fromCache).toBe(false);
    expect(queueOf(first).MessageRetentionPeriod).toBe(3600);

    const again = await packagedTemplate(options);
    expect(again.fromCache).toBe(true);
    expect(again.template).toEqual(first.template);

    await writeFile(path.join(dir, 'serverless.yml'), service(7200));
    const edited = await packagedTemplate(options);
    expect(edited.fromCache).toBe(false);
    expect(queueOf(edited).MessageRetentionPeriod).toBe(7200);

    const otherStage = await packagedTemplate({ ...options, stage: 'other' });
    expect(otherStage.fromCache).toBe(true);
    expect(queueOf(otherStage).QueueName).toBe('cachetest-other-queue');
    expect(queueOf(edited).QueueName).toBe('cachetest-local-queue');

    const withParam = await packagedTemplate({ ...options, params: { visibility: '45' } });
    expect(withParam.fromCache).toBe(false);
    expect(String(queueOf(withParam).VisibilityTimeout)).toBe('45');
  }, 120_000);

  it('serves for a stage what `serverless package` makes of dts\'s own serverless.yml under that stage', async () => {
    const out = await mkdtemp(path.join(tmpdir(), 'dts-e2e-package-'));
    try {
      // `local` is the stage that serverless/conditions.yml compares the stage with. Under the
      // cache's lock: serverless-esbuild builds into the one .esbuild/ of the service.
      await mkdir(path.join(ROOT, '.dts', 'cache'), { recursive: true });
      await withLock(path.join(ROOT, '.dts', 'cache', 'package.lock'), () => promisify(execFile)(path.join(ROOT, 'node_modules', '.bin', 'serverless'), ['package', '--stage', 'local', '--region', 'us-east-1', '--package', out], {
        cwd: ROOT, env: { ...process.env, SLS_TELEMETRY_DISABLED: '1', SLS_NOTIFICATIONS_MODE: 'off', TMPDIR: out }, maxBuffer: 16 * 1024 * 1024,
      }));
      const real = JSON.parse(await readFile(path.join(out, 'cloudformation-template-update-stack.json'), 'utf8')) as unknown;
      const before = await stagingDirs();
      const cached = await packagedTemplate({ serviceDir: ROOT, stage: 'local', region: 'us-east-1', cacheDir: path.join(dir, '.dts-cache') });
      expect(normalized(cached.template)).toEqual(normalized(real));
      // serverless-esbuild leaves a staging directory per function in the temporary directory; a
      // packaging of the cache's leaves none behind.
      expect((await stagingDirs()).filter((d) => !before.includes(d))).toEqual([]);
      expect(JSON.stringify(cached.template)).not.toContain(STAGE_MARK);
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  }, 240_000);

  it('says why when serverless package fails', async () => {
    await writeFile(path.join(dir, 'serverless.yml'), 'service: [broken\n');
    await expect(packagedTemplate({ serviceDir: dir, stage: 'local', region: 'us-east-1', cacheDir: path.join(dir, '.cache') })).rejects.toThrow(/serverless package failed/);
  }, 60_000);
});
