import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { fromResult, matchRoute, toEvent, type HttpRoutePlan } from '../../tools/local/http-api';

const route = (routeKey: string): HttpRoutePlan => {
  const [method, path] = routeKey.split(' ') as [string, string];
  return { routeKey, method, path, functionName: 'fn', payloadFormatVersion: '2.0' };
};
const ROUTES = [route('GET /'), route('GET /assets/{file}'), route('ANY /api/{proxy+}'), route('GET /api/v1/hosts')];

describe('HTTP API routing, as API Gateway picks', () => {
  it('prefers the exact path, then a parameter, then a greedy path, and a method over ANY', () => {
    expect(matchRoute(ROUTES, 'GET', '/')?.route.routeKey).toBe('GET /');
    expect(matchRoute(ROUTES, 'GET', '/assets/app.js')).toMatchObject({ route: { routeKey: 'GET /assets/{file}' }, params: { file: 'app.js' } });
    expect(matchRoute(ROUTES, 'GET', '/api/v1/hosts')?.route.routeKey).toBe('GET /api/v1/hosts');
    expect(matchRoute(ROUTES, 'DELETE', '/api/v1/silences/abc')).toMatchObject({ route: { routeKey: 'ANY /api/{proxy+}' }, params: { proxy: 'v1/silences/abc' } });
    expect(matchRoute(ROUTES, 'POST', '/')).toBeUndefined();
    expect(matchRoute(ROUTES, 'GET', '/assets/a/b')).toBeUndefined();
    expect(matchRoute(ROUTES, 'GET', '/api')).toBeUndefined();
  });
});

describe('the payload format version 2.0 event', () => {
  const req = {
    method: 'POST', httpVersion: '1.1', socket: { remoteAddress: '127.0.0.1' },
    headers: { host: '127.0.0.1:4566', 'content-type': 'application/json', cookie: 'a=1; b=2', 'x-many': ['1', '2'] },
  } as unknown as IncomingMessage;

  it('carries the route, the raw path and query, headers, cookies, and a text body as text', () => {
    const url = new URL('http://x/api/v1/silences?x=1&x=2&y=3');
    const e = toEvent(req, url, { route: route('ANY /api/{proxy+}'), params: { proxy: 'v1/silences' } }, Buffer.from('{"a":1}'), 'api1') as Record<string, unknown>;
    expect(e).toMatchObject({
      version: '2.0', routeKey: 'ANY /api/{proxy+}', rawPath: '/api/v1/silences', rawQueryString: 'x=1&x=2&y=3',
      cookies: ['a=1', 'b=2'], queryStringParameters: { x: '1,2', y: '3' }, pathParameters: { proxy: 'v1/silences' },
      body: '{"a":1}', isBase64Encoded: false,
      requestContext: { apiId: 'api1', domainName: '127.0.0.1:4566', stage: '$default', http: { method: 'POST', path: '/api/v1/silences' } },
    });
    expect((e.headers as Record<string, string>)['x-many']).toBe('1,2');
    expect((e.headers as Record<string, string>).cookie).toBeUndefined();
  });

  it('sends a binary body as base64', () => {
    const binary = { ...req, headers: { host: 'h', 'content-type': 'application/octet-stream' } } as unknown as IncomingMessage;
    const e = toEvent(binary, new URL('http://x/api/v1/x'), { route: route('ANY /api/{proxy+}'), params: {} }, Buffer.from([0, 255]), 'a');
    expect(e).toMatchObject({ body: 'AP8=', isBase64Encoded: true });
  });

  it('reads the function\'s answer as API Gateway does', () => {
    expect(fromResult({ statusCode: 201, headers: { 'content-type': 'text/plain' }, cookies: ['s=1'], body: 'made' })).toEqual({
      status: 201, headers: { 'content-type': 'text/plain', 'set-cookie': ['s=1'] }, body: Buffer.from('made'),
    });
    expect(fromResult({ statusCode: 200, body: 'AP8=', isBase64Encoded: true }).body).toEqual(Buffer.from([0, 255]));
    expect(fromResult({ ok: true })).toEqual({ status: 200, headers: { 'content-type': 'application/json' }, body: Buffer.from('{"ok":true}') });
  });
});
