/**
 * API Gateway HTTP APIs, locally: the routes of the packaged template's AWS::ApiGatewayV2
 * resources, served at the edge port, each request handed to its Lambda integration as the
 * payload format version 2.0 event, and the function's answer turned back into HTTP as API
 * Gateway turns it (docs/LOCAL.md). Only Lambda proxy integrations are emulated; authorizers,
 * throttling and custom domains are not.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ACCOUNT_ID } from './template/intrinsics';
import type { CloudFormationTemplate, LocalPlan } from './template/plan';

export interface HttpRoutePlan {
  readonly routeKey: string;
  /** Upper case, or ANY. */
  readonly method: string;
  readonly path: string;
  readonly functionName: string;
  readonly payloadFormatVersion: string;
}

export interface HttpApiPlan {
  readonly apiId: string;
  readonly routes: readonly HttpRoutePlan[];
  /** The template's logical ids of the API's resources: the local cloud emulates them. */
  readonly logicalIds: ReadonlySet<string>;
}

type Resource = { Type: string; Properties?: Record<string, unknown> };

/** Read the HTTP API (if any) from the template; integrations are matched to planned functions by logical id. */
export function planHttpApi(template: CloudFormationTemplate, plan: LocalPlan): HttpApiPlan | undefined {
  const resources = Object.entries(template.Resources) as [string, Resource][];
  const api = resources.find(([, r]) => r.Type === 'AWS::ApiGatewayV2::Api');
  if (!api) return undefined;
  const logicalIds = new Set(resources.filter(([, r]) => r.Type.startsWith('AWS::ApiGatewayV2::')).map(([id]) => id));
  const integrations = new Map<string, { functionName: string; version: string }>();
  for (const [id, r] of resources) {
    if (r.Type !== 'AWS::ApiGatewayV2::Integration') continue;
    const uri = r.Properties?.IntegrationUri as { 'Fn::GetAtt'?: [string, string] } | undefined;
    const fn = plan.functions.find((f) => f.logicalId === uri?.['Fn::GetAtt']?.[0]);
    if (fn) integrations.set(id, { functionName: fn.name, version: String(r.Properties?.PayloadFormatVersion ?? '2.0') });
  }
  const routes: HttpRoutePlan[] = [];
  for (const [, r] of resources) {
    if (r.Type !== 'AWS::ApiGatewayV2::Route') continue;
    const routeKey = String(r.Properties?.RouteKey);
    const target = JSON.stringify(r.Properties?.Target ?? '');
    const integration = [...integrations].find(([id]) => target.includes(`"${id}"`))?.[1];
    if (!integration) continue;
    const [method, path] = routeKey === '$default' ? ['ANY', '/{proxy+}'] : routeKey.split(' ');
    routes.push({ routeKey, method: (method as string).toUpperCase(), path: path as string, functionName: integration.functionName, payloadFormatVersion: integration.version });
  }
  return { apiId: `local${api[0].toLowerCase()}`.slice(0, 10), routes, logicalIds };
}

/** The route a request takes: exact paths before parameters, parameters before greedy ones, a method before ANY. */
export function matchRoute(routes: readonly HttpRoutePlan[], method: string, path: string): { route: HttpRoutePlan; params: Record<string, string> } | undefined {
  const segments = path.split('/').slice(1);
  let best: { route: HttpRoutePlan; params: Record<string, string>; score: number } | undefined;
  for (const route of routes) {
    if (route.method !== 'ANY' && route.method !== method) continue;
    const parts = route.path.split('/').slice(1);
    const params: Record<string, string> = {};
    let score = route.method === 'ANY' ? 0 : 1;
    let ok = true;
    for (let i = 0; i < parts.length && ok; i++) {
      const part = parts[i] as string;
      const seg = segments[i];
      const greedy = /^\{(\w+)\+\}$/.exec(part);
      if (greedy) {
        if (i !== parts.length - 1 || seg === undefined || seg === '') ok = false;
        else params[greedy[1] as string] = decodeURIComponent(segments.slice(i).join('/'));
        score += 10;
        break;
      }
      if (seg === undefined) ok = false;
      else if (/^\{\w+\}$/.test(part)) {
        if (seg === '') ok = false;
        else params[part.slice(1, -1)] = decodeURIComponent(seg);
        score += 100;
      } else if (part === seg) score += 1000;
      else ok = false;
    }
    const greedyRoute = /\+\}$/.test(route.path);
    if (ok && !greedyRoute && parts.length !== segments.length) ok = false;
    if (ok && (!best || score > best.score)) best = { route, params, score };
  }
  return best;
}

export interface HttpApiGatewayOptions {
  readonly region: string;
  readonly invoke: (functionName: string, event: unknown) => Promise<unknown>;
  readonly log: (line: string) => void;
}

/** API Gateway's HTTP API payload quota (10 MB): a larger body is refused, not held in memory. */
export const MAX_PAYLOAD_BYTES = 10 * 1024 * 1024;

/** Serves an HTTP API's routes; `handle` answers the requests it has a route for. */
export class HttpApiGateway {
  constructor(
    readonly plan: HttpApiPlan,
    private readonly options: HttpApiGatewayOptions,
  ) {}

  /** True when the request is the API's (it is then answered); false leaves it to the AWS engines. */
  handle(req: IncomingMessage, res: ServerResponse): boolean {
    const url = new URL(req.url ?? '/', 'http://local');
    // SNS and STS speak the query protocol: a form POST to /. Never an HTTP API route here.
    if (req.method === 'POST' && url.pathname === '/' && String(req.headers['content-type'] ?? '').includes('x-www-form-urlencoded')) return false;
    let matched: ReturnType<typeof matchRoute>;
    try {
      matched = matchRoute(this.plan.routes, req.method ?? 'GET', url.pathname);
    } catch (e) {
      // A path parameter that is not valid percent-encoding (`/api/v1/hosts/%E0%A4%A`): the
      // request's fault, answered as API Gateway does, never an exception that stops the cloud.
      if (!(e instanceof URIError)) throw e;
      send(res, 400, { 'content-type': 'application/json' }, JSON.stringify({ message: 'Bad Request' }));
      return true;
    }
    if (!matched) {
      if (!url.pathname.startsWith('/api/')) return false;
      send(res, 404, { 'content-type': 'application/json' }, JSON.stringify({ message: 'Not Found' }));
      return true;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_PAYLOAD_BYTES) chunks.push(c);
    });
    req.on('end', () => {
      if (size > MAX_PAYLOAD_BYTES) {
        send(res, 413, { 'content-type': 'application/json' }, JSON.stringify({ message: 'Request Entity Too Large' }));
        return;
      }
      this.invoke(req, url, matched, Buffer.concat(chunks)).then(
        ({ status, headers, body }) => send(res, status, headers, body),
        (e: Error) => {
          this.options.log(`! ${matched.route.routeKey}: ${e.message}`);
          const timedOut = /timed out/i.test(e.message);
          send(res, timedOut ? 503 : 500, { 'content-type': 'application/json' }, JSON.stringify({ message: timedOut ? 'Service Unavailable' : 'Internal Server Error' }));
        },
      );
    });
    return true;
  }

  private async invoke(req: IncomingMessage, url: URL, matched: { route: HttpRoutePlan; params: Record<string, string> }, raw: Buffer) {
    const event = toEvent(req, url, matched, raw, this.plan.apiId);
    const result = await this.options.invoke(matched.route.functionName, event);
    return fromResult(result);
  }
}

/** The payload format version 2.0 event, as API Gateway builds it. */
export function toEvent(req: IncomingMessage, url: URL, matched: { route: HttpRoutePlan; params: Record<string, string> }, raw: Buffer, apiId: string): Record<string, unknown> {
  const headers: Record<string, string> = {};
  let cookies: string[] | undefined;
  for (const [k, v] of Object.entries(req.headers)) {
    if (v === undefined) continue;
    if (k === 'cookie') cookies = (Array.isArray(v) ? v.join('; ') : v).split(/;\s*/).filter(Boolean);
    else headers[k] = Array.isArray(v) ? v.join(',') : v;
  }
  const query: Record<string, string> = {};
  for (const [k, v] of url.searchParams) query[k] = query[k] === undefined ? v : `${query[k]},${v}`;
  const type = headers['content-type'] ?? '';
  const textual = raw.length === 0 || /^(text\/|application\/(json|x-www-form-urlencoded|xml|javascript))|\+json|\+xml/.test(type);
  const now = new Date();
  const host = headers.host ?? 'localhost';
  return {
    version: '2.0',
    routeKey: matched.route.routeKey,
    rawPath: url.pathname,
    rawQueryString: url.search.replace(/^\?/, ''),
    ...(cookies ? { cookies } : {}),
    headers,
    ...(Object.keys(query).length ? { queryStringParameters: query } : {}),
    requestContext: {
      accountId: ACCOUNT_ID,
      apiId,
      domainName: host,
      domainPrefix: host.split('.')[0],
      http: { method: req.method ?? 'GET', path: url.pathname, protocol: `HTTP/${req.httpVersion}`, sourceIp: req.socket.remoteAddress ?? '127.0.0.1', userAgent: headers['user-agent'] ?? '' },
      requestId: randomUUID(),
      routeKey: matched.route.routeKey,
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    ...(Object.keys(matched.params).length ? { pathParameters: matched.params } : {}),
    ...(raw.length ? { body: textual ? raw.toString('utf8') : raw.toString('base64') } : {}),
    isBase64Encoded: raw.length > 0 && !textual,
  };
}

/** API Gateway's reading of a 2.0 response: a structured one, or any other value as a 200 JSON body. */
export function fromResult(result: unknown): { status: number; headers: Record<string, string | string[]>; body: Buffer } {
  const r = result as { statusCode?: unknown; headers?: Record<string, string>; cookies?: string[]; body?: unknown; isBase64Encoded?: boolean } | undefined;
  if (!r || typeof r !== 'object' || typeof r.statusCode !== 'number') {
    return { status: 200, headers: { 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify(result ?? null)) };
  }
  const headers: Record<string, string | string[]> = { ...(r.headers ?? {}) };
  if (r.cookies?.length) headers['set-cookie'] = r.cookies;
  const text = typeof r.body === 'string' ? r.body : r.body === undefined ? '' : JSON.stringify(r.body);
  return { status: r.statusCode, headers, body: r.isBase64Encoded ? Buffer.from(text, 'base64') : Buffer.from(text) };
}

function send(res: ServerResponse, status: number, headers: Record<string, string | string[]>, body: string | Buffer): void {
  const out = Object.fromEntries(Object.entries(headers).filter(([k]) => !['content-length', 'transfer-encoding', 'connection'].includes(k.toLowerCase())));
  res.writeHead(status, { ...out, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}
