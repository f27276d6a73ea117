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
import { Agent, createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import dynalite from 'dynalite';
import { buildApp } from 'fauxqs';
import { allUnprocessed, awsError } from '../faults/aws-errors';
import { FaultInjector, FaultSpecError, type Call } from '../faults/injector';
import { acceptEveryValidBody, fauxqsStores, type QueueEvent } from './fauxqs-internals';
import { LocalSsm } from '../ssm';

export interface EdgeOptions {
  readonly port: number;
  /** Interface to listen on. */
  readonly host: string;
  readonly region: string;
  /** dynalite's LevelDB directory; in memory when undefined. */
  readonly dynamoDbPath: string | undefined;
  /** The faults to inject; a new, empty injector when undefined. */
  readonly faults?: FaultInjector;
  /** Where SSM parameters (channel secrets) are kept; in memory when undefined. */
  readonly ssmPath?: string | undefined;
  /** Told of every message that enters or leaves a queue; the edge answers only once it is durable. */
  readonly queueLog?: QueueLog;
}

export interface QueueLog {
  /** A message entered or left a queue (synchronously, inside fauxqs). */
  event(e: QueueEvent): void;
  /** A queue was purged or deleted. */
  emptied(queueName: string): void;
  /** Resolves once every message that entered a queue so far is on disk. */
  durable(): Promise<void>;
}

/** A complete answer of an engine, held until the edge decides what the client gets. */
interface Reply {
  readonly status: number;
  readonly headers: Record<string, string | string[]>;
  readonly body: string;
}

export interface Edge {
  /** What clients use: http://host:port. */
  readonly endpoint: string;
  readonly port: number;
  /** The fault injector the edge consults for every AWS call; also driven through /_dts/faults. */
  readonly faults: FaultInjector;
  /** Serves what `provide` returns as JSON at GET `path` (a path under /_dts/, e.g. /_dts/schedules). */
  serveStatus(path: string, provide: () => unknown): void;
  /** Sends a request to fauxqs without going through the socket (queue snapshots use it). */
  fauxqs(method: 'GET' | 'POST', url: string, body?: string, headers?: Record<string, string>): Promise<{ status: number; body: string }>;
  /** Stops taking requests, lets those in flight finish (up to `graceMs`), then closes the engines' HTTP side. */
  drain(graceMs: number): Promise<void>;
  /** Closes dynalite's database. Call after drain. */
  close(): Promise<void>;
  /** Requests that are no AWS API call (an HTTP API's routes) go here first; it returns false for those it leaves. */
  serveHttp(handler: (req: IncomingMessage, res: ServerResponse) => boolean): void;
  /** Lambda's REST API (Invoke), before the HTTP API; it returns false for those it leaves. */
  serveLambda(handler: (req: IncomingMessage, res: ServerResponse) => boolean): void;
  /**
   * Says what the health endpoints report: the stage being provisioned, then that every
   * resource exists. Until `ready`, /health and /_localstack/health answer 503 with every service
   * "initializing", and /_localstack/init/ready {"completed": false}, as LocalStack does while its
   * init scripts run: the engines answer from the start, but a waiter must not go on before the
   * queues and tables are there.
   */
  setReadiness(readiness: { stage: string; ready: boolean }): void;
}

const INTERNAL_HOST = 'localhost';
const INTERNAL_URL = /http:\/\/sqs\.([a-z0-9-]+)\.localhost\//g;
const SNS_VERSION = '2010-03-31';
const HOP_HEADERS = ['content-length', 'transfer-encoding', 'connection', 'keep-alive'];
const SQS_QUERY_ACTIONS = /^(SendMessage|ReceiveMessage|DeleteMessage|CreateQueue|GetQueueUrl|ListQueues|GetQueueAttributes|SetQueueAttributes|PurgeQueue|DeleteQueue|ChangeMessageVisibility)(Batch)?$/;

export async function startEdge(options: EdgeOptions): Promise<Edge> {
  const dynamo = dynalite({ ...(options.dynamoDbPath ? { path: options.dynamoDbPath } : {}), createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  // dynalite closes its database only from server.close(), which needs a listening server: it
  // listens on a loopback port, and the edge hands it requests directly; only a call that a
  // fault rule concerns goes through that port, so that the edge holds the whole answer.
  await listen(dynamo, 0, '127.0.0.1');
  const dynamoPort = (dynamo.address() as AddressInfo).port;
  const dynamoAgent = new Agent({ keepAlive: true });
  const { queueLog } = options;
  const stores = await fauxqsStores(queueLog ? (e) => queueLog.event(e) : undefined);
  await acceptEveryValidBody();
  const fauxqs = buildApp({ logger: false, host: 'localhost', defaultRegion: options.region, stores });
  await fauxqs.ready();
  const faults = options.faults ?? new FaultInjector();
  const statusRoutes = new Map<string, () => unknown>();
  const ssm = await LocalSsm.open(options.ssmPath, options.region);

  let endpoint = '';
  let draining = false;
  let readiness: { stage?: string; ready: boolean } = { ready: false };
  let http: ((req: IncomingMessage, res: ServerResponse) => boolean) | undefined;
  let lambda: ((req: IncomingMessage, res: ServerResponse) => boolean) | undefined;
  const inflight = new Map<IncomingMessage, { longPoll: boolean }>();
  const settled: Array<() => void> = [];

  const toInternal = (url: string, region: string): string => {
    const match = /\/(\d{12})\/([^/?#]+)\/?$/.exec(url);
    return match ? `http://sqs.${region}.localhost/${match[1]}/${match[2]}` : url;
  };
  const toExternal = (text: string): string => text.replace(INTERNAL_URL, `${endpoint}/`);

  /** Reads an SQS, SNS or STS call and prepares its forwarding to fauxqs; or answers it at once. */
  function fauxqsCall(req: IncomingMessage, res: ServerResponse, raw: Buffer): { call?: Call; request: Record<string, unknown>; forward: () => Promise<Reply> } | undefined {
    const headers: Record<string, string | string[] | undefined> = { ...req.headers, host: INTERNAL_HOST };
    delete headers['content-length'];
    delete headers['transfer-encoding'];
    const type = String(req.headers['content-type'] ?? '');
    const target = String(req.headers['x-amz-target'] ?? '');
    let payload: Buffer | string = raw;
    let call: Call | undefined;
    let request: Record<string, unknown> = {};
    if (target.startsWith('AmazonSQS.') && raw.length > 0) {
      request = JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
      const queueUrl = typeof request.QueueUrl === 'string' ? request.QueueUrl : undefined;
      call = { service: 'sqs', operation: target.slice('AmazonSQS.'.length), resources: queueUrl ? [queueUrl.replace(/\/$/, '').split('/').pop() as string] : [], ...caller(req) };
      if (queueUrl) payload = JSON.stringify({ ...request, QueueUrl: toInternal(queueUrl, regionOf(req) ?? options.region) });
    } else if (type.includes('x-www-form-urlencoded')) {
      const params = new URLSearchParams(raw.toString('utf8'));
      const action = params.get('Action') ?? '';
      if (SQS_QUERY_ACTIONS.test(action)) {
        send(res, 400, 'text/xml', `<ErrorResponse><Error><Type>Sender</Type><Code>InvalidAction</Code><Message>SQS's query protocol is not supported here (fauxqs speaks SQS's JSON protocol): use AWS SDK v3, aws CLI v2 or botocore 1.31 or newer</Message></Error></ErrorResponse>`);
        return undefined;
      }
      if (params.get('Version') === SNS_VERSION) {
        const arn = params.get('TopicArn') ?? params.get('TargetArn') ?? '';
        call = { service: 'sns', operation: action, resources: arn ? [arn.split(':').pop() as string] : [], ...caller(req) };
      }
    }
    const forward = async (): Promise<Reply> => {
      const reply = await fauxqs.inject({ method: req.method as 'GET', url: req.url ?? '/', headers, payload });
      if (queueLog) {
        const emptied = call?.service === 'sqs' && (call.operation === 'PurgeQueue' || call.operation === 'DeleteQueue') && reply.statusCode === 200;
        const queue = call?.resources[0];
        if (emptied && queue) queueLog.emptied(queue);
        // A message that entered a queue during this call is on disk before the caller hears of it.
        await queueLog.durable();
      }
      const out: Record<string, string | string[]> = {};
      for (const [k, v] of Object.entries(reply.headers)) {
        if (v !== undefined && !HOP_HEADERS.includes(k)) out[k] = Array.isArray(v) ? v : String(v);
      }
      return { status: reply.statusCode, headers: out, body: toExternal(reply.body) };
    };
    return { ...(call ? { call } : {}), request, forward };
  }

  /** Sends a DynamoDB call to dynalite through its loopback port and returns the whole answer. */
  function dynaliteReply(req: IncomingMessage, raw: Buffer): Promise<Reply> {
    return new Promise((resolve, reject) => {
      const forwarded = httpRequest({ host: '127.0.0.1', port: dynamoPort, method: req.method, path: req.url, headers: req.headers, agent: dynamoAgent }, (reply) => {
        const chunks: Buffer[] = [];
        reply.on('data', (c: Buffer) => chunks.push(c));
        reply.on('error', reject);
        reply.on('end', () => {
          const headers: Record<string, string | string[]> = {};
          for (const [k, v] of Object.entries(reply.headers)) if (v !== undefined && !HOP_HEADERS.includes(k)) headers[k] = v;
          resolve({ status: reply.statusCode ?? 500, headers, body: Buffer.concat(chunks).toString('utf8') });
        });
      });
      forwarded.on('error', reject);
      forwarded.end(raw);
    });
  }

  /** Serves one AWS call under the fault rules: latency, an error, a reset, or a worker's death. */
  async function serveWithFaults(req: IncomingMessage, res: ServerResponse, call: Call, request: () => Record<string, unknown>, forward: () => Promise<Reply>): Promise<void> {
    const { delayMs, fault } = faults.decide(call);
    if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
    if (!fault) return reply(res, await forward());
    const reason = `fault ${fault.id}: ${fault.action.kind} on ${call.service}:${call.operation}${call.resources.length > 0 ? ` ${call.resources.join(',')}` : ''}`;
    switch (fault.action.kind) {
      case 'throttle':
      case '5xx':
        return reply(res, awsError(call.service, fault.action.kind));
      case 'unprocessed':
        return reply(res, allUnprocessed(call.service, call.operation, request()) ?? await forward());
      case 'unavailable':
        // Nothing reached the engine; the client sees its connection reset.
        req.socket.destroy();
        return;
      case 'kill-before':
        await faults.kill(call.accessKeyId, reason);
        res.destroy();
        return;
      case 'kill-after':
        // The call takes effect (a write commits), and its worker dies before it sees the answer.
        await forward();
        await faults.kill(call.accessKeyId, reason);
        res.destroy();
        return;
    }
  }

  /** The control endpoint: GET, POST (add), PUT (replace) and DELETE /_dts/faults; DELETE /_dts/faults/<id>. */
  function control(req: IncomingMessage, res: ServerResponse, raw: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://edge');
    const one = /^\/_dts\/faults\/([\w-]+)$/.exec(url.pathname);
    const json = (status: number, body: unknown): void => send(res, status, 'application/json', JSON.stringify(body));
    try {
      if (url.pathname === '/_dts/faults') {
        switch (req.method) {
          case 'GET': return json(200, { rules: faults.list() });
          case 'POST': return json(201, { added: faults.add(raw.toString('utf8')), rules: faults.list() });
          case 'PUT': return json(200, { rules: faults.replace(raw.toString('utf8')) });
          case 'DELETE': faults.clear(); return json(200, { rules: [] });
        }
      } else if (req.method === 'GET' && statusRoutes.has(url.pathname)) {
        return json(200, (statusRoutes.get(url.pathname) as () => unknown)());
      } else if (one && req.method === 'DELETE') {
        return faults.remove(one[1] as string) ? json(200, { rules: faults.list() }) : json(404, { message: `no fault rule ${one[1]}` });
      }
      json(404, { message: `no ${req.method} ${url.pathname} here; see docs/LOCAL.md, "Fault injection"` });
    } catch (e) {
      if (e instanceof FaultSpecError) json(400, { message: e.message });
      else throw e;
    }
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
    const failed = (e: Error): void => {
      if (!res.headersSent) send(res, 500, 'application/json', JSON.stringify({ __type: 'InternalFailure', message: e.message }));
      else res.destroy(e);
    };
    if (target.startsWith('DynamoDB_')) {
      if (!faults.concerns('dynamodb')) {
        dynamo.emit('request', req, res);
        return;
      }
      void readBody(req).then((raw) => {
        const request = (): Record<string, unknown> => parseJson(raw);
        const body = request();
        const tables = typeof body.TableName === 'string' ? [body.TableName] : Object.keys((body.RequestItems as object | undefined) ?? {});
        const call: Call = { service: 'dynamodb', operation: target.slice(target.indexOf('.') + 1), resources: tables, ...caller(req) };
        return serveWithFaults(req, res, call, request, () => dynaliteReply(req, raw));
      }).catch(failed);
      return;
    }
    if (target.startsWith('AmazonSSM.')) {
      ssm.handle(req, res);
      return;
    }
    if (req.method === 'GET' && (req.url === '/health' || req.url === '/_localstack/health')) {
      const state = readiness.ready ? 'running' : 'initializing';
      const services = { dynamodb: state, sqs: state, sns: state, sts: state, ssm: state, lambda: state };
      send(res, readiness.ready ? 200 : 503, 'application/json', JSON.stringify({ services, dts: readiness }));
      return;
    }
    if (req.method === 'GET' && req.url === '/_localstack/init/ready') {
      send(res, 200, 'application/json', JSON.stringify({ completed: readiness.ready, scripts: [] }));
      return;
    }
    if (target === '' && lambda?.(req, res)) return;
    if (target === '' && http?.(req, res)) return;
    void readBody(req).then(async (raw) => {
      if (req.url?.startsWith('/_dts/')) return control(req, res, raw);
      const prepared = fauxqsCall(req, res, raw);
      if (!prepared) return;
      const { call, request, forward } = prepared;
      if (call && faults.concerns(call.service)) return serveWithFaults(req, res, call, () => request, forward);
      return reply(res, await forward());
    }).catch(failed);
  });
  server.keepAliveTimeout = 5_000;
  await listen(server, options.port, options.host);
  const port = (server.address() as AddressInfo).port;
  endpoint = `http://${options.host === '0.0.0.0' || options.host === '::' ? '127.0.0.1' : options.host}:${port}`;

  return {
    endpoint,
    port,
    faults,
    serveStatus(path, provide) {
      if (!path.startsWith('/_dts/')) throw new Error(`status paths are under /_dts/, not ${path}`);
      statusRoutes.set(path, provide);
    },
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
    serveLambda(handler) {
      lambda = handler;
    },
    setReadiness(r) {
      readiness = { ...r };
    },
    async close() {
      await fauxqs.close();
      dynamoAgent.destroy();
      await new Promise<void>((r, j) => dynamo.close((e) => (e ? j(e) : r())));
    },
  };
}

/** The access key id a call was signed with: the local Lambda runtime gives each worker its own. */
function caller(req: IncomingMessage): { accessKeyId?: string } {
  const key = /Credential=([^/,\s]+)\//.exec(String(req.headers.authorization ?? ''))?.[1];
  return key ? { accessKeyId: key } : {};
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function parseJson(raw: Buffer): Record<string, unknown> {
  try {
    const parsed = JSON.parse(raw.toString('utf8')) as unknown;
    return parsed !== null && typeof parsed === 'object' ? parsed as Record<string, unknown> : {};
  } catch {
    return {};
  }
}

function reply(res: ServerResponse, r: { status: number; headers: Record<string, string | string[]>; body: string }): void {
  res.writeHead(r.status, { ...r.headers, 'content-length': Buffer.byteLength(r.body) });
  res.end(r.body);
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
