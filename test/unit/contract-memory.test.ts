import { describe } from 'vitest';
import { memoryContracts } from '../contract/memory';

// The in-memory adapters (tools/memory) held to the contract their DynamoDB adapters pass in
// test/integration/contract-dynamodb.test.ts.
describe('the in-memory adapters', memoryContracts);
