import { describe, expect, it } from 'vitest';
import type { LogLevel, LogRecord } from '../../lib/domain/model';
import { dts } from '../../lib/wire/generated/dts.js';
import {
  contentId, MAX_BATCH_RECORDS, normalizeLevel, truncateText, validateHeartbeat, validateLogBatch, validateLogRecord, type Limits,
} from '../../lib/wire/validate';

const LIMITS: Limits = { maxFutureSeconds: 86_400, textMaxBytes: 32 * 1024 };
const NOW = Date.UTC(2025, 10, 25, 12, 0, 0);
const SECONDS = NOW / 1000;

const beat = (over: dts.HeartbeatMessage.$Properties = {}) =>
  dts.HeartbeatMessage.create({ hostname: 'web-1', timestamp: SECONDS, interval: 60, ...over });
const log = (over: dts.LogMessage.$Properties = {}) =>
  dts.LogMessage.create({ app: 'checkout', hostname: 'web-1', timestamp: SECONDS, level: 20, text: 'hello', ...over });

const fieldOf = (r: { ok: boolean; error?: { field: string } }) => (r.ok ? 'ok' : r.error?.field);
const map = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, `v${i}`]));

describe('heartbeat validation', () => {
  it('accepts a full beat and keeps the monitor’s receive time apart from the host’s clock', () => {
    const r = validateHeartbeat(beat({
      timestamp: SECONDS - 2.5, cpu: { percent: 12.5, cores: 4, load1: 0.5 }, mem: { percent: 40, total: 8e9, used: 3.2e9 },
      disk: { percent: 63, mount: '/' }, labels: { env: 'prod' }, agent: { name: 'dts-agent', version: '1.0.0' }, uptime: 100, goodbye: true,
    }), NOW, LIMITS);
    expect(r).toEqual({
      ok: true,
      value: {
        hostname: 'web-1', receivedAt: NOW, sentAt: NOW - 2500, interval: 60,
        cpu: { percent: 12.5, cores: 4, load1: 0.5 }, mem: { percent: 40, total: 8e9, used: 3.2e9 }, disk: { percent: 63, mount: '/' },
        labels: { env: 'prod' }, goodbye: true, agent: { name: 'dts-agent', version: '1.0.0' }, uptime: 100,
      },
    });
  });

  it('leaves out the samples a beat did not carry', () => {
    const r = validateHeartbeat(beat(), NOW, LIMITS);
    expect(r.ok).toBe(true);
    if (r.ok) for (const absent of ['cpu', 'mem', 'disk', 'agent']) expect(r.value).not.toHaveProperty(absent);
  });

  describe('hostname', () => {
    it.each<[string, string]>([
      ['', 'hostname'],
      ['   ', 'hostname'],
      ['a'.repeat(255), 'ok'],
      ['a'.repeat(256), 'hostname'],
      ['web\n1', 'hostname'],
      ['web\u00001', 'hostname'],
      ['web-1.example.com', 'ok'],
    ])('%j → %s', (hostname, expected) => {
      expect(fieldOf(validateHeartbeat(beat({ hostname }), NOW, LIMITS))).toBe(expected);
    });

    it('names the length in the reason', () => {
      const r = validateHeartbeat(beat({ hostname: 'a'.repeat(256) }), NOW, LIMITS);
      expect(!r.ok && r.error.reason).toBe('256 bytes of UTF-8, at most 255 allowed');
    });

    it('counts bytes, not characters, since hostnames go into key attributes', () => {
      expect(validateHeartbeat(beat({ hostname: 'é'.repeat(127) }), NOW, LIMITS).ok).toBe(true);
      const r = validateHeartbeat(beat({ hostname: 'é'.repeat(128) }), NOW, LIMITS);
      expect(!r.ok && r.error).toEqual({ field: 'hostname', reason: '256 bytes of UTF-8, at most 255 allowed' });
    });
  });

  describe('timestamp', () => {
    it.each([NaN, Infinity, -Infinity, -1, -SECONDS])('%d is rejected, naming the timestamp', (timestamp) => {
      expect(fieldOf(validateHeartbeat(beat({ timestamp }), NOW, LIMITS))).toBe('timestamp');
    });

    it('an absent timestamp (a beat typed by hand) is taken as the receive time', () => {
      const r = validateHeartbeat(beat({ timestamp: 0 }), NOW, LIMITS);
      expect(r.ok && r.value.sentAt).toBe(NOW);
    });

    it('exactly a day ahead of the receive time is accepted', () => {
      const r = validateHeartbeat(beat({ timestamp: SECONDS + 86_400 }), NOW, LIMITS);
      expect(r.ok && r.value.sentAt).toBe(NOW + 86_400_000);
    });

    it.each([0.001, 1, 3_600])('%d s beyond a day ahead is rejected', (extra) => {
      const r = validateHeartbeat(beat({ timestamp: SECONDS + 86_400 + extra }), NOW, LIMITS);
      expect(fieldOf(r)).toBe('timestamp');
      expect(!r.ok && r.error.reason).toMatch(/more than 86400s ahead/);
    });

    it('a timestamp far in the past is kept (the skew is reported, not rejected)', () => {
      expect(validateHeartbeat(beat({ timestamp: SECONDS - 30 * 86_400 }), NOW, LIMITS).ok).toBe(true);
    });

    it('the limit is configurable', () => {
      const strict = { ...LIMITS, maxFutureSeconds: 0 };
      expect(validateHeartbeat(beat({ timestamp: SECONDS }), NOW, strict).ok).toBe(true);
      expect(fieldOf(validateHeartbeat(beat({ timestamp: SECONDS + 0.001 }), NOW, strict))).toBe('timestamp');
    });
  });

  describe('percents', () => {
    it.each<[number, boolean]>([
      [-1, false],
      [-0.0001, false],
      [0, true],
      [50, true],
      [100, true],
      [100.1, false],
      [NaN, false],
      [Infinity, false],
    ])('%d%% valid: %s, for cpu, mem and disk alike', (percent, valid) => {
      for (const resource of ['cpu', 'mem', 'disk'] as const) {
        const r = validateHeartbeat(beat({ [resource]: { percent } }), NOW, LIMITS);
        expect(fieldOf(r)).toBe(valid ? 'ok' : `${resource}.percent`);
        if (valid && r.ok) expect(r.value[resource]?.percent).toBe(percent);
      }
    });
  });

  describe('other figures', () => {
    it.each<[dts.HeartbeatMessage.$Properties, string]>([
      [{ interval: 86_400 }, 'ok'],
      [{ interval: 86_401 }, 'interval'],
      [{ interval: 0 }, 'ok'],
      [{ cpu: { percent: 1, load1: -0.5 } }, 'cpu.load1'],
      [{ cpu: { percent: 1, load15: NaN } }, 'cpu.load15'],
      [{ mem: { percent: 1, total: -1 } }, 'mem.total'],
      [{ disk: { percent: 1, used: Infinity } }, 'disk.used'],
      [{ disk: { percent: 1, mount: 'm'.repeat(1025) } }, 'disk.mount'],
      [{ uptime: -1 }, 'uptime'],
      [{ uptime: NaN }, 'uptime'],
      [{ uptime: 0 }, 'ok'],
      [{ agent: { name: 'n'.repeat(129), version: '1' } }, 'agent'],
      [{ agent: { name: 'n'.repeat(128), version: '1' } }, 'ok'],
    ])('%j → %s', (over, expected) => {
      expect(fieldOf(validateHeartbeat(beat(over), NOW, LIMITS))).toBe(expected);
    });
  });

  it('an uptime of 0 (proto3 for "not sent") is left out', () => {
    const r = validateHeartbeat(beat({ uptime: 0 }), NOW, LIMITS);
    expect(r.ok && 'uptime' in r.value).toBe(false);
  });

  describe('labels (huge maps)', () => {
    it.each<[Record<string, string>, string]>([
      [map(64), 'ok'],
      [map(65), 'labels'],
      [map(10_000), 'labels'],
      [{ ['k'.repeat(128)]: 'v' }, 'ok'],
      [{ ['k'.repeat(129)]: 'v' }, `labels.${'k'.repeat(32)}`],
      [{ '': 'v' }, 'labels.'],
      [{ k: 'v'.repeat(1024) }, 'ok'],
      [{ k: 'v'.repeat(1025) }, 'labels.k'],
    ])('%#: → %s', (labels, expected) => {
      expect(fieldOf(validateHeartbeat(beat({ labels }), NOW, LIMITS))).toBe(expected);
    });

    it('says how many entries it got', () => {
      const r = validateHeartbeat(beat({ labels: map(65) }), NOW, LIMITS);
      expect(!r.ok && r.error.reason).toBe('65 entries, at most 64 allowed');
    });
  });
});

describe('log record validation', () => {
  it('accepts a record, keeping the producer’s timestamp in seconds and its id', () => {
    const r = validateLogRecord(log({ timestamp: 1_764_071_999.123456, level: 40, fields: { a: '1' }, id: 'p-1' }), NOW, LIMITS);
    expect(r).toEqual({
      ok: true,
      value: { app: 'checkout', hostname: 'web-1', timestamp: 1_764_071_999.123456, level: 40, text: 'hello', fields: { a: '1' }, id: 'p-1' },
    });
  });

  it.each<[dts.LogMessage.$Properties, string]>([
    [{ app: '' }, 'app'],
    [{ app: 'a'.repeat(128) }, 'ok'],
    [{ app: 'a'.repeat(129) }, 'app'],
    [{ hostname: '' }, 'hostname'],
    [{ hostname: 'h'.repeat(255) }, 'ok'],
    [{ hostname: 'h'.repeat(256) }, 'hostname'],
    [{ timestamp: NaN }, 'timestamp'],
    [{ timestamp: Infinity }, 'timestamp'],
    [{ timestamp: 0 }, 'timestamp'],
    [{ timestamp: -1 }, 'timestamp'],
    [{ timestamp: SECONDS + 86_400 }, 'ok'],
    [{ timestamp: SECONDS + 86_400.001 }, 'timestamp'],
    [{ fields: map(64) }, 'ok'],
    [{ fields: map(65) }, 'fields'],
    [{ fields: { k: 'v'.repeat(1025) } }, 'fields.k'],
    [{ id: 'i'.repeat(128) }, 'ok'],
    [{ id: 'i'.repeat(129) }, 'id'],
  ])('%j → %s', (over, expected) => {
    expect(fieldOf(validateLogRecord(log(over), NOW, LIMITS))).toBe(expected);
  });

  describe('levels: known numbers kept, others mapped to the nearest (ties to the more severe)', () => {
    it.each<[number, LogLevel]>([
      [10, 10], [20, 20], [30, 30], [40, 40], [50, 50],
      [15, 20], [25, 30], [35, 40], [45, 50],
      [14, 10], [16, 20], [26, 30], [44, 40],
      [0, 10], [5, 10], [-100, 10],
      [51, 50], [99, 50], [2_147_483_647, 50],
      [14.9, 10], [15.1, 20],
    ])('%d → %d', (raw, expected) => {
      expect(normalizeLevel(raw)).toBe(expected);
    });

    it('applies the mapping to a record', () => {
      expect(validateLogRecord(log({ level: 25 }), NOW, LIMITS)).toMatchObject({ ok: true, value: { level: 30 } });
      expect(validateLogRecord(log({ level: 0 }), NOW, LIMITS)).toMatchObject({ ok: true, value: { level: 10 } });
    });
  });

  describe('text cap', () => {
    const marker = /^(.*) …\[truncated (\d+) bytes\]$/su;

    it('keeps text of exactly the cap unchanged, and truncates one byte more', () => {
      expect(validateLogRecord(log({ text: 'x'.repeat(32 * 1024) }), NOW, LIMITS)).toMatchObject({ ok: true, value: { text: 'x'.repeat(32 * 1024) } });
      const r = validateLogRecord(log({ text: 'x'.repeat(32 * 1024 + 1) }), NOW, LIMITS);
      expect(r.ok && r.value.text).toBe(`${'x'.repeat(32 * 1024)} …[truncated 1 bytes]`);
    });

    it('truncates ASCII at exactly the cap, with a marker saying how much was cut', () => {
      expect(truncateText('abcdefghij', 4)).toBe('abcd …[truncated 6 bytes]');
    });

    it.each([
      ['2-byte é', 'é'],
      ['3-byte €', '€'],
      ['4-byte 😀', '😀'],
      ['mixed', 'aé€😀'],
    ])('never splits a multi-byte character (%s), at every cut', (_name, unit) => {
      const text = unit.repeat(20);
      const total = Buffer.byteLength(text);
      for (let cap = 1; cap < total; cap++) {
        const out = truncateText(text, cap);
        const kept = marker.exec(out)?.[1];
        if (kept === undefined) throw new Error(`cap ${cap}: no truncation marker in ${JSON.stringify(out)}`);
        expect(kept).not.toContain('\uFFFD');
        expect(text.startsWith(kept)).toBe(true);
        expect(Buffer.byteLength(kept)).toBeLessThanOrEqual(cap);
        // The longest whole-character prefix that fits: one more character would not.
        const [nextChar = ''] = [...text.slice(kept.length)];
        expect(Buffer.byteLength(kept + nextChar)).toBeGreaterThan(cap);
      }
    });

    it('keeps a text that fits, even multi-byte, unchanged', () => {
      expect(truncateText('€€€', 9)).toBe('€€€');
      expect(truncateText('', 1)).toBe('');
    });
  });

  describe('content ids for records sent without one', () => {
    const base: Omit<LogRecord, 'id'> = { app: 'checkout', hostname: 'web-1', timestamp: 1_764_071_999.5, level: 20 as LogLevel, text: 'hello', fields: { a: '1', b: '2' } };

    it('are stable: the same content gives the same id, and a validated record carries it', () => {
      expect(contentId(base)).toBe(contentId({ ...base, fields: { ...base.fields } }));
      const r = validateLogRecord(log({ timestamp: base.timestamp, fields: base.fields }), NOW, LIMITS);
      expect(r.ok && r.value.id).toBe(contentId(base));
      expect(contentId(base)).toMatch(/^[A-Za-z0-9_-]{22}$/);
    });

    it('do not depend on the order of the fields', () => {
      expect(contentId({ ...base, fields: { b: '2', a: '1' } })).toBe(contentId(base));
    });

    it('differ when anything differs', () => {
      const variants: Omit<LogRecord, 'id'>[] = [
        { ...base, app: 'checkout2' },
        { ...base, hostname: 'web-2' },
        { ...base, timestamp: base.timestamp + 0.000001 },
        { ...base, level: 30 as LogLevel },
        { ...base, text: 'hello!' },
        { ...base, fields: { a: '1', b: '3' } },
        { ...base, fields: { a: '1' } },
        { ...base, fields: { a: '1', b: '2', c: '' } },
        { ...base, fields: { 'a': '1b', '': '2' } },
      ];
      const ids = new Set([contentId(base), ...variants.map(contentId)]);
      expect(ids.size).toBe(variants.length + 1);
    });

    it('a producer id wins over the content id, so two identical texts with two ids stay two', () => {
      const a = validateLogRecord(log({ id: 'p-1' }), NOW, LIMITS);
      const b = validateLogRecord(log({ id: 'p-2' }), NOW, LIMITS);
      expect(a.ok && a.value.id).toBe('p-1');
      expect(b.ok && b.value.id).toBe('p-2');
    });
  });
});

describe('log batch validation', () => {
  const records = (n: number, bad: Record<number, dts.LogMessage.$Properties> = {}) =>
    Array.from({ length: n }, (_, i) => ({ app: 'a', hostname: 'h', timestamp: SECONDS, level: 20, text: `r${i}`, ...bad[i] }));

  it(`accepts ${MAX_BATCH_RECORDS.toLocaleString('en')} records`, () => {
    expect(MAX_BATCH_RECORDS).toBe(10_000);
    const r = validateLogBatch(dts.LogBatch.create({ records: records(10_000) }), NOW, LIMITS);
    expect(r.ok && r.value.records.length).toBe(10_000);
    expect(r.ok && r.value.rejected).toEqual([]);
    expect(r.ok && new Set(r.value.records.map((x) => x.id)).size).toBe(10_000);
  });

  it('rejects 10,001 records as a whole, naming the records', () => {
    const r = validateLogBatch(dts.LogBatch.create({ records: records(10_001) }), NOW, LIMITS);
    expect(r).toEqual({ ok: false, error: { field: 'records', reason: '10001 records, at most 10000 allowed' } });
  });

  it('refuses an empty batch with a reason: it would store nothing, silently (#10 repro 7)', () => {
    expect(validateLogBatch(dts.LogBatch.create({}), NOW, LIMITS)).toMatchObject({ ok: false, error: { field: 'records', reason: expect.stringMatching(/no records/) } });
  });

  it('keeps the good records of a batch with one bad record, and names the bad one by index and field', () => {
    const input = records(3, { 1: { hostname: '' } });
    const r = validateLogBatch(dts.LogBatch.create({ records: input }), NOW, LIMITS);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.records.map((x) => x.text)).toEqual(['r0', 'r2']);
    expect(r.value.rejected).toHaveLength(1);
    expect(r.value.rejected[0]).toMatchObject({ index: 1, field: 'records[1].hostname', reason: 'must not be empty' });
    expect(r.value.rejected[0]?.message.text).toBe('r1');
  });

  it('keeps the good records when several are bad in different ways', () => {
    const input = records(5, { 0: { timestamp: NaN }, 4: { app: '' } });
    const r = validateLogBatch(dts.LogBatch.create({ records: input }), NOW, LIMITS);
    expect(r.ok && r.value.records.map((x) => x.text)).toEqual(['r1', 'r2', 'r3']);
    expect(r.ok && r.value.rejected.map((x) => x.field)).toEqual(['records[0].timestamp', 'records[4].app']);
  });
});
