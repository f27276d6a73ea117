/**
 * The local cloud's Lambda Invoke API (tools/local/lambda/invoke-api.ts), through the real
 * @aws-sdk/client-lambda and the diagnose coordinator's adapter (lib/adapters/lambda/workers.ts):
 * what the coordinator sees of a worker that answers, fails, times out or does not exist.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { InvokeCommand, LambdaClient, ResourceNotFoundException } from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lambdaInvokeApi } from '../../tools/local/lambda/invoke-api';
import type { JudgeRequest } from '../../lib/app/diagnose/fanout';
import { WorkerError } from '../../lib/adapters/lambda/workers';
import { diagnoseWorkers } from '../../lib/compose';
import { loadConfig } from '../../lib/config';

const lambdaWorkers = (lambda: LambdaClient, workerFunction: string, count: number) => diagnoseWorkers({ diagnose: { ...loadConfig({}).diagnose, workerFunction } }, lambda, count);

const calls: Array<{ fn: string; event: unknown }> = [];
/** As tools/local/lambda/runtime.ts's InvocationError carries it. */
const failure = (kind: string, message: string) => Object.assign(new Error(message), { name: 'InvocationError', kind });
const functions: Record<string, (event: unknown) => Promise<unknown>> = {
  'dts-t-diagnoseWorker': async (event) => ({ examined: 3, echo: event }),
  'dts-t-failing': async () => { throw failure('handler', 'boom: the table is gone'); },
  'dts-t-slow': async () => { throw failure('timeout', 'Task timed out after 40.00 seconds'); },
};
let server: Server;
let lambda: LambdaClient;

beforeAll(async () => {
  const api = lambdaInvokeApi({
    has: (fn) => fn in functions,
    invoke: (fn, event) => {
      calls.push({ fn, event });
      return (functions[fn] as (e: unknown) => Promise<unknown>)(event);
    },
  }, () => undefined);
  server = createServer((req, res) => {
    if (!api(req, res)) res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const endpoint = endpointOf();
  lambda = new LambdaClient({ region: 'us-east-1', endpoint, credentials: { accessKeyId: 't', secretAccessKey: 't' }, maxAttempts: 1 });
});
afterAll(async () => {
  lambda?.destroy();
  await new Promise((r) => server?.close(r));
});

function endpointOf(): string {
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const judge: JudgeRequest = { phase: 'judge', at: 1, segments: { first: 4, count: 4, total: 16 }, deadThrough: 1, watch: true, silences: [] };

describe('the local cloud answers Lambda Invoke', () => {
  it('RequestResponse: the event reaches the function by name or ARN, and its result comes back', async () => {
    const workers = lambdaWorkers(lambda, 'dts-t-diagnoseWorker', 4);
    expect(await workers.judge(judge)).toEqual({ examined: 3, echo: judge });
    const byArn = await lambda.send(new InvokeCommand({ FunctionName: 'arn:aws:lambda:us-east-1:000000000000:function:dts-t-diagnoseWorker', Payload: new TextEncoder().encode('{"a":1}') }));
    expect(JSON.parse(new TextDecoder().decode(byArn.Payload))).toEqual({ examined: 3, echo: { a: 1 } });
    expect(calls.at(-1)).toEqual({ fn: 'dts-t-diagnoseWorker', event: { a: 1 } });
  });

  it('a failed or timed-out function: a function error, which the coordinator\'s adapter raises with its message', async () => {
    const out = await lambda.send(new InvokeCommand({ FunctionName: 'dts-t-failing', Payload: new TextEncoder().encode('{}') }));
    expect(out.FunctionError).toBe('Unhandled');
    await expect(lambdaWorkers(lambda, 'dts-t-failing', 2).judge(judge)).rejects.toThrow(new WorkerError('dts-t-failing (judge): Error: boom: the table is gone'));
    await expect(lambdaWorkers(lambda, 'dts-t-slow', 2).commit({ phase: 'commit', at: 1, deadThrough: 1, silences: [], hosts: [], notices: [] }))
      .rejects.toThrow(/dts-t-slow \(commit\): Sandbox.Timedout: Task timed out after 40.00 seconds/);
  });

  it('a malformed escape in the name: a 400, and the server goes on answering', async () => {
    const bad = await fetch(`${endpointOf()}/2015-03-31/functions/%E0%A4%A/invocations`, { method: 'POST', body: '{}' });
    expect(bad.status).toBe(400);
    expect(bad.headers.get('x-amzn-errortype')).toBe('InvalidParameterValueException');
    expect(await lambdaWorkers(lambda, 'dts-t-diagnoseWorker', 4).judge(judge)).toMatchObject({ examined: 3 });
  });

  it('an unknown function: ResourceNotFoundException, as from AWS', async () => {
    await expect(lambda.send(new InvokeCommand({ FunctionName: 'dts-t-nothing' }))).rejects.toBeInstanceOf(ResourceNotFoundException);
  });

  it('Event: accepted at once (202), the function runs after', async () => {
    const before = calls.length;
    const out = await lambda.send(new InvokeCommand({ FunctionName: 'dts-t-diagnoseWorker', InvocationType: 'Event', Payload: new TextEncoder().encode('{"b":2}') }));
    expect(out.StatusCode).toBe(202);
    expect(calls.slice(before)).toEqual([{ fn: 'dts-t-diagnoseWorker', event: { b: 2 } }]);
  });
});
