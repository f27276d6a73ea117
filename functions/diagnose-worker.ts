import type { Context } from 'aws-lambda';
import { commitSegment, judgeSegment, type CommitReply, type JudgeReply, type WorkerRequest } from '../lib/app/diagnose/fanout';
import type { DiagnoseDeps } from '../lib/app/diagnose/pass';
import { diagnoseDeps } from '../lib/compose';
import { root } from './commons/deps';
import { logger } from './commons/powertools';

let deps: DiagnoseDeps | undefined;

/**
 * One worker of a fanned-out diagnose pass (docs/SEMANTICS.md, "Diagnose fanned out"), invoked
 * synchronously by the diagnose coordinator: `judge` reads its segments and returns counts and
 * digests; `commit` writes its hosts with the verdict the coordinator reached for the whole
 * fleet. An error fails the invocation, which the coordinator counts: the next pass covers it.
 */
export const handler = async (event: WorkerRequest, context: Context): Promise<JudgeReply | CommitReply> => {
  logger.addContext(context);
  deps ??= diagnoseDeps(root(logger), 'worker');
  switch (event.phase) {
    case 'judge': return judgeSegment(deps, event);
    case 'commit': return commitSegment(deps, event);
    default: throw new Error(`diagnose worker: unknown phase ${JSON.stringify((event as { phase?: unknown }).phase)}`);
  }
};
