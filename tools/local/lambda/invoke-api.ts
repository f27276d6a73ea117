/**
 * Lambda's Invoke API on the edge (POST /2015-03-31/functions/NAME/invocations), so that a
 * function may invoke another as it does on AWS: the diagnose coordinator invokes its workers
 * this way (docs/SEMANTICS.md, "Diagnose fanned out"). RequestResponse answers with the
 * function's result, or with `X-Amz-Function-Error: Unhandled` and its error when it failed,
 * timed out or was killed; Event answers 202 at once and runs it; DryRun only checks the name.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

export interface Invoker {
  has(functionName: string): boolean;
  invoke(functionName: string, event: unknown): Promise<unknown>;
}

const PATH = /^\/2015-03-31\/functions\/([^/]+)\/invocations(?:\?.*)?$/;

export function lambdaInvokeApi(runtime: Invoker, log: (line: string) => void): (req: IncomingMessage, res: ServerResponse) => boolean {
  return (req, res) => {
    const match = PATH.exec(req.url ?? '');
    if (!match || req.method !== 'POST') return false;
    const send = (status: number, body: unknown, headers: Record<string, string> = {}): void => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(body === undefined ? '' : JSON.stringify(body));
    };
    // A name, or an ARN (arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]). A malformed
    // escape is the caller's error: thrown here, it would stop the whole local cloud.
    let named: string;
    try {
      named = decodeURIComponent(match[1] as string);
    } catch {
      req.resume();
      send(400, { Type: 'User', message: `malformed function name: ${match[1]}` }, { 'x-amzn-errortype': 'InvalidParameterValueException' });
      return true;
    }
    const name = named.startsWith('arn:') ? (named.split(':')[6] as string) : named;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (!runtime.has(name)) {
        send(404, { Type: 'User', message: `Function not found: ${named}` }, { 'x-amzn-errortype': 'ResourceNotFoundException' });
        return;
      }
      const raw = Buffer.concat(chunks).toString('utf8');
      let event: unknown;
      try {
        event = raw === '' ? {} : JSON.parse(raw);
      } catch {
        send(400, { Type: 'User', message: 'Could not parse request body into json' }, { 'x-amzn-errortype': 'InvalidRequestContentException' });
        return;
      }
      const type = String(req.headers['x-amz-invocation-type'] ?? 'RequestResponse');
      if (type === 'DryRun') return send(204, undefined);
      if (type === 'Event') {
        runtime.invoke(name, event).catch((e: Error) => log(`[${name}] asynchronous invocation failed: ${e.message}`));
        return send(202, undefined);
      }
      runtime.invoke(name, event).then(
        (result) => send(200, result ?? null, { 'x-amz-executed-version': '$LATEST' }),
        (e: Error) => {
          // The runtime's InvocationError says how it failed (read by shape: the runtime module
          // resolves its worker at load, which only the local cloud's own process can do).
          const kind = (e as { kind?: string }).kind;
          const errorType = ({ timeout: 'Sandbox.Timedout', crash: 'Runtime.ExitError', init: 'Runtime.InitError' } as Record<string, string>)[kind ?? ''] ?? 'Error';
          send(200, { errorType, errorMessage: e.message }, { 'x-amz-function-error': 'Unhandled', 'x-amz-executed-version': '$LATEST' });
        },
      );
    });
    return true;
  };
}
