/**
 * `dts relay` serves /ping/<key>[/status] as the API does: no relay token, malformed pings
 * refused to their sender, valid ones forwarded as a CheckPing by its producer.
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { HeartbeatResult, ProducerApi } from '../../lib/producer/producer';
import { BeatBuffer } from '../../lib/relay/beat-buffer';
import { createRelayServer } from '../../lib/relay/server';

const KEY = 'abcdefghijklmnopqrstuv';
const sent: Parameters<ProducerApi['ping']>[] = [];
let answer: HeartbeatResult = { ok: true };
let server: Server;
let base = '';

beforeAll(async () => {
  const pings: Pick<ProducerApi, 'ping'> = { ping: async (...args) => { sent.push(args); return answer; } };
  server = createRelayServer({ token: 'relay-token-0123456789', buffer: new BeatBuffer(10, 60_000), pings, stats: () => ({}) });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => new Promise<void>((resolve) => server.close(() => resolve())));
beforeEach(() => {
  sent.length = 0;
  answer = { ok: true };
});

const call = async (path: string, init: RequestInit = {}) => {
  const res = await fetch(`${base}${path}`, init);
  return { status: res.status, text: await res.text() };
};

describe('the relay\'s /ping', () => {
  it('forwards a ping by key with its status and body, without the relay token', async () => {
    expect(await call(`/ping/${KEY}`)).toEqual({ status: 200, text: 'OK\n' });
    expect(await call(`/ping/${KEY}/3`, { method: 'POST', body: 'boom\n' })).toEqual({ status: 200, text: 'OK\n' });
    expect(sent).toEqual([[{ key: KEY }, '', ''], [{ key: KEY }, '3', 'boom\n']]);
  });

  it('refuses a malformed key, a bad status and a body over the limit, forwarding nothing', async () => {
    expect((await call('/ping/short')).status).toBe(404);
    expect((await call('/ping/%2e%2e%2fetc%2fpasswd')).status).toBe(404);
    expect(await call(`/ping/${KEY}/256`)).toEqual({ status: 400, text: 'a ping\'s status is start, fail, success or an exit status 0 to 255; got "256"\n' });
    expect((await call(`/ping/${KEY}/abc`)).status).toBe(400);
    expect((await call(`/ping/${KEY}`, { method: 'POST', body: 'x'.repeat(100 * 1024 + 1) })).status).toBe(413);
    expect(sent).toEqual([]);
  });

  it('says 503 when the queue cannot be reached', async () => {
    answer = { ok: false, error: new Error('ping not sent: connect ECONNREFUSED') };
    expect(await call(`/ping/${KEY}/start`)).toEqual({ status: 503, text: 'ping not sent: connect ECONNREFUSED\n' });
  });
});
