import { defineConfig } from 'vitest/config';

// The SDK's notice about Node 20's end of support, printed once by every process that uses the SDK
// (the runner's own global setup and the clouds it starts included), stays out of the test output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

/**
 * The integration files that run a second time, on DynamoDB Local (AWS's own emulator), besides
 * dynalite. They are the ones whose assertions are about what the DynamoDB engine does: its
 * limits, conditions, indexes, scans and capacity. The rest of the integration suite tests dts's
 * own logic through the stores, which the first engine already covers. docs/TESTING.md says why
 * each file is here.
 */
export const SECOND_ENGINE_FILES = [
  'api',
  'api-hostile-input',
  'contract-dynamodb',
  'diagnose',
  'hour-ring',
  'ingest-heartbeats',
  'ingest-hostile',
  'ingest-property',
  'ingest-watermark',
  'lifecycle-ingest',
  'notify',
  'outbox-faults',
  'sharded-keys',
].map((name) => `test/integration/${name}.test.ts`);

/** In a project whose engine is DynamoDB Local, one DynamoDB Local for the run; otherwise nothing. */
const globalSetup = ['test/support/dynamodb-local-setup.ts'];

/**
 * The integration files share their worker processes when the run says `--no-isolate`, as
 * `npm run test:integration` and `npm test` do (vitest's pool options are a run's, not a
 * project's): a fresh process per file loaded the AWS SDK and dynalite again each time, which was
 * 40 % of the suite's CPU. Each file still gets dts's own modules afresh and its environment put
 * back when it ends (test/support/file-scope.ts).
 */
const integration = { globalSetup, setupFiles: ['test/support/file-scope.ts'] };

/**
 * End-to-end files that need the machine to themselves, run by `npm run test:e2e` after the
 * others, one at a time. Every other file under test/e2e runs side by side with its neighbours,
 * each on a local cloud of its own: a new file does too, with nothing to declare.
 */
export const E2E_ALONE_FILES = [
  // Its assertion is a time budget against injected latency (3.5 s per call within a 6 s
  // timeout): a second cloud competing for the 2 cores can use up the margin it proves.
  'bigbatch',
  // Its bound is one tick of 1 s past the deadline: beside two other clouds on a loaded machine a
  // death was seen 7.8 s after the last beat against 6 s allowed (docs/TESTING.md).
  'pipeline',
].map((name) => `test/e2e/${name}.test.ts`);

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 120_000,
    reporters: ['default'],
    // Two files at a time. vitest's default is a worker per core less one: one on these 2-core
    // machines, so files ran one after another while most of them wait on clocks, queues and
    // DynamoDB Local. DTS_TEST_WORKERS=1 runs them one at a time again. `npm run test:e2e` sets
    // its own count (docs/TESTING.md). `npm run test:integration` sets its own too, as both
    // `--maxWorkers` and `--minWorkers` from DTS_TEST_WORKERS, whatever the default here: a worker
    // retired between two groups of files that share their workers can be handed a file of the
    // next group and end the run ("Terminating worker thread").
    maxWorkers: Number(process.env.DTS_TEST_WORKERS) || 2,
    minWorkers: 1,
    // The threads pool is the unit project's alone (below), and its files share their worker's modules.
    poolOptions: { threads: { isolate: false } },
    // Handlers run in the test process: they log as a named service, and their metrics (EMF lines
    // on stdout, which CloudWatch reads in Lambda) stay out of the test output.
    env: { POWERTOOLS_SERVICE_NAME: 'dts-test', POWERTOOLS_METRICS_DISABLED: 'true' },
    projects: [
      // The unit files run in worker threads that share their modules (no isolation; the threads
      // pool's options above): a fresh process and module graph per file cost more than the tests
      // did (120 s for the project against 45 s; docs/TESTING.md). So a unit test leaves no global
      // state behind: it restores timers, the environment and mocks, and never calls process.chdir.
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts'], pool: 'threads' } },
      // On dynalite, unless DTS_TEST_ENGINE=dynamodb-local puts the whole suite on DynamoDB Local.
      { extends: true, test: { name: 'integration', include: ['test/integration/**/*.test.ts'], ...integration } },
      {
        extends: true,
        test: { name: 'dynamodb-local', include: SECOND_ENGINE_FILES, env: { DTS_TEST_ENGINE: 'dynamodb-local' }, ...integration },
      },
      // Every file starts a local cloud of its own, so files run side by side (docs/TESTING.md).
      { extends: true, test: { name: 'e2e', include: ['test/e2e/**/*.test.ts'], exclude: E2E_ALONE_FILES, globalSetup } },
      { extends: true, test: { name: 'e2e-alone', include: E2E_ALONE_FILES, globalSetup } },
    ],
  },
});
