/**
 * The local cloud provisions from `serverless package`'s CloudFormation, cached so that start-up
 * stays fast. The cache must never serve a stale template: any change to serverless.yml, to the
 * stage or to a parameter is a different key.
 */
import { mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packagedTemplate } from '../../tools/local/template/packaged';
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

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'dts-e2e-template-'));
  await symlink(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
  await writeFile(path.join(dir, 'package.json'), '{"name":"cachetest","private":true,"type":"module"}');
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const queueOf = (t: Awaited<ReturnType<typeof packagedTemplate>>): Record<string, unknown> =>
  t.template.Resources.Queue?.Properties as Record<string, unknown>;

describe('the packaged template cache', () => {
  it('packages once, then serves the cache until serverless.yml, the stage or a parameter changes', async () => {
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
    expect(otherStage.fromCache).toBe(false);
    expect(queueOf(otherStage).QueueName).toBe('cachetest-other-queue');

    const withParam = await packagedTemplate({ ...options, params: { visibility: '45' } });
    expect(withParam.fromCache).toBe(false);
    expect(String(queueOf(withParam).VisibilityTimeout)).toBe('45');
  }, 120_000);

  it('says why when serverless package fails', async () => {
    await writeFile(path.join(dir, 'serverless.yml'), 'service: [broken\n');
    await expect(packagedTemplate({ serviceDir: dir, stage: 'local', region: 'us-east-1', cacheDir: path.join(dir, '.cache') })).rejects.toThrow(/serverless package failed/);
  }, 60_000);
});
