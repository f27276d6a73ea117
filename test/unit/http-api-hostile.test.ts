/**
 * The local HTTP API in front of a real node:http server: a malformed path or a huge body is the
 * request's fault, answered with a status; it must not stop the server (the whole local cloud).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpApiGateway, MAX_PAYLOAD_BYTES, type HttpRoutePlan } from '../../tools/local/http-api';

const routes: HttpRoutePlan[] = [
  { routeKey: 'GET /api/v1/hosts/{hostname}', method: 'GET', path: '/api/v1/hosts/{hostname}', functionName: 'api', payloadFormatVersion: '2.0' },
  { routeKey: 'ANY /api/{proxy+}', method: 'ANY', path: '/api/{proxy+}', functionName: 'api', payloadFormatVersion: '2.0' },
];
const invoked: { body?: string; length: number }[] = [];
let server: Server;
let base = '';

beforeAll(async () => {
  const gateway = new HttpApiGateway({ apiId: 'api1', routes, logicalIds: new Set() }, {
    region: 'us-east-1',
    log: () => {},
    invoke: async (_fn, event) => {
      const body = (event as { body?: string }).body;
      invoked.push({ length: body?.length ?? 0 });
      return { statusCode: 200, body: 'ok' };
    },
  });
  server = createServer((req, res) => {
    if (!gateway.handle(req, res)) res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe('the local HTTP API under bad requests', () => {
  it('answers 400 to a path parameter that is not valid percent-encoding, and keeps serving', async () => {
    for (const path of ['/api/v1/hosts/%E0%A4%A', '/api/%', '/api/v1/x%zz']) {
      const res = await fetch(`${base}${path}`);
      expect([path, res.status]).toEqual([path, 400]);
    }
    expect((await fetch(`${base}/api/v1/hosts/web-1`)).status).toBe(200);
  });

  it('refuses a body over API Gateway\'s 10 MB with 413, without invoking the function', async () => {
    invoked.length = 0;
    const res = await fetch(`${base}/api/v1/silences`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: 'x'.repeat(MAX_PAYLOAD_BYTES + 1) });
    expect(res.status).toBe(413);
    expect(invoked).toEqual([]);
    const fits = await fetch(`${base}/api/v1/silences`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(fits.status).toBe(200);
    expect(invoked).toEqual([{ length: 2 }]);
  });
});
