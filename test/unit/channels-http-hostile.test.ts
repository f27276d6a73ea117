/**
 * A channel's receiver that misbehaves: it redirects, answers with a huge body, or echoes the
 * request (and so the channel's secret) in its error. Against a real local HTTP server.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendWithRetry, type SendOptions } from '../../lib/adapters/http/send';

const HUGE = 64 * 1024 * 1024;
let server: Server;
let base = '';
const written: Record<string, number> = {};
let followed = 0;

beforeAll(async () => {
  server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const path = req.url ?? '/';
      if (path.startsWith('/silent')) return;
      if (path.startsWith('/elsewhere')) {
        followed++;
        res.writeHead(200).end('ok');
      } else if (path.startsWith('/redirect')) {
        res.writeHead(302, { location: `${base}/elsewhere` }).end();
      } else if (path.startsWith('/echo')) {
        res.writeHead(400).end(`no such hook: ${req.method} ${path} with ${req.headers.authorization ?? ''}`);
      } else {
        // A body far larger than an error message, sent as fast as the client takes it.
        const status = path.startsWith('/huge-ok') ? 200 : 404;
        res.writeHead(status, { 'content-type': 'text/plain' });
        const chunk = Buffer.alloc(64 * 1024, 'x');
        let sent = 0;
        const pump = (): void => {
          while (sent < HUGE) {
            sent += chunk.length;
            written[path] = sent;
            if (!res.write(chunk)) return void res.once('drain', pump);
          }
          res.end();
        };
        pump();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const fast: SendOptions = { attempts: 3, baseDelayMs: 1, maxWaitMs: 1000, timeoutMs: 5000, sleep: async () => {} };
const post = (path: string, headers: Record<string, string> = {}) => ({ url: `${base}${path}`, headers: { 'content-type': 'application/json', ...headers }, body: '{"text":"hi"}' });

// fetch, and the notifier's own transport (checked-fetch.ts), which the URL policy selects.
describe.each([['fetch', fast], ['the checked transport', { ...fast, urlPolicy: { allowLoopback: true } }]] as const)('a misbehaving receiver, by %s', (_transport, fast) => {
  it('does not follow a redirect, says so, and does not retry it', async () => {
    const result = await sendWithRetry(post('/redirect/T000/SECRETPATH123'), fast);
    expect(result).toMatchObject({ ok: false, status: 302, retryable: false, attempts: 1 });
    expect(result.error).toBe('HTTP 302: a redirect, not followed: give the channel its final URL');
    expect(followed).toBe(0);
  });

  it('reads only the start of a huge error body, and none of a huge success body', async () => {
    const refused = await sendWithRetry(post('/huge-404'), fast);
    expect(refused).toMatchObject({ ok: false, status: 404, retryable: false });
    expect(refused.error).toBe(`HTTP 404: ${'x'.repeat(200)}`);
    const accepted = await sendWithRetry(post('/huge-ok'), fast);
    expect(accepted).toMatchObject({ ok: true, status: 200 });
    // What the server got written before the client hung up: socket buffers, not 64 MiB.
    await new Promise((r) => setTimeout(r, 200));
    expect(written['/huge-404']).toBeLessThan(HUGE / 4);
    expect(written['/huge-ok']).toBeLessThan(HUGE / 4);
  });

  it('gives up on a receiver that never answers, as a timeout worth another try', async () => {
    const result = await sendWithRetry(post('/silent'), { ...fast, attempts: 1, timeoutMs: 200 });
    expect(result).toMatchObject({ ok: false, attempts: 1, retryable: true, error: 'timed out' });
  });

  it('says a connection was refused, as worth another try', async () => {
    // A port that was free a moment ago (and is not one fetch refuses, such as 9).
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const result = await sendWithRetry({ ...post('/x'), url: `http://127.0.0.1:${port}/hook` }, { ...fast, attempts: 1 });
    expect(result).toMatchObject({ ok: false, attempts: 1, retryable: true, error: 'connection failed: ECONNREFUSED' });
  });

  it('keeps the channel\'s secret out of an error that echoes the request', async () => {
    const result = await sendWithRetry(post('/echo/services/T000/B000/SECRETPATH123?token=SECRETQUERY456', { authorization: 'GenieKey SECRETKEY789abc' }), fast);
    expect(result).toMatchObject({ ok: false, status: 400, retryable: false });
    expect(result.error).toMatch(/^HTTP 400: no such hook: POST /);
    for (const secret of ['SECRETPATH123', 'SECRETQUERY456', 'SECRETKEY789abc']) expect(result.error).not.toContain(secret);
  });
});

describe('a port fetch refuses', () => {

  it('names a port that fetch will not connect to, instead of "request failed: TypeError", and does not retry it', async () => {
    const result = await sendWithRetry({ ...post('/x'), url: 'http://127.0.0.1:10080/hook/SECRETPORT' }, fast);
    expect(result).toMatchObject({ ok: false, attempts: 1, retryable: false, error: 'request refused: fetch does not connect to this port; give the receiver another one' });
  });
});
