/**
 * The api function as it deploys: bundled by esbuild with serverless.yml's options and the
 * project's esbuild plugins (scripts/esbuild-plugins.cjs: zod's locales but English left out),
 * then invoked with API Gateway 2.0 events against the embedded cloud. Validation errors still
 * speak English, the OpenAPI document is still generated, and the bundle holds no other locale.
 */
import { mkdir, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { build, type Metafile } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKeyStore } from '../../lib/adapters/dynamodb/api-keys';
import { startTestCloud, type TestCloud } from '../../tools/harness/cloud';
import { DEPLOY_TARGET, deployBuildOptions } from '../../tools/local/lambda/bundles';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const require = createRequire(import.meta.url);
const OUT = path.join(ROOT, '.esbuild', `api-bundle-test-${process.pid}`);
let cloud: TestCloud;
let metafile: Metafile;
let bytes = 0;
let handler: (event: unknown, context: unknown) => Promise<{ statusCode: number; body: string }>;
let key = '';

beforeAll(async () => {
  cloud = await startTestCloud();
  await mkdir(OUT, { recursive: true });
  const file = path.join(OUT, 'api.cjs');
  // As it deploys: serverless.yml's custom.esbuild (the local cloud's bundles use the same
  // options, test/unit/local-bundles.test.ts), with the lockfile's @aws-sdk/* bundled in from its
  // ES module builds, so the calls below run the bundled SDK.
  const result = await build({
    ...deployBuildOptions(ROOT), target: DEPLOY_TARGET, sourcemap: false, entryPoints: [path.join(ROOT, 'functions', 'api.ts')], outfile: file, metafile: true,
  });
  metafile = result.metafile;
  bytes = Object.values(metafile.outputs).reduce((a, o) => a + (o.bytes ?? 0), 0);
  Object.assign(process.env, cloud.env);
  key = (await new ApiKeyStore(cloud.clients.ddb, cloud.names.apiKeysTable).create('read', 'bundle test', Date.now())).token;
  ({ handler } = require(file) as { handler: typeof handler });
}, 120_000);
afterAll(async () => {
  await rm(OUT, { recursive: true, force: true });
  await cloud?.stop();
});

function get(pathAndQuery: string) {
  const url = new URL(pathAndQuery, 'https://console.example');
  return handler({
    version: '2.0', routeKey: '$default', rawPath: url.pathname, rawQueryString: url.search.slice(1),
    headers: { host: 'console.example', authorization: `Bearer ${key}` },
    ...(url.search ? { queryStringParameters: Object.fromEntries(url.searchParams) } : {}),
    requestContext: {
      accountId: '000000000000', apiId: 'local', domainName: 'console.example', domainPrefix: 'console', stage: '$default', routeKey: '$default',
      requestId: 'r-1', time: new Date().toUTCString(), timeEpoch: Date.now(),
      http: { method: 'GET', path: url.pathname, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'test' },
    },
    isBase64Encoded: false,
  }, {});
}

describe('the api function\'s bundle', () => {
  it('holds zod\'s English messages and no other locale, and the SDK itself', () => {
    const locales = Object.keys(metafile.inputs).filter((f) => /[\\/]zod[\\/].*[\\/]locales[\\/]/.test(f));
    expect(locales.map((f) => path.basename(f))).toEqual(['en.js']);
    expect(Object.keys(metafile.inputs).some((f) => /[\\/]@aws-sdk[\\/]client-dynamodb[\\/]dist-es[\\/]/.test(f))).toBe(true);
    if (process.env.DTS_VERBOSE) console.log(`api bundle: ${bytes} B minified`);
    // 713 KB with the SDK (docs/BENCHMARKS.md, part 5), 828 KiB with the checks (cron-parser and
    // luxon, a check's calendar for its next expected time), 1,011 KiB with the status pages and
    // re2js (which refuses a log rule's --match pattern that RE2 cannot run when it is added over
    // the API). The budget leaves ~40 KiB for growth: one more AWS client planted in
    // functions/api.ts (LambdaClient, +74 KB) goes past it, and all of zod's locales would add ~260 KB.
    expect(bytes).toBeLessThan(1050 * 1024);
  });

  it('answers a bad parameter with zod\'s English message, and serves the generated OpenAPI document', async () => {
    const bad = await get('/api/v1/hosts?limit=0');
    expect(bad.statusCode).toBe(400);
    expect(JSON.parse(bad.body)).toMatchObject({ error: { code: 'bad_request', message: expect.stringMatching(/limit.*(too small|>=\s*1)/i) } });
    const doc = await get('/api/v1/openapi.json');
    expect(doc.statusCode).toBe(200);
    expect(Object.keys((JSON.parse(doc.body) as { paths: Record<string, unknown> }).paths)).toContain('/api/v1/hosts');
    const hosts = await get('/api/v1/hosts');
    expect(hosts.statusCode).toBe(200);
  });
});
