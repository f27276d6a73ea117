/**
 * One Lambda execution environment: a worker thread with the function's own environment
 * variables and its own copy of every module, as a Lambda sandbox has. It loads the handler's
 * bundle once (the init phase; bundles.ts builds it, and this file, as the deploy does) and then
 * runs one invocation per message.
 */
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { parentPort, workerData } from 'node:worker_threads';
import type { InitData, Invocation, WorkerReply } from './protocol';

// The bundles are minified: their stack traces name the TypeScript sources through the maps.
process.setSourceMapsEnabled(true);

const init = workerData as InitData;
const port = parentPort;
if (!port) throw new Error('lambda/worker.ts runs only as a worker thread');

type Handler = (event: unknown, context: unknown, callback?: (error?: unknown, result?: unknown) => void) => unknown;

function errorOf(e: unknown): { name: string; message: string; stack?: string } {
  if (e instanceof Error) return { name: e.name, message: e.message, ...(e.stack ? { stack: e.stack } : {}) };
  return { name: 'Error', message: String(e) };
}

function post(reply: WorkerReply): void {
  port?.postMessage(reply);
}

let handler: Handler;
try {
  // As Lambda's Node runtime does: a CommonJS handler is required, an ES module imported. (An
  // import() of a CommonJS file would also scan the whole bundle for its export names first.)
  const mod = (init.modulePath.endsWith('.mjs')
    ? await import(pathToFileURL(init.modulePath).href)
    : createRequire(import.meta.url)(init.modulePath)) as Record<string, unknown>;
  const exported = mod[init.exportName] ?? (mod.default as Record<string, unknown> | undefined)?.[init.exportName];
  if (typeof exported !== 'function') throw new Error(`${init.modulePath} does not export a function named ${init.exportName}`);
  handler = exported as Handler;
  post({ type: 'ready' });
} catch (e) {
  post({ type: 'init-error', error: errorOf(e) });
  throw e;
}

port.on('message', (message: Invocation) => {
  const { id, event, deadline, requestId } = message;
  const context = {
    callbackWaitsForEmptyEventLoop: true,
    functionName: init.functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: init.functionArn,
    memoryLimitInMB: String(init.memoryMb),
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${init.functionName}`,
    logStreamName: `local/${randomUUID()}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
  const settle = (result: unknown): void => post({ type: 'result', id, result: result === undefined ? null : result });
  const fail = (e: unknown): void => post({ type: 'error', id, error: errorOf(e) });
  try {
    if (handler.length >= 3) {
      handler(event, context, (error, result) => (error ? fail(error) : settle(result)));
    } else {
      Promise.resolve(handler(event, context)).then(settle, fail);
    }
  } catch (e) {
    fail(e);
  }
});
