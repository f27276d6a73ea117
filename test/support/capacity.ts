import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/** One call the client made, and the write or read units the engine said it consumed. */
export interface ConsumedCall {
  readonly command: string;
  readonly units: number | undefined;
}

/**
 * Asks the engine for the capacity every UpdateItem consumes (ReturnConsumedCapacity) and
 * records each call of `ddb` in `seen`: what a test of "one write unit per beat" reads back.
 */
export function recordConsumedCapacity(ddb: DynamoDBDocumentClient, seen: ConsumedCall[], name: string): void {
  ddb.middlewareStack.add((next, context) => async (args) => {
    const input = args.input as Record<string, unknown>;
    const command = (context as { commandName?: string }).commandName ?? '?';
    if (command === 'UpdateItemCommand') input.ReturnConsumedCapacity = 'TOTAL';
    const out = await next(args);
    seen.push({ command, units: (out.output as { ConsumedCapacity?: { CapacityUnits?: number } }).ConsumedCapacity?.CapacityUnits });
    return out;
  }, { step: 'initialize', name, priority: 'high' });
}
