import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';

/**
 * Await a conditional write: true when it was applied, false when its condition did not hold.
 * A failed condition is how dts learns that another run, or a newer beat, came first; it is an
 * answer, not an error. Any other failure is thrown.
 */
export async function applied(write: Promise<unknown>): Promise<boolean> {
  try {
    await write;
    return true;
  } catch (e) {
    if (e instanceof ConditionalCheckFailedException) return false;
    throw e;
  }
}
