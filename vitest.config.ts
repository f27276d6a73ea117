import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Integration and end-to-end files each start their own emulators on free ports.
    testTimeout: 30_000,
    hookTimeout: 120_000,
    reporters: ['default'],
    // Two files at a time. vitest's default is a worker per core less one: one on these 2-core
    // machines, so files ran one after another while most of them wait on clocks, queues and
    // DynamoDB Local. DTS_TEST_WORKERS=1 runs them one at a time again. `npm run test:e2e` runs
    // its files one at a time (--maxWorkers=1): each starts a local cloud of its own, and two at
    // once on two cores made real-time assertions (a death within a tick, a storm within a pass)
    // miss on a loaded machine.
    maxWorkers: Number(process.env.DTS_TEST_WORKERS) || 2,
    minWorkers: 1,
    // With DTS_TEST_ENGINE=dynamodb-local, one DynamoDB Local for the run; otherwise nothing.
    globalSetup: ['test/support/dynamodb-local-setup.ts'],
  },
});
