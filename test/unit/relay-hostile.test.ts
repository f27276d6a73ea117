/**
 * The relay against hostile senders: a flood of host names must not grow its memory through the
 * drop counters, and a refused log record is explained to its sender.
 */
import type { AddressInfo } from 'node:net';
import { SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProducer, type Producer } from '../../lib/producer/producer';
import { BeatBuffer, MAX_DROP_HOSTS } from '../../lib/relay/beat-buffer';
import { createRelayServer } from '../../lib/relay/server';
import type { Server } from 'node:http';
import { connect } from 'node:net';

describe('BeatBuffer under a flood of names', () => {
  it('refuses new names once full, evicting no host that has a beat waiting, and counts every refusal', () => {
    const b = new BeatBuffer(10, 60_000);
    const names = 5000;
    const accepted = Array.from({ length: names }, (_, i) => b.push({ hostname: `flood-${i}`, receivedAt: i, beat: { hostname: `flood-${i}`, interval: 60 } }));
    expect(accepted.filter(Boolean)).toHaveLength(10);
    expect(b.size).toBe(10);
    expect(b.dropped).toMatchObject({ shed: 0, refused: names - 10 });
    expect(b.dropped.byHost.size).toBe(0);
    expect(MAX_DROP_HOSTS).toBe(1000);
    // A host already waiting may still beat: its older beat makes the room.
    expect(b.push({ hostname: 'flood-0', receivedAt: names, beat: { hostname: 'flood-0', interval: 60 } })).toBe(true);
    expect(b.take().filter((x) => x.hostname === 'flood-0').map((x) => x.receivedAt)).toEqual([names]);
  });
});

describe('POST /log with refused records', () => {
  const token = 'probe-token-0123456789';
  let server: Server;
  let base = '';
  let logs: Producer;
  let sqs: SQSClient;

  beforeAll(async () => {
    // Nothing is sent in this test: valid records wait in the producer (a long linger), refused ones never enter it.
    sqs = new SQSClient({ region: 'us-east-1', endpoint: 'http://127.0.0.1:9', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
    logs = createProducer({ sqs, logsQueueUrl: 'http://127.0.0.1:9/000000000000/logs', lingerMs: 600_000, flushOnExit: false, onError: () => {} });
    server = createRelayServer({ token, buffer: new BeatBuffer(100, 60_000), logs, stats: () => ({}) });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await logs.close({ timeoutMs: 10 });
    sqs.destroy();
  });

  const post = async (path: string, body: string) => {
    const res = await fetch(`${base}${path}`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body });
    return { status: res.status, json: await res.json() as Record<string, unknown> };
  };

  it('names the field at fault for each refused record, and keeps the good ones', async () => {
    expect(await post('/log?app=backup&level=bogus', 'one\ntwo')).toEqual({
      status: 400, json: { accepted: 0, rejected: 2, errors: ['records[0].level: unknown level "bogus"', 'records[1].level: unknown level "bogus"'] },
    });
    const batch = JSON.stringify({ records: [{ app: 'a', text: 'fine' }, { text: 'no app' }, { app: 'x'.repeat(200), text: 'long app' }] });
    expect(await post('/log', batch)).toEqual({
      status: 400,
      json: { accepted: 1, rejected: 2, errors: ['records[1].app: missing: pass it to log() or set the producer\'s app', 'records[2].app: at most 128 characters'] },
    });
    expect(await post('/log?app=backup', 'all good')).toEqual({ status: 202, json: { accepted: 1, rejected: 0 } });
  });
});

describe('a sender that trickles its request', () => {
  it('is cut off when the request has not arrived whole in time', async () => {
    const token = 'probe-token-0123456789';
    const server = createRelayServer({ token, buffer: new BeatBuffer(100, 60_000), stats: () => ({}), requestTimeoutMs: 300 });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const port = (server.address() as AddressInfo).port;
      const started = Date.now();
      const answer = await new Promise<string>((resolve) => {
        const s = connect(port, '127.0.0.1', () => s.write(`POST /beat HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nContent-Length: 1000\r\n\r\n{"host`));
        let got = '';
        s.on('data', (d) => void (got += String(d)));
        s.on('close', () => resolve(got));
        s.on('error', () => undefined);
      });
      expect(answer).toMatch(/^HTTP\/1\.1 408/);
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
