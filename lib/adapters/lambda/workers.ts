import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';

/** A worker invocation that failed: its function's error, a timeout, or a crash. */
export class WorkerError extends Error {
  override readonly name = 'WorkerError';
}

/**
 * A function invoked synchronously (RequestResponse) with a JSON request that names its phase:
 * the caller gets the reply in the answer, and a failed, crashed or timed-out invocation as a
 * WorkerError, with no result store to poll and no queue to drain (docs/SEMANTICS.md, "Diagnose
 * fanned out"). The SDK does not retry a function error; a throttled or dropped call it retries.
 */
export function lambdaInvoker(lambda: LambdaClient, functionName: string): <T>(request: { readonly phase: string }) => Promise<T> {
  return async <T>(request: { readonly phase: string }): Promise<T> => {
    const out = await lambda.send(new InvokeCommand({
      FunctionName: functionName, InvocationType: 'RequestResponse', Payload: new TextEncoder().encode(JSON.stringify(request)),
    }));
    const text = out.Payload ? new TextDecoder().decode(out.Payload) : '';
    if (out.FunctionError) {
      let message = text;
      try {
        const e = JSON.parse(text) as { errorType?: string; errorMessage?: string };
        message = `${e.errorType ?? 'Error'}: ${e.errorMessage ?? text}`;
      } catch { /* not JSON: the raw payload says it */ }
      throw new WorkerError(`${functionName} (${request.phase}): ${message}`);
    }
    return JSON.parse(text) as T;
  };
}
