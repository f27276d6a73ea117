/**
 * Issue 20, findings 2 and 3: a relay speaks only for the hosts it is told, passes no goodbye
 * unless told, sheds fairly (a flood of new names never evicts a host's waiting beat, and never
 * the relay's own), and counts its cap in bytes as well as beats. Against a real node:http server.
 */
import { request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { relayHostPatterns } from '../../lib/cli/commands/relay';
import { parseByteSize } from '../../lib/cli/time';
import { BeatBuffer, ENTRY_BYTES } from '../../lib/relay/beat-buffer';
import { hostPolicy, parseHostPatterns } from '../../lib/relay/host-policy';
import { createRelayServer, MAX_BEAT_BODY, type RelayServerOptions } from '../../lib/relay/server';
import { dts } from '../../lib/wire/generated/dts.js';

const token = 'identity-token-0123456789';
let server: Server | undefined;

async function relay(o: Partial<RelayServerOptions> & { buffer: BeatBuffer }): Promise<string> {
  server = createRelayServer({ token, stats: () => ({}), ...o });
  await new Promise<void>((r) => server?.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}
afterEach(async () => {
  const s = server;
  server = undefined;
  if (!s) return;
  s.closeAllConnections();
  await new Promise((r) => s.close(r));
});

async function beat(base: string, body: unknown): Promise<{ status: number; error?: string }> {
  const res = await fetch(`${base}/beat`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: JSON.stringify(body) });
  const json = (await res.json()) as { error?: string };
  return { status: res.status, ...(json.error ? { error: json.error } : {}) };
}

describe('the hosts a relay speaks for', () => {
  it('refuses a beat for any other host with 403 and the reason', async () => {
    const buffer = new BeatBuffer(100, 60_000);
    const base = await relay({ buffer, hosts: hostPolicy(parseHostPatterns('web-*,db-?')) });
    expect(await beat(base, { hostname: 'web-17', interval: 60 })).toEqual({ status: 202 });
    expect(await beat(base, { hostname: 'db-1', interval: 60 })).toEqual({ status: 202 });
    for (const hostname of ['victim-db-1', 'db-12', 'WEB-1', 'xweb-1']) {
      expect(await beat(base, { hostname, interval: 60 })).toEqual({ status: 403, error: `this relay does not speak for host ${JSON.stringify(hostname)}: its --hosts do not name it` });
    }
    expect(buffer.take().map((b) => b.hostname)).toEqual(['web-17', 'db-1']);
  });

  it('refuses log records that name another host', async () => {
    const base = await relay({ buffer: new BeatBuffer(100, 60_000), hosts: hostPolicy(['web-*']) });
    const res = await fetch(`${base}/log?app=cron&hostname=victim-db-1`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: 'forged line' });
    expect(res.status).toBe(403);
  });

  it('reads globs from --hosts and --hosts-file, and refuses a list that names none', () => {
    expect(parseHostPatterns('# the site\nweb-*\n\ndb-?, cache-1\n')).toEqual(['web-*', 'db-?', 'cache-1']);
    expect(() => relayHostPatterns({ hosts: ' , ' })).toThrow(/name no host pattern/);
    expect(relayHostPatterns({})).toEqual([]);
    const allowed = hostPolicy(['web.*']);
    expect(allowed('web.1')).toBe(true);
    expect(allowed('webx1')).toBe(false);
  });
});

describe('goodbyes through the relay', () => {
  it('refuses the review\'s spoof: a goodbye for a host that beats straight to SQS', async () => {
    const buffer = new BeatBuffer(100, 60_000);
    const base = await relay({ buffer });
    const answer = await beat(base, { hostname: 'victim-db-1', goodbye: true });
    expect(answer.status).toBe(403);
    expect(answer.error).toMatch(/passes no goodbye .* --allow-goodbye/);
    expect(buffer.size).toBe(0);
  });

  it('passes one on with --allow-goodbye, for a host it speaks for', async () => {
    const buffer = new BeatBuffer(100, 60_000);
    const base = await relay({ buffer, allowGoodbye: true, hosts: hostPolicy(['web-*']) });
    expect(await beat(base, { hostname: 'web-1', goodbye: true })).toEqual({ status: 202 });
    expect((await beat(base, { hostname: 'db-1', goodbye: true })).status).toBe(403);
  });
});

describe('fair shedding', () => {
  it('answers 503 to new names once full, and keeps every waiting host\'s beat and the relay\'s own', async () => {
    const buffer = new BeatBuffer(10, 60_000, () => 0, 'relay@site');
    const base = await relay({ buffer });
    for (let i = 0; i < 9; i++) expect((await beat(base, { hostname: `host-${i}`, interval: 60 })).status).toBe(202);
    expect(buffer.push({ hostname: 'relay@site', receivedAt: 1, beat: { hostname: 'relay@site' } })).toBe(true);
    const flood = await Promise.all(Array.from({ length: 200 }, (_, i) => beat(base, { hostname: `new-${i}`, interval: 60 })));
    expect(flood.filter((a) => a.status === 202)).toHaveLength(1);
    expect(flood.filter((a) => a.status === 503)).toHaveLength(199);
    expect(flood.find((a) => a.status === 503)?.error).toMatch(/buffer is full/);
    // The relay's own beat is never refused nor shed, full or not.
    expect(buffer.push({ hostname: 'relay@site', receivedAt: 2, beat: { hostname: 'relay@site' } })).toBe(true);
    // A host that waits may beat again: its own older beat makes the room.
    expect((await beat(base, { hostname: 'host-3', interval: 60 })).status).toBe(202);
    const left = buffer.take().map((b) => b.hostname);
    for (let i = 0; i < 9; i++) expect(left).toContain(`host-${i}`);
    expect(left.filter((h) => h === 'relay@site')).toHaveLength(2);
    expect(buffer.dropped).toMatchObject({ refused: 199, shed: 1 });
  });
});

describe('a cap in bytes', () => {
  /** About `kb` KB of beat: labels of 1,000 characters (at most 64 of them, as the wire allows). */
  const big = (hostname: string, kb: number) => ({ hostname, interval: 60, labels: Object.fromEntries(Array.from({ length: kb }, (_, i) => [`k${i}`, 'x'.repeat(1000)])) });

  it('holds no more bytes than --max-bytes, whatever the count of beats', async () => {
    const maxBytes = 1024 * 1024;
    const buffer = new BeatBuffer({ maxBeats: 100_000, maxBytes }, 60_000);
    const base = await relay({ buffer });
    const answers = [];
    for (let i = 0; i < 60; i++) answers.push(await beat(base, big(`big-${i}`, 30)));
    const accepted = answers.filter((a) => a.status === 202).length;
    expect(buffer.byteSize).toBeLessThanOrEqual(maxBytes);
    // Full: one more beat of the same size would not have fit.
    expect(buffer.byteSize + buffer.byteSize / accepted).toBeGreaterThan(maxBytes);
    expect(accepted).toBeGreaterThan(20);
    expect(answers.filter((a) => a.status === 503).length).toBe(60 - accepted);
    // A waiting host whose beat grew past the room left keeps its older beat, and is told.
    expect((await beat(base, big('big-0', 60))).status).toBe(503);
    expect(buffer.take().filter((b) => b.hostname === 'big-0')).toHaveLength(1);
  });

  it('weighs a beat by what it holds of it: its encoding, in memory of its own, off the V8 heap', async () => {
    const buffer = new BeatBuffer({ maxBeats: 100, maxBytes: 10 * 1024 * 1024 }, 60_000);
    const base = await relay({ buffer });
    const sent = [big('big-1', 30), { hostname: 'small-1', interval: 60, labels: { role: 'web' } }];
    for (const b of sent) expect((await beat(base, b)).status).toBe(202);
    const weighed = buffer.byteSize;
    const held = buffer.take();
    expect(held.map((b) => b.hostname)).toEqual(['big-1', 'small-1']);
    for (const [i, b] of held.entries()) {
      const encoded = b.encoded as Uint8Array;
      // Its own memory: a small beat that kept a view of Node's shared 8 KiB pool would pin all of it.
      expect(encoded.buffer.byteLength).toBe(encoded.byteLength);
      expect(b.bytes).toBe(encoded.byteLength + 2 * b.hostname.length + ENTRY_BYTES);
      expect(dts.RelayedBeat.decode(encoded).beat).toMatchObject(sent[i] as object);
      // The decoded beat is not held beside it: only the interval its hold is reckoned from.
      expect(b.beat).toEqual({ interval: 60 });
    }
    expect(held.reduce((sum, b) => sum + (b.bytes ?? 0), 0)).toBe(weighed);
    expect(weighed).toBeGreaterThan(30 * 1000);
  });

  it('refuses a body larger than a beat may be by its Content-Length, before reading it', async () => {
    const buffer = new BeatBuffer(100, 60_000);
    const base = await relay({ buffer });
    // The sender declares a body it never sends: the answer comes without waiting for it.
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(`${base}/beat`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-length': String(10 * MAX_BEAT_BODY) } }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => { body += c.toString(); });
        res.on('end', () => {
          req.destroy();
          resolve({ status: res.statusCode ?? 0, body });
        });
      });
      req.on('error', reject);
      req.write('{"hostname":');
    });
    expect(answer.status).toBe(413);
    expect(JSON.parse(answer.body)).toEqual({ error: `body larger than ${MAX_BEAT_BODY} bytes` });
    expect(buffer.received).toBe(0);
  }, 5000);

  it('counts a flush under way against the cap, so beats held in all stay within it while SQS is away', () => {
    const one = { hostname: 'a', receivedAt: 0, beat: { hostname: 'a' }, bytes: 400 };
    const buffer = new BeatBuffer({ maxBeats: 100, maxBytes: 1000 }, 60_000);
    expect(buffer.push(one)).toBe(true);
    expect(buffer.push({ ...one, hostname: 'b' })).toBe(true);
    const inFlight = buffer.take();
    expect(buffer.push({ ...one, hostname: 'c' })).toBe(false);
    buffer.requeue(inFlight, 1);
    expect(buffer.byteSize).toBe(800);
    buffer.take();
    buffer.settle();
    expect(buffer.push({ ...one, hostname: 'c' })).toBe(true);
  });

  it('reads sizes as people write them', () => {
    const size = parseByteSize('--max-bytes');
    expect([size('64M'), size('512K'), size('1G'), size('67108864'), size('64MiB')]).toEqual([64 * 1024 ** 2, 512 * 1024, 1024 ** 3, 67108864, 64 * 1024 ** 2]);
    expect(() => size('0')).toThrow(/--max-bytes must be a size above 0/);
    expect(() => size('lots')).toThrow(/--max-bytes/);
  });
});
