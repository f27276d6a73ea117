/**
 * #10: what validation must refuse (or normalise) so that every later step (the SDK's
 * marshalling, DynamoDB, SNS) can carry what it accepted. Each case names the field and the reason.
 */
import { describe, expect, it } from 'vitest';
import { decodeBody, encodeBody } from '../../lib/wire/codec';
import { dts } from '../../lib/wire/generated/dts.js';
import { storableNumber, validateHeartbeat, validateLogBatch, validateLogRecord, type Limits } from '../../lib/wire/validate';

const LIMITS: Limits = { maxFutureSeconds: 86_400, textMaxBytes: 32 * 1024 };
const NOW = Date.UTC(2025, 10, 25, 12, 0, 0);
const SECONDS = NOW / 1000;

const beat = (over: dts.HeartbeatMessage.$Properties = {}) =>
  dts.HeartbeatMessage.create({ hostname: 'web-1', timestamp: SECONDS, interval: 60, ...over });
const log = (over: dts.LogMessage.$Properties = {}) =>
  dts.LogMessage.create({ app: 'checkout', hostname: 'web-1', timestamp: SECONDS, level: 20, text: 'hello', ...over });
const verdict = (r: { ok: boolean; error?: { field: string; reason: string } }) => (r.ok ? 'ok' : `${r.error?.field}: ${r.error?.reason}`);

describe('repro 1: map keys that are not safe as object keys', () => {
  it.each(['constructor', '__proto__'])('refuses a fields key %j with the key named', (key) => {
    expect(verdict(validateLogRecord(log({ fields: { [key]: 'x' } }), NOW, LIMITS))).toMatch(new RegExp(`^fields\\.${key}: .*not safe as an object key`));
    expect(verdict(validateHeartbeat(beat({ labels: { [key]: 'x' } }), NOW, LIMITS))).toMatch(new RegExp(`^labels\\.${key}: `));
  });

  it('refuses __proto__ in a JSON body, where fromObject would drop it silently', () => {
    const body = JSON.stringify({ app: 'a', hostname: 'h', timestamp: SECONDS, fields: { ok: '1' } }).replace('"ok"', '"__proto__"');
    expect(verdict(decodeBody('dts.LogMessage', body))).toBe('fields.__proto__: a map key that is not safe as an object key');
  });

  it('refuses __proto__ in a protobuf body, found in the bytes before the decoder drops it', () => {
    const fields = Object.create(null) as Record<string, string>;
    fields.__proto__ = 'x';
    fields.ok = 'y';
    const body = encodeBody('dts.LogBatch', { records: [{ app: 'a', hostname: 'h', timestamp: SECONDS }, { app: 'a', hostname: 'h', timestamp: SECONDS, fields }] });
    expect(verdict(decodeBody('dts.LogBatch', body))).toBe('records[1].fields.__proto__: a map key that is not safe as an object key');
    const labels = Object.create(null) as Record<string, string>;
    labels.__proto__ = 'x';
    expect(verdict(decodeBody('dts.HeartbeatMessage', encodeBody('dts.HeartbeatMessage', { hostname: 'h', labels })))).toBe('labels.__proto__: a map key that is not safe as an object key');
  });

  it('keeps ordinary keys that merely look like Object methods', () => {
    const r = validateLogRecord(log({ fields: { toString: 'a', hasOwnProperty: 'b', valueOf: 'c', prototype: 'd' } }), NOW, LIMITS);
    expect(r.ok && r.value.fields).toEqual({ toString: 'a', hasOwnProperty: 'b', valueOf: 'c', prototype: 'd' });
  });
});

describe('repro 2: numbers the SDK or DynamoDB cannot store', () => {
  it.each<[string, dts.HeartbeatMessage.$Properties, string]>([
    ['disk.total 1e16 (above 2^53)', { disk: { percent: 5, total: 1e16 } }, 'disk.total'],
    ['disk.total 1e200', { disk: { percent: 5, total: 1e200 } }, 'disk.total'],
    ['mem.used 1e300', { mem: { percent: 5, used: 1e300 } }, 'mem.used'],
    ['uptime 2^60', { uptime: 2 ** 60 }, 'uptime'],
  ])('refuses %s, naming the field', (_, over, field) => {
    expect(verdict(validateHeartbeat(beat(over), NOW, LIMITS))).toMatch(new RegExp(`^${field.replace('.', '\\.')}: .*above 2\\^53`));
  });

  it('stores a magnitude below DynamoDB’s 1e-130 as 0 (the documented normalisation)', () => {
    const r = validateHeartbeat(beat({ cpu: { percent: 1e-200, load1: 1e-140, load5: 0.5 } }), NOW, LIMITS);
    expect(r.ok && r.value.cpu).toEqual({ percent: 0, load5: 0.5 });
  });

  it('accepts 2^53 itself and ordinary fractions unchanged', () => {
    expect(storableNumber(2 ** 53 - 1)).toBe(2 ** 53 - 1);
    expect(storableNumber(2 ** 53 + 2)).toBeUndefined();
    expect(storableNumber(0.1 + 0.2)).toBe(0.1 + 0.2);
    expect(storableNumber(-1e-131)).toBe(0);
    expect(storableNumber(Number.NaN)).toBeUndefined();
  });
});

describe('repro 3: timestamps that are not times', () => {
  it.each([1e300, 1e20, Number.MAX_VALUE, 1e-200, 0.5])('refuses timestamp %d with a reason, not a RangeError, on both messages', (timestamp) => {
    expect(() => validateLogRecord(log({ timestamp }), NOW, LIMITS)).not.toThrow();
    expect(verdict(validateLogRecord(log({ timestamp }), NOW, LIMITS))).toMatch(/^timestamp: .*not a time/);
    expect(verdict(validateHeartbeat(beat({ timestamp }), NOW, LIMITS))).toMatch(/^timestamp: .*not a time/);
  });
});

describe('repro 4: lone surrogates', () => {
  it.each<[string, dts.LogMessage.$Properties, string]>([
    ['hostname', { hostname: 'rep-\ud800' }, 'hostname'],
    ['app', { app: 'a\udc00b' }, 'app'],
    ['text', { text: 'tail \ud83d' }, 'text'],
    ['id', { id: '\udfff' }, 'id'],
    ['fields value', { fields: { k: 'v\ud800' } }, 'fields.k'],
  ])('refuses one in the log %s', (_, over, field) => {
    expect(verdict(validateLogRecord(log(over), NOW, LIMITS))).toMatch(new RegExp(`^${field.replace('.', '\\.')}: contains a lone surrogate`));
  });

  it('refuses one in a heartbeat hostname, label or mount', () => {
    expect(verdict(validateHeartbeat(beat({ hostname: 'rep-\ud800' }), NOW, LIMITS))).toBe('hostname: contains a lone surrogate (U+D800) at 4: not valid Unicode');
    expect(verdict(validateHeartbeat(beat({ labels: { env: '\udc00' } }), NOW, LIMITS))).toMatch(/^labels\.env: contains a lone surrogate/);
    expect(verdict(validateHeartbeat(beat({ disk: { percent: 1, mount: '/\ud800' } }), NOW, LIMITS))).toMatch(/^disk\.mount: /);
  });

  it('accepts emoji (surrogate pairs) everywhere', () => {
    const r = validateLogRecord(log({ hostname: 'web-🔥', app: '🚀', text: '👍🏽', id: '🆔', fields: { '🔑': '💡' } }), NOW, LIMITS);
    expect(r.ok).toBe(true);
  });
});

describe('repro 5: control characters in names', () => {
  it.each(['\u0085', '\u009b', '\u0080', '\u009f', '\u007f', '\u0000'])('refuses U+%s in a hostname and an app', (c) => {
    expect(verdict(validateHeartbeat(beat({ hostname: `web${c}1` }), NOW, LIMITS))).toMatch(/^hostname: must not contain control characters/);
    expect(verdict(validateLogRecord(log({ app: `a${c}` }), NOW, LIMITS))).toMatch(/^app: must not contain control characters/);
  });

  it('still accepts Latin-1 letters just past C1', () => {
    expect(validateHeartbeat(beat({ hostname: 'h\u00a0ö' }), NOW, LIMITS).ok).toBe(true);
  });
});

describe('issue 20, finding 10: bidi controls in names', () => {
  it.each(['\u202e', '\u202a', '\u202d', '\u2066', '\u2069', '\u200e', '\u200f', '\u061c'])('refuses U+%s in a hostname and an app, naming it', (c) => {
    const code = `U+${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
    expect(verdict(validateHeartbeat(beat({ hostname: `good${c}exe.txt` }), NOW, LIMITS))).toBe(`hostname: must not contain bidi controls (here ${code}): they reorder what a reader sees`);
    expect(verdict(validateLogRecord(log({ app: `a${c}` }), NOW, LIMITS))).toMatch(/^app: must not contain bidi controls/);
  });

  it('accepts names in right-to-left scripts, which need no control', () => {
    expect(validateHeartbeat(beat({ hostname: 'خادم-١' }), NOW, LIMITS).ok).toBe(true);
    expect(validateHeartbeat(beat({ hostname: 'שרת-1' }), NOW, LIMITS).ok).toBe(true);
  });
});

describe('repro 7: a LogMessage sent as a LogBatch, and an empty batch', () => {
  it('refuses JSON fields the declared message does not have, naming the first', () => {
    const body = JSON.stringify({ app: 'a', hostname: 'h', timestamp: SECONDS, text: 'x' });
    expect(verdict(decodeBody('dts.LogBatch', body))).toBe('app: dts.LogBatch has no field "app"');
  });

  it('refuses an empty {} batch', () => {
    const d = decodeBody('dts.LogBatch', '{}');
    expect(d.ok).toBe(true);
    if (d.ok) expect(verdict(validateLogBatch(d.value, NOW, LIMITS))).toMatch(/^records: a LogBatch with no records/);
  });
});
