import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import type { CommitReply, CommitRequest, DiagnoseWorkers, JudgeReply, JudgeRequest, WorkerRequest } from '../../app/diagnose/fanout';

/** A worker invocation that failed: its function's error, a timeout, or a crash. */
export class WorkerError extends Error {
  override readonly name = 'WorkerError';
}

/**
 * The diagnose workers as synchronous Lambda invocations (RequestResponse): the coordinator
 * gets each worker's counts back in the answer, and a failed, crashed or timed-out worker as an
 * error, with no result store to poll and no queue to drain (docs/SEMANTICS.md, "Diagnose fanned
 * out"). The SDK does not retry a function error; a throttled or dropped call it retries.
 */
export function lambdaWorkers(lambda: LambdaClient, functionName: string, count: number): DiagnoseWorkers {
  const invoke = async <T>(request: WorkerRequest): Promise<T> => {
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
  return {
    count,
    judge: (r: JudgeRequest) => invoke<JudgeReply>(r),
    commit: (r: CommitRequest) => invoke<CommitReply>(r),
  };
}
