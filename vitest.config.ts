import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Integration and end-to-end files each start their own emulators on free ports.
    testTimeout: 30_000,
    hookTimeout: 120_000,
    reporters: ['default'],
    // With DTS_TEST_ENGINE=dynamodb-local, one DynamoDB Local for the run; otherwise nothing.
    globalSetup: ['test/support/dynamodb-local-setup.ts'],
  },
});
