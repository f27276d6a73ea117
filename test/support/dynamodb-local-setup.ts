/**
 * vitest's globalSetup: with DTS_TEST_ENGINE=dynamodb-local, one DynamoDB Local for the whole run
 * instead of one JVM per test file (seconds each); tools/harness/cloud.ts finds it through
 * `inject('dynamoDbLocalEndpoint')`. Any other run starts nothing.
 */
import type { TestProject } from 'vitest/node';
import { startDynamoDbLocal } from '../../tools/harness/dynamodb-local';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The DynamoDB Local that every test cloud of this run shares, if there is one. */
    dynamoDbLocalEndpoint: string | undefined;
  }
}

export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  if (process.env.DTS_TEST_ENGINE !== 'dynamodb-local') {
    project.provide('dynamoDbLocalEndpoint', undefined);
    return undefined;
  }
  const local = await startDynamoDbLocal();
  project.provide('dynamoDbLocalEndpoint', local.endpoint);
  return () => local.stop();
}
