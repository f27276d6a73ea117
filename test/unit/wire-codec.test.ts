import protobuf from 'protobufjs/minimal.js';
import { describe, expect, it } from 'vitest';
import { decodeBody, describe as describeError, encodeBody, encodedLength, isMessageType, MESSAGE_TYPES, type MessageType } from '../../lib/wire/codec';
import { dts } from '../../lib/wire/generated/dts.js';
import { validateHeartbeat, validateLogBatch, validateLogRecord, type Limits } from '../../lib/wire/validate';

const LIMITS: Limits = { maxFutureSeconds: 86_400, textMaxBytes: 32 * 1024 };
const NOW = Date.UTC(2025, 10, 25, 12, 0, 0);
const TS = NOW / 1000 - 0.123456;

const logMessage = {
  app: 'checkout', hostname: 'web-1', timestamp: TS, level: 40, text: 'payment failed: naïve café ☕ 𝄞', fields: { orderId: 'A-1', 'trace.id': 'abc' }, id: 'rec-1',
};
const heartbeat = {
  hostname: 'web-1', timestamp: TS, interval: 30,
  cpu: { percent: 12.5, cores: 8, load1: 0.5, load5: 0.25, load15: 0.125 },
  mem: { percent: 40, total: 16e9, used: 6.4e9, available: 9.6e9 },
  disk: { percent: 63.2, total: 5e11, used: 3.16e11, mount: '/data' },
  labels: { env: 'prod', 'dts.disk.warning': '92' }, goodbye: true, agent: { name: 'dts-agent', version: '1.2.3' }, uptime: 12_345.5,
};
const notificationMessage = {
  id: 'web-1|host-down|1764072180000', hostname: 'web-1', kind: 'host-down', severity: 'critical', at: 1_764_072_180, message: 'web-1 is down', details: { limitSeconds: '180' },
};
const SAMPLES: { [T in MessageType]: Record<string, unknown> } = {
  'dts.LogMessage': logMessage,
  'dts.LogBatch': { records: [logMessage, { app: 'worker', hostname: 'web-2', timestamp: TS + 1, level: 20, text: 'second' }] },
  'dts.HeartbeatMessage': heartbeat,
  'dts.Notification': notificationMessage,
  'dts.HeartbeatBatch': { beats: [{ beat: heartbeat, receivedAt: TS + 0.25 }, { beat: { ...heartbeat, hostname: 'web-2' }, receivedAt: TS + 1 }], relay: 'relay-1' },
  'dts.CheckPing': { check: 'nightly-backup', status: '3', output: 'boom\n', timestamp: TS },
};
const TYPES = Object.keys(MESSAGE_TYPES) as MessageType[];

/** The plain object of a decoded message, the way the protobuf JSON mapping would print it. */
const plain = (type: MessageType, m: unknown) => (MESSAGE_TYPES[type] as { toObject(m: unknown): Record<string, unknown> }).toObject(m);
const fromObject = (type: MessageType, o: Record<string, unknown>) => (MESSAGE_TYPES[type] as { fromObject(o: unknown): unknown }).fromObject(o);
const encode = (type: MessageType, o: Record<string, unknown>) => encodeBody(type, fromObject(type, o) as never);

/** Deterministic pseudo-random bytes (mulberry32), so a failure can be replayed. */
function randomBytes(seed: number): (n: number) => Buffer {
  let s = seed;
  const next = () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  return (n) => Buffer.from(Array.from({ length: n }, () => Math.floor(next() * 256)));
}

/** Offsets at which a top-level field of the encoded message ends. */
function fieldBoundaries(bytes: Uint8Array): number[] {
  const reader = protobuf.Reader.create(bytes);
  const ends: number[] = [];
  while (reader.pos < reader.len) {
    const tag = reader.uint32();
    reader.skipType(tag & 7);
    ends.push(reader.pos);
  }
  return ends;
}

describe('codec: SQS body ⇄ message', () => {
  describe('base64 protobuf round trips', () => {
    it.each(TYPES)('%s survives encode → decode unchanged', (type) => {
      const body = encode(type, SAMPLES[type]);
      const decoded = decodeBody(type, body);
      expect(decoded.ok).toBe(true);
      if (decoded.ok) expect(plain(type, decoded.value)).toEqual(SAMPLES[type]);
    });

    it.each(TYPES)('%s encodes to plain base64 that never starts with "{"', (type) => {
      const body = encode(type, SAMPLES[type]);
      expect(body).toMatch(/^[A-Za-z0-9+/]+={0,2}$/);
      expect(body.startsWith('{')).toBe(false);
    });

    it('keeps a timestamp with microseconds exactly', () => {
      const body = encodeBody('dts.LogMessage', { ...logMessage, timestamp: 1_700_000_000.123456 });
      const decoded = decodeBody('dts.LogMessage', body);
      expect(decoded.ok && decoded.value.timestamp).toBe(1_700_000_000.123456);
    });

    it('decodes an all-default message from its (empty-looking) encoding of one default field', () => {
      const body = encodeBody('dts.HeartbeatMessage', { hostname: 'h' });
      const decoded = decodeBody('dts.HeartbeatMessage', body);
      expect(decoded.ok && plain('dts.HeartbeatMessage', decoded.value)).toEqual({ hostname: 'h' });
    });

    it('accepts surrounding whitespace (a trailing newline from a shell)', () => {
      const decoded = decodeBody('dts.HeartbeatMessage', `  ${encode('dts.HeartbeatMessage', heartbeat)}\n`);
      expect(decoded.ok).toBe(true);
    });

    it('encodedLength is the base64 length of n bytes', () => {
      for (const n of [0, 1, 2, 3, 4, 100, 1000]) expect(encodedLength(n)).toBe(Buffer.alloc(n).toString('base64').length);
    });
  });

  describe('JSON bodies (protobuf JSON mapping, first character "{")', () => {
    it.each(TYPES)('%s from its JSON mapping equals the same message from base64', (type) => {
      const json = JSON.stringify((fromObject(type, SAMPLES[type]) as { toJSON(): unknown }).toJSON());
      expect(json.startsWith('{')).toBe(true);
      const fromJson = decodeBody(type, json);
      const fromBase64 = decodeBody(type, encode(type, SAMPLES[type]));
      expect(fromJson.ok && fromBase64.ok).toBe(true);
      if (fromJson.ok && fromBase64.ok) expect(plain(type, fromJson.value)).toEqual(plain(type, fromBase64.value));
    });

    it('accepts a hand-written body as `aws sqs send-message` would send it', () => {
      const decoded = decodeBody('dts.HeartbeatMessage', '{"hostname":"laptop","timestamp":1764072000.5,"interval":120,"cpu":{"percent":5},"labels":{"k":"v"}}');
      expect(decoded.ok).toBe(true);
      if (decoded.ok) {
        expect(decoded.value.hostname).toBe('laptop');
        expect(decoded.value.interval).toBe(120);
        expect(decoded.value.cpu?.percent).toBe(5);
        expect(decoded.value.labels).toEqual({ k: 'v' });
      }
    });

    it('accepts leading whitespace before the "{"', () => {
      expect(decodeBody('dts.LogMessage', ' \n{"app":"a"}').ok).toBe(true);
    });

    it('treats null as the default value, as the JSON mapping says', () => {
      const decoded = decodeBody('dts.HeartbeatMessage', '{"hostname":null,"timestamp":1764072000}');
      expect(decoded.ok && decoded.value.hostname).toBe('');
    });

    it('an empty object decodes to an all-default message, which validation then rejects by name', () => {
      const decoded = decodeBody('dts.HeartbeatMessage', '{}');
      expect(decoded.ok).toBe(true);
      if (decoded.ok) expect(validateHeartbeat(decoded.value, NOW, LIMITS)).toMatchObject({ ok: false, error: { field: 'hostname' } });
    });

    it.each([
      ['{"app":"a",', 'body', /invalid JSON/],
      ['{not json}', 'body', /invalid JSON/],
    ])('malformed JSON %j is an error on the body', (body, field, reason) => {
      const r = decodeBody('dts.LogMessage', body);
      expect(r.ok).toBe(false);
      if (!r.ok) {
        expect(r.error.field).toBe(field);
        expect(r.error.reason).toMatch(reason);
      }
    });

    it.each<[MessageType, string, string]>([
      ['dts.HeartbeatMessage', '{"hostname":5}', 'hostname'],
      ['dts.HeartbeatMessage', '{"hostname":"h","timestamp":true}', 'timestamp'],
      ['dts.HeartbeatMessage', '{"hostname":"h","interval":1.5}', 'interval'],
      ['dts.HeartbeatMessage', '{"hostname":"h","cpu":{"percent":"high"}}', 'cpu.percent'],
      ['dts.HeartbeatMessage', '{"hostname":"h","labels":{"env":1}}', 'labels'],
      ['dts.HeartbeatMessage', '{"hostname":"h","goodbye":"yes"}', 'goodbye'],
      ['dts.HeartbeatMessage', '{"hostname":"h","agent":{"name":7}}', 'agent.name'],
      ['dts.LogMessage', '{"app":"a","level":"ERROR"}', 'level'],
      ['dts.LogMessage', '{"app":["a"]}', 'app'],
      ['dts.LogMessage', '{"app":"a","fields":{"k":{"nested":true}}}', 'fields'],
      ['dts.LogBatch', '{"records":{}}', 'records'],
      ['dts.LogBatch', '{"records":[{"hostname":5}]}', 'records.hostname'],
    ])('%s %s is a typed error naming the field %s', (type, body, field) => {
      const r = decodeBody(type, body);
      expect(r.ok).toBe(false);
      if (!r.ok) {
        expect(r.error.field).toBe(field);
        expect(r.error.reason).toMatch(/expected/);
        expect(describeError(r.error)).toBe(`${field}: ${r.error.reason}`);
      }
    });

    it('a negative interval is not a uint32: the codec rejects it by name instead of wrapping it', () => {
      const r = decodeBody('dts.HeartbeatMessage', `{"hostname":"h","timestamp":${NOW / 1000},"interval":-1}`);
      expect(r).toMatchObject({ ok: false, error: { field: 'interval', reason: '-1 is out of range for uint32' } });
    });

    it.each(['[{"app":"a"}]', '"text"', '42'])('a JSON value that is not an object (%s) is an error on the body', (body) => {
      const r = decodeBody('dts.LogMessage', body);
      expect(r).toMatchObject({ ok: false, error: { field: 'body' } });
    });
  });

  describe('empty and garbage bodies', () => {
    it.each(['', ' ', '\n\t '])('an empty body (%j) is an error on the body', (body) => {
      expect(decodeBody('dts.HeartbeatMessage', body)).toEqual({ ok: false, error: { field: 'body', reason: 'empty body' } });
    });

    it.each(['hello world!', 'not base64 ✓', 'abc$def', '<xml/>'])('text that is neither base64 nor JSON (%j) is an error on the body', (body) => {
      expect(decodeBody('dts.LogMessage', body)).toMatchObject({ ok: false, error: { field: 'body', reason: 'neither base64 protobuf nor a JSON object' } });
    });
  });

  describe('random bytes never throw: each is a typed error or a value validation rejects', () => {
    const next = randomBytes(20251125);
    const bodies = Array.from({ length: 1000 }, (_, i) => next(1 + (i % 96)).toString('base64'));

    it('as a HeartbeatMessage', () => {
      const outcomes = { decodeError: 0, rejected: 0 };
      for (const body of bodies) {
        const d = decodeBody('dts.HeartbeatMessage', body);
        if (!d.ok) {
          expect(d.error.field).toBe('body');
          outcomes.decodeError++;
          continue;
        }
        const v = validateHeartbeat(d.value, NOW, LIMITS);
        expect(v.ok, `random body ${body} validated as a heartbeat`).toBe(false);
        outcomes.rejected++;
      }
      expect(outcomes.decodeError).toBeGreaterThan(0);
      expect(outcomes.rejected).toBeGreaterThan(0);
    });

    it('as a LogMessage', () => {
      const outcomes = { decodeError: 0, rejected: 0 };
      for (const body of bodies) {
        const d = decodeBody('dts.LogMessage', body);
        if (!d.ok) {
          expect(d.error.field).toBe('body');
          outcomes.decodeError++;
          continue;
        }
        expect(validateLogRecord(d.value, NOW, LIMITS).ok, `random body ${body} validated as a log record`).toBe(false);
        outcomes.rejected++;
      }
      expect(outcomes.decodeError).toBeGreaterThan(0);
      expect(outcomes.rejected).toBeGreaterThan(0);
    });

    it('as a LogBatch: no record is ever accepted', () => {
      let decodeErrors = 0;
      for (const body of bodies) {
        const d = decodeBody('dts.LogBatch', body);
        if (!d.ok) {
          decodeErrors++;
          continue;
        }
        const v = validateLogBatch(d.value, NOW, LIMITS);
        expect(v.ok ? v.value.records : []).toEqual([]);
      }
      expect(decodeErrors).toBeGreaterThan(0);
    });

    it('as a Notification', () => {
      for (const body of bodies) expect(() => decodeBody('dts.Notification', body)).not.toThrow();
    });

    it('as raw bytes in the body (not base64)', () => {
      for (let i = 0; i < 200; i++) {
        const body = next(1 + (i % 64)).toString('latin1');
        const r = decodeBody('dts.HeartbeatMessage', body);
        if (r.ok) expect(validateHeartbeat(r.value, NOW, LIMITS).ok).toBe(false);
        else expect(r.error.field).toBe('body');
      }
    });
  });

  describe('truncated bytes never throw', () => {
    const full = Buffer.from(encode('dts.HeartbeatMessage', { ...heartbeat, goodbye: false }), 'base64');
    const ends = fieldBoundaries(full);

    it('cutting inside a field is a typed error on the body', () => {
      let cuts = 0;
      for (let n = 1; n < full.length; n++) {
        if (ends.includes(n)) continue;
        const r = decodeBody('dts.HeartbeatMessage', full.subarray(0, n).toString('base64'));
        expect(r.ok, `cut at ${n} of ${full.length}`).toBe(false);
        if (!r.ok) expect(r.error.field).toBe('body');
        cuts++;
      }
      expect(cuts).toBeGreaterThan(100);
    });

    it('cutting between fields decodes the fields before the cut, which validation then judges as any beat', () => {
      expect(ends.length).toBeGreaterThan(2);
      const [hostnameEnd, timestampEnd] = ends;
      const afterHostname = decodeBody('dts.HeartbeatMessage', full.subarray(0, hostnameEnd).toString('base64'));
      expect(afterHostname.ok).toBe(true);
      if (afterHostname.ok) {
        expect(plain('dts.HeartbeatMessage', afterHostname.value)).toEqual({ hostname: 'web-1' });
        // A beat without its own timestamp is valid: its host time is taken to be the receive time.
        expect(validateHeartbeat(afterHostname.value, NOW, LIMITS)).toMatchObject({ ok: true, value: { hostname: 'web-1', sentAt: NOW } });
      }
      const afterTimestamp = decodeBody('dts.HeartbeatMessage', full.subarray(0, timestampEnd).toString('base64'));
      expect(afterTimestamp.ok && plain('dts.HeartbeatMessage', afterTimestamp.value)).toEqual({ hostname: 'web-1', timestamp: TS });
    });

    it('every cut between fields is a prefix of the message: no field is invented or altered', () => {
      const whole = plain('dts.HeartbeatMessage', dts.HeartbeatMessage.decode(full));
      for (const n of ends) {
        const r = decodeBody('dts.HeartbeatMessage', full.subarray(0, n).toString('base64'));
        expect(r.ok).toBe(true);
        if (!r.ok) continue;
        const got = plain('dts.HeartbeatMessage', r.value);
        for (const [key, value] of Object.entries(got)) {
          if (key === 'labels') {
            for (const [k, v] of Object.entries(value as Record<string, string>)) expect((whole.labels as Record<string, string>)[k]).toBe(v);
          } else {
            expect(value).toEqual(whole[key]);
          }
        }
      }
    });

    it('a truncated LogBatch is a typed error, never a partial batch of altered records', () => {
      const batch = Buffer.from(encode('dts.LogBatch', SAMPLES['dts.LogBatch']), 'base64');
      const batchEnds = fieldBoundaries(batch);
      for (let n = 1; n < batch.length; n++) {
        const r = decodeBody('dts.LogBatch', batch.subarray(0, n).toString('base64'));
        if (batchEnds.includes(n)) expect(r.ok && r.value.records.length).toBe(batchEnds.indexOf(n) + 1);
        else expect(r).toMatchObject({ ok: false, error: { field: 'body' } });
      }
    });
  });

  describe('message type names', () => {
    it('knows exactly the six contract messages', () => {
      expect(TYPES.sort()).toEqual(['dts.CheckPing', 'dts.HeartbeatBatch', 'dts.HeartbeatMessage', 'dts.LogBatch', 'dts.LogMessage', 'dts.Notification']);
      for (const t of TYPES) expect(isMessageType(t)).toBe(true);
    });

    it.each(['LogMessage', 'dts.logmessage', 'dts.CpuSample', 'toString', '__proto__', 'hasOwnProperty', ''])('%j is not a message type', (name) => {
      expect(isMessageType(name)).toBe(false);
    });
  });
});
