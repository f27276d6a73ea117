/**
 * vitest's globalSetup, run once per project: for a project on DynamoDB Local (the
 * `dynamodb-local` project of vitest.config.ts, or any run with DTS_TEST_ENGINE=dynamodb-local),
 * one DynamoDB Local for the whole run instead of one JVM per test file (seconds each);
 * tools/harness/cloud.ts finds it through `inject('dynamoDbLocalEndpoint')`. Any other project
 * starts nothing.
 */
import type { TestProject } from 'vitest/node';
import { startDynamoDbLocal } from '../../tools/harness/dynamodb-local';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The DynamoDB Local that every test cloud of this project shares, if there is one. */
    dynamoDbLocalEndpoint: string | undefined;
  }
}

export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  // A project's env is unset (undefined) unless its config gives one.
  const projectEnv = project.config.env as Partial<Record<string, string>> | undefined;
  const engine = projectEnv?.DTS_TEST_ENGINE ?? process.env.DTS_TEST_ENGINE;
  if (engine !== 'dynamodb-local') {
    project.provide('dynamoDbLocalEndpoint', undefined);
    return undefined;
  }
  const local = await startDynamoDbLocal();
  project.provide('dynamoDbLocalEndpoint', local.endpoint);
  return () => local.stop();
}
