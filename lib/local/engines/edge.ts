/**
 * One HTTP port in front of the embedded engines, as LocalStack has: dynalite answers DynamoDB,
 * fauxqs answers SQS, SNS and STS. Requests are routed by protocol:
 *
 * - `X-Amz-Target: DynamoDB_20120810.*` (the JSON protocol of every SDK and the aws CLI) → dynalite;
 * - `X-Amz-Target: AmazonSQS.*` (SQS's JSON protocol, used by SDK v3 and botocore ≥ 1.31) → fauxqs;
 * - `application/x-www-form-urlencoded` with an `Action` (the query protocol of SNS and STS) → fauxqs.
 *
 * Queue URLs are the edge's own (`http://127.0.0.1:4566/000000000000/name`). fauxqs keys its queues
 * by the URL it made; the edge translates in both directions, and accepts any spelling of a queue
 * URL (localhost, 127.0.0.1, LocalStack's sqs.<region>.localhost.localstack.cloud) that ends in
 * /<account>/<name>, as LocalStack does.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import dynalite from 'dynalite';
import { buildApp } from 'fauxqs';

export interface EdgeOptions {
  readonly port: number;
  /** Interface to listen on. */
  readonly host: string;
  readonly region: string;
  /** dynalite's LevelDB directory; in memory when undefined. */
  readonly dynamoDbPath: string | undefined;
}

export interface Edge {
  /** What clients use: http://host:port. */
  readonly endpoint: string;
  readonly port: number;
  /** Sends a request to fauxqs without going through the socket (queue snapshots use it). */
  fauxqs(method: 'GET' | 'POST', url: string, body?: string, headers?: Record<string, string>): Promise<{ status: number; body: string }>;
  /** Stops taking requests, lets those in flight finish (up to `graceMs`), then closes the engines' HTTP side. */
  drain(graceMs: number): Promise<void>;
  /** Closes dynalite's database. Call after drain. */
  close(): Promise<void>;
  /** Requests that are no AWS API call (an HTTP API's routes) go here first; it returns false for those it leaves. */
  serveHttp(handler: (req: IncomingMessage, res: ServerResponse) => boolean): void;
}

const INTERNAL_HOST = 'localhost';
const INTERNAL_URL = /http:\/\/sqs\.([a-z0-9-]+)\.localhost\//g;
const SQS_QUERY_ACTIONS = /^(SendMessage|ReceiveMessage|DeleteMessage|CreateQueue|GetQueueUrl|ListQueues|GetQueueAttributes|SetQueueAttributes|PurgeQueue|DeleteQueue|ChangeMessageVisibility)(Batch)?$/;

export async function startEdge(options: EdgeOptions): Promise<Edge> {
  const dynamo = dynalite({ ...(options.dynamoDbPath ? { path: options.dynamoDbPath } : {}), createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  // dynalite closes its database only from server.close(), which needs a listening server: it
  // listens on a loopback port that nothing uses, and the edge hands it requests directly.
  await listen(dynamo, 0, '127.0.0.1');
  const fauxqs = buildApp({ logger: false, host: 'localhost', defaultRegion: options.region });
  await fauxqs.ready();

  let endpoint = '';
  let draining = false;
  let http: ((req: IncomingMessage, res: ServerResponse) => boolean) | undefined;
  const inflight = new Map<IncomingMessage, { longPoll: boolean }>();
  const settled: Array<() => void> = [];

  const toInternal = (url: string, region: string): string => {
    const match = /\/(\d{12})\/([^/?#]+)\/?$/.exec(url);
    return match ? `http://sqs.${region}.localhost/${match[1]}/${match[2]}` : url;
  };
  const toExternal = (text: string): string => text.replace(INTERNAL_URL, `${endpoint}/`);

  async function toFauxqs(req: IncomingMessage, res: ServerResponse, raw: Buffer): Promise<void> {
    const headers: Record<string, string | string[] | undefined> = { ...req.headers, host: INTERNAL_HOST };
    delete headers['content-length'];
    delete headers['transfer-encoding'];
    const type = String(req.headers['content-type'] ?? '');
    const target = String(req.headers['x-amz-target'] ?? '');
    let payload: Buffer | string = raw;
    if (target.startsWith('AmazonSQS.') && raw.length > 0) {
      const body = JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
      if (typeof body.QueueUrl === 'string') body.QueueUrl = toInternal(body.QueueUrl, regionOf(req) ?? options.region);
      payload = JSON.stringify(body);
    } else if (type.includes('x-www-form-urlencoded')) {
      const action = new URLSearchParams(raw.toString('utf8')).get('Action') ?? '';
      if (SQS_QUERY_ACTIONS.test(action)) {
        send(res, 400, 'text/xml', `<ErrorResponse><Error><Type>Sender</Type><Code>InvalidAction</Code><Message>SQS's query protocol is not supported here (fauxqs speaks SQS's JSON protocol): use AWS SDK v3, aws CLI v2 or botocore 1.31 or newer</Message></Error></ErrorResponse>`);
        return;
      }
    }
    const reply = await fauxqs.inject({ method: req.method as 'GET', url: req.url ?? '/', headers, payload });
    const out: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(reply.headers)) {
      if (v !== undefined && !['content-length', 'transfer-encoding', 'connection', 'keep-alive'].includes(k)) out[k] = Array.isArray(v) ? v : String(v);
    }
    const body = toExternal(reply.body);
    res.writeHead(reply.statusCode, { ...out, 'content-length': Buffer.byteLength(body) });
    res.end(body);
  }

  const server = createServer((req, res) => {
    if (draining) {
      res.setHeader('connection', 'close');
      send(res, 503, 'application/json', JSON.stringify({ __type: 'ServiceUnavailable', message: 'the local cloud is shutting down' }));
      return;
    }
    const target = String(req.headers['x-amz-target'] ?? '');
    inflight.set(req, { longPoll: target === 'AmazonSQS.ReceiveMessage' });
    res.on('close', () => {
      inflight.delete(req);
      if (inflight.size === 0) settled.splice(0).forEach((f) => f());
    });
    if (target.startsWith('DynamoDB_')) {
      dynamo.emit('request', req, res);
      return;
    }
    if (req.method === 'GET' && (req.url === '/health' || req.url === '/_localstack/health')) {
      send(res, 200, 'application/json', JSON.stringify({ services: { dynamodb: 'running', sqs: 'running', sns: 'running', sts: 'running' } }));
      return;
    }
    if (target === '' && http?.(req, res)) return;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      toFauxqs(req, res, Buffer.concat(chunks)).catch((e: Error) => {
        if (!res.headersSent) send(res, 500, 'application/json', JSON.stringify({ __type: 'InternalFailure', message: e.message }));
        else res.destroy(e);
      });
    });
  });
  server.keepAliveTimeout = 5_000;
  await listen(server, options.port, options.host);
  const port = (server.address() as AddressInfo).port;
  endpoint = `http://${options.host === '0.0.0.0' || options.host === '::' ? '127.0.0.1' : options.host}:${port}`;

  return {
    endpoint,
    port,
    async fauxqs(method, url, body, headers) {
      let payload = body;
      if (payload !== undefined && headers?.['x-amz-target']?.startsWith('AmazonSQS.')) {
        const parsed = JSON.parse(payload) as Record<string, unknown>;
        if (typeof parsed.QueueUrl === 'string') parsed.QueueUrl = toInternal(parsed.QueueUrl, options.region);
        payload = JSON.stringify(parsed);
      }
      const reply = await fauxqs.inject({ method, url, headers: { host: INTERNAL_HOST, ...headers }, ...(payload !== undefined ? { payload } : {}) });
      return { status: reply.statusCode, body: toExternal(reply.body) };
    },
    async drain(graceMs) {
      draining = true;
      const closed = new Promise<void>((r) => server.close(() => r()));
      server.closeIdleConnections();
      // Requests that change state (a SendMessage, a PutItem) finish; a long poll is only waiting
      // and is cut, which loses nothing: what it would have received stays in its queue.
      const onlyPolls = (): boolean => [...inflight.values()].every((r) => r.longPoll);
      const deadline = Date.now() + graceMs;
      while (inflight.size > 0 && !onlyPolls() && Date.now() < deadline) {
        await new Promise<void>((r) => { settled.push(r); setTimeout(r, 50); });
      }
      server.closeAllConnections();
      await closed;
    },
    serveHttp(handler) {
      http = handler;
    },
    async close() {
      await fauxqs.close();
      await new Promise<void>((r, j) => dynamo.close((e) => (e ? j(e) : r())));
    },
  };
}

function regionOf(req: IncomingMessage): string | undefined {
  return /Credential=[^/]+\/\d{8}\/([a-z0-9-]+)\//.exec(String(req.headers.authorization ?? ''))?.[1];
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
