/** The relay's pure parts: the receive-time bound, the bounded buffer, packing, the request parsers. */
import { describe, expect, it } from 'vitest';
import { SQSClient } from '@aws-sdk/client-sqs';
import { BeatBuffer, heldBeat, type BufferedBeat } from '../../lib/relay/beat-buffer';
import { Forwarder, groupCalls, packBeats } from '../../lib/relay/forwarder';
import { beatOf, recordsOf } from '../../lib/relay/server';
import { RELAY_CLOCK_LEEWAY_MS, RELAY_MAX_HOLD_MS, relayedReceiveTime, relayHoldMs } from '../../lib/domain/host/relay-stamp';
import { decodeBody } from '../../lib/wire/codec';
import { parseListen } from '../../lib/cli/commands/relay';

const beat = (hostname: string, receivedAt: number, labels: Record<string, string> = {}): BufferedBeat => ({ hostname, receivedAt, beat: { hostname, interval: 60, labels } });

describe('relayedReceiveTime', () => {
  const sent = 1_800_000_000_000;
  it('is the relay\'s stamp when it is before SentTimestamp and within the hold', () => {
    expect(relayedReceiveTime((sent - 7_000) / 1000, sent)).toEqual({ ok: true, value: sent - 7_000 });
  });
  it('is SentTimestamp when the relay claims later (its clock ahead) or nothing', () => {
    expect(relayedReceiveTime((sent + 60_000) / 1000, sent)).toEqual({ ok: true, value: sent });
    expect(relayedReceiveTime(0, sent)).toEqual({ ok: true, value: sent });
  });
  it('refuses a stamp older than a relay may hold a beat (its clock behind)', () => {
    const oldest = sent - RELAY_MAX_HOLD_MS - RELAY_CLOCK_LEEWAY_MS;
    expect(relayedReceiveTime(oldest / 1000, sent).ok).toBe(true);
    const r = relayedReceiveTime((oldest - 1000) / 1000, sent);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error.field).toBe('receivedAt');
    expect(relayedReceiveTime(Number.NaN, sent).ok).toBe(false);
  });
});

describe('BeatBuffer', () => {
  it('when full, sheds the oldest beat of the host with the most beats waiting, and counts it', () => {
    const b = new BeatBuffer(4, 60_000);
    b.push(beat('chatty', 1));
    b.push(beat('chatty', 2));
    b.push(beat('chatty', 3));
    b.push(beat('quiet', 4));
    b.push(beat('other', 5));
    expect(b.size).toBe(4);
    expect(b.take().map((x) => `${x.hostname}@${x.receivedAt}`).sort()).toEqual(['chatty@2', 'chatty@3', 'other@5', 'quiet@4']);
    expect(b.dropped).toMatchObject({ shed: 1, expired: 0 });
    expect(Object.fromEntries(b.dropped.byHost)).toEqual({ chatty: 1 });
    expect(b.received).toBe(5);
  });

  it('among hosts with as many beats waiting, sheds from the one that had that many first; expiry and take keep the counts right', () => {
    const b = new BeatBuffer(5, 60_000);
    for (const [host, at] of [['a', 1], ['b', 2], ['a', 3], ['b', 4], ['c', 5], ['c', 6]] as const) b.push(beat(host, at));
    // a reached two beats first: its oldest goes.
    expect(Object.fromEntries(b.dropped.byHost)).toEqual({ a: 1 });
    // b and c hold two each, a one: the next shed is b's (it reached two before c).
    b.push(beat('d', 7));
    expect(Object.fromEntries(b.dropped.byHost)).toEqual({ a: 1, b: 1 });
    // At 60,004.5 a@3 and b@4 have waited past the 60 s limit and expire; c@5, c@6 and d@7 stay.
    expect(b.expire(60_004.5)).toBe(2);
    expect(b.size).toBe(3);
    // e reaches three beats, the most: its oldest is shed, not a stale count of a or b.
    for (const at of [60_010, 60_011, 60_012]) b.push(beat('e', at));
    expect(b.size).toBe(5);
    expect(Object.fromEntries(b.dropped.byHost)).toEqual({ a: 2, b: 2, e: 1 });
    expect(b.dropped).toMatchObject({ shed: 3, expired: 2 });
    expect(b.take()).toHaveLength(5);
    b.push(beat('f', 70_000));
    expect(b.size).toBe(1);
  });

  it('keeps every host\'s latest beat under a flood from one name', () => {
    const b = new BeatBuffer(10, 60_000);
    for (let i = 0; i < 9; i++) b.push(beat(`host-${i}`, i));
    for (let i = 0; i < 1000; i++) b.push(beat('flood', 100 + i));
    const left = b.take();
    expect(left.filter((x) => x.hostname !== 'flood')).toHaveLength(9);
    expect(left.find((x) => x.hostname === 'flood')?.receivedAt).toBe(1099);
    expect(b.dropped.byHost.get('flood')).toBe(999);
  });

  it('puts unsent beats back ahead of newer ones, and expires what was held too long', () => {
    const b = new BeatBuffer(100, 10_000);
    b.push(beat('a', 50_000));
    b.requeue([beat('a', 30_000), beat('b', 1_000)], 35_000);
    expect(b.take().map((x) => `${x.hostname}@${x.receivedAt}`)).toEqual(['a@30000', 'a@50000']);
    expect(b.dropped).toMatchObject({ expired: 1 });
    b.push(beat('c', 0));
    expect(b.expire(20_000)).toBe(1);
    expect(b.size).toBe(0);
  });

  it('is due when the beat that may wait least must leave: within the flush, and a third of its interval', () => {
    // A relay flushing within 20 s: a 60 s beat may wait 20 s, a 10 s beat 3.3 s, an undeclared one as a 60 s one.
    expect(relayHoldMs(60, 20_000)).toBe(20_000);
    expect(relayHoldMs(10, 20_000)).toBeCloseTo(3_333.33, 1);
    expect(relayHoldMs(0, 20_000)).toBe(20_000);
    expect(relayHoldMs(300, 20_000)).toBe(20_000);
    const hold = (x: BufferedBeat) => relayHoldMs(x.beat.interval ?? 0, 20_000);
    const b = new BeatBuffer(100, RELAY_MAX_HOLD_MS, hold);
    expect(b.dueAt).toBe(Infinity);
    b.push(beat('slow', 1_000));
    expect(b.dueAt).toBe(21_000);
    b.push({ hostname: 'fast', receivedAt: 5_000, beat: { hostname: 'fast', interval: 10 } });
    expect(b.dueAt).toBeCloseTo(8_333.33, 1);
    b.take();
    expect(b.dueAt).toBe(Infinity);
    // Beats that could not be sent are due again a hold after the failed flush, not at once.
    b.requeue([beat('slow', 1_000)], 30_000);
    expect(b.dueAt).toBe(50_000);
  });
});

describe('a flush while SQS is unreachable', () => {
  it('stops at the first call that fails and puts the rest back as they are, unpacked', async () => {
    // A port nothing listens on: connections are refused at once, on loopback.
    const sqs = new SQSClient({ region: 'us-east-1', endpoint: 'http://127.0.0.1:9', maxAttempts: 1, credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
    const buffer = new BeatBuffer(10_000, RELAY_MAX_HOLD_MS);
    const big = { note: 'x'.repeat(10_000) };
    // About 4 MB: several chunks of calls.
    for (let i = 0; i < 400; i++) buffer.push(heldBeat(`h-${i}`, { hostname: `h-${i}`, interval: 60, labels: big }, 1_800_000_000_000 + i));
    const said: string[] = [];
    const forwarder = new Forwarder({ sqs, queueUrl: 'http://127.0.0.1:9/000000000000/q', buffer, relay: 'r', retry: { maxAttempts: 1 }, say: (l) => said.push(l), now: () => 1_800_000_001_000 });
    await forwarder.flush();
    expect(forwarder.stats.requests).toBe(1);
    expect(buffer.size).toBe(400);
    expect(said[0]).toMatch(/^could not send 400 beat\(s\), kept for the next flush/);
    sqs.destroy();
  });
});

describe('packBeats', () => {
  it('packs beats into HeartbeatBatch messages that decode back, each under the byte budget', () => {
    const big = { note: 'x'.repeat(1000) };
    const beats = Array.from({ length: 600 }, (_, i) => beat(`h-${i}`, 1_800_000_000_000 + i, big));
    const messages = packBeats(beats, 'relay-9', 256 * 1024);
    expect(messages.length).toBeGreaterThan(1);
    let count = 0;
    for (const m of messages) {
      expect(m.size).toBeLessThanOrEqual(256 * 1024);
      const decoded = decodeBody('dts.HeartbeatBatch', m.body);
      if (!decoded.ok) throw new Error('undecodable');
      expect(decoded.value.relay).toBe('relay-9');
      expect(decoded.value.beats.length).toBe(m.beats.length);
      expect(decoded.value.beats[0]?.receivedAt).toBe((m.beats[0] as BufferedBeat).receivedAt / 1000);
      count += decoded.value.beats.length;
    }
    expect(count).toBe(600);
    expect(groupCalls(messages).every((c) => c.length <= 10 && c.reduce((s, m) => s + m.size, 0) <= 256 * 1024)).toBe(true);
  });

  it('fits 100 hosts\' beats in one message', () => {
    expect(packBeats(Array.from({ length: 100 }, (_, i) => beat(`web-${i}`, i)), 'r')).toHaveLength(1);
  });
});

describe('requests', () => {
  it('reads a beat from the query, or from a JSON body', () => {
    expect(beatOf('', new URLSearchParams('hostname=web-1&interval=30&label=role=web'))).toEqual({ hostname: 'web-1', interval: 30, labels: { role: 'web' } });
    expect(beatOf('{"hostname":"web-2","cpu":{"percent":"12.5"}}', new URLSearchParams())).toMatchObject({ hostname: 'web-2', cpu: { percent: 12.5 } });
    expect(() => beatOf('', new URLSearchParams('hostname=a&interval=soon'))).toThrow(/whole seconds/);
    expect(() => beatOf('{"hostname": 5}', new URLSearchParams())).toThrow(/hostname/);
  });

  it('reads log records from text lines with ?app=, or from a JSON LogMessage or LogBatch', () => {
    expect(recordsOf('one\n\ntwo\n', new URLSearchParams('app=cron&level=error'))).toEqual([
      { text: 'one', app: 'cron', level: 'error' }, { text: 'two', app: 'cron', level: 'error' },
    ]);
    expect(recordsOf('{"records":[{"app":"a","text":"x","level":40}]}', new URLSearchParams())).toMatchObject([{ app: 'a', text: 'x', level: 40 }]);
    expect(() => recordsOf('hello', new URLSearchParams())).toThrow(/app=NAME/);
  });

  it('parses --listen', () => {
    expect(parseListen('0.0.0.0:8080')).toEqual({ host: '0.0.0.0', port: 8080 });
    expect(parseListen('[::]:9000')).toEqual({ host: '::', port: 9000 });
    expect(parseListen(':8080')).toEqual({ host: '0.0.0.0', port: 8080 });
    expect(() => parseListen('nowhere')).toThrow(/HOST:PORT/);
  });
});
