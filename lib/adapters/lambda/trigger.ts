import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import type { DiagnoseTrigger } from '../../ports';

/**
 * The diagnose function invoked asynchronously (`Event`): Lambda queues the invocation and
 * answers at once, so the caller (a heartbeat's ingest) does not wait for the pass. The pass
 * reads its event only to say why it ran.
 */
export function lambdaDiagnoseTrigger(lambda: LambdaClient, functionName: string): DiagnoseTrigger {
  return {
    async runPass(reason: string): Promise<void> {
      await lambda.send(new InvokeCommand({
        FunctionName: functionName, InvocationType: 'Event', Payload: new TextEncoder().encode(JSON.stringify({ source: 'dts.arrival', reason })),
      }));
    },
  };
}
