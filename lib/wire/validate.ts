import { createHash } from 'node:crypto';
import { LEVEL_NUMBERS, METRICS, type Beat, type HourPeaks, type LogLevel, type LogRecord } from '../domain/model';
import { fail, ok, type Result } from './codec';
import type { dts } from './generated/dts.js';

/** Bounds on what one message may carry. Past them a field is an error, not a silent cut. */
export interface Limits {
  /** Seconds a producer's clock may be ahead of the queue's. */
  readonly maxFutureSeconds: number;
  /** UTF-8 bytes of log text kept; the rest is replaced by a marker. */
  readonly textMaxBytes: number;
}

export const MAX_HOSTNAME = 255;
export const MAX_APP = 128;
export const MAX_BATCH_RECORDS = 10_000;
export const MAX_MAP_ENTRIES = 64;
export const MAX_MAP_KEY = 128;
export const MAX_MAP_VALUE = 1024;
export const MAX_INTERVAL = 86_400;
export const MAX_ID = 128;

// C0, DEL and C1: none of them belongs in a name, and C1 (U+0085, U+009B...) reads as a line
// break or a terminal escape in the places names are printed.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
/**
 * The bidi controls (ALM, LRM, RLM, the embeddings and overrides, the isolates): in a name they
 * reorder what a reader sees, so `good\u202Eexe.txt` reads as `goodtxt.exe`.
 */
const BIDI = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

/**
 * The largest magnitude a number may have: beyond 2^53 a double no longer holds every integer,
 * and the SDK refuses to marshal it (it would not read back equal).
 */
export const MAX_NUMBER = Number.MAX_SAFE_INTEGER;
/** DynamoDB stores no magnitude below 1e-130; such a figure is stored as 0 (the documented normalisation). */
export const MIN_MAGNITUDE = 1e-130;
/** Timestamps past the year 9999 are not times (and `Date` cannot format them). */
export const MAX_TIMESTAMP_SECONDS = 253_402_300_799;
/** Map keys that are not safe as object keys: they change the object instead of adding to it. */
const UNSAFE_KEYS = new Set(['__proto__', 'constructor']);

// In `u` mode a surrogate pair is one code point, so this matches only a lone surrogate.
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

/** A string that every later step can carry: well-formed UTF-16 (no lone surrogate), which SNS, URI encoding and UTF-8 need. */
function wellFormed(field: string, value: string): Result<string> {
  const lone = LONE_SURROGATE.exec(value);
  if (lone) return fail(field, `contains a lone surrogate (U+${lone[0].charCodeAt(0).toString(16).toUpperCase()}) at ${lone.index}: not valid Unicode`);
  return ok(value);
}

/** A number DynamoDB and the SDK carry exactly: finite, |n| ≤ 2^53; a magnitude below 1e-130 becomes 0. */
export function storableNumber(n: number): number | undefined {
  if (!Number.isFinite(n) || Math.abs(n) > MAX_NUMBER) return undefined;
  return Math.abs(n) < MIN_MAGNITUDE ? 0 : n;
}

function name(field: string, value: string | null | undefined, max: number): Result<string> {
  const v = value ?? '';
  if (v.trim() === '') return fail(field, 'must not be empty');
  // Bytes, not characters: these names go into DynamoDB keys, whose size limits are in bytes
  // (a sort key holds the host and the record id, and may not pass 1,024).
  const bytes = Buffer.byteLength(v, 'utf8');
  if (bytes > max) return fail(field, `${bytes} bytes of UTF-8, at most ${max} allowed`);
  if (CONTROL.test(v)) return fail(field, 'must not contain control characters (C0 or C1)');
  const bidi = BIDI.exec(v);
  if (bidi) return fail(field, `must not contain bidi controls (here U+${bidi[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}): they reorder what a reader sees`);
  return wellFormed(field, v);
}

/** A free-text string (log text, label values, a mount point): any characters but lone surrogates. */
function text(field: string, value: string | null | undefined): Result<string> {
  return wellFormed(field, value ?? '');
}

/** A producer timestamp in seconds → milliseconds, checked against the receive time. */
function timestamp(field: string, seconds: number | null | undefined, receivedAt: number, limits: Limits): Result<number> {
  const s = seconds ?? 0;
  if (!Number.isFinite(s)) return fail(field, `not a finite number (${s})`);
  if (s <= 0) return fail(field, 'missing or not after the epoch');
  if (s < 1) return fail(field, `${s} is less than a second after the epoch: not a time`);
  if (s > MAX_TIMESTAMP_SECONDS) return fail(field, `${s} seconds is after the year 9999: not a time`);
  const ms = s * 1000;
  if (ms > receivedAt + limits.maxFutureSeconds * 1000) {
    return fail(field, `${new Date(ms).toISOString()} is more than ${limits.maxFutureSeconds}s ahead of the receive time`);
  }
  return ok(ms);
}

function percent(field: string, value: number | null | undefined): Result<number> {
  const v = value ?? 0;
  if (!Number.isFinite(v) || v < 0 || v > 100) return fail(field, `${v} is not a percent within 0–100`);
  return ok(storableNumber(v) as number);
}

function nonNegative(field: string, value: number | null | undefined): Result<number | undefined> {
  if (value === null || value === undefined) return ok(undefined);
  if (!Number.isFinite(value) || value < 0) return fail(field, `${value} must be a finite number ≥ 0`);
  const stored = storableNumber(value);
  if (stored === undefined) return fail(field, `${value} is above 2^53 (${MAX_NUMBER}): it cannot be stored exactly`);
  return ok(stored);
}

function stringMap(field: string, map: Record<string, string> | null | undefined): Result<Record<string, string>> {
  const entries = Object.entries(map ?? {});
  if (entries.length > MAX_MAP_ENTRIES) return fail(field, `${entries.length} entries, at most ${MAX_MAP_ENTRIES} allowed`);
  for (const [k, v] of entries) {
    const at = `${field}.${JSON.stringify(k.slice(0, 32)).slice(1, -1)}`;
    if (k.length === 0 || k.length > MAX_MAP_KEY) return fail(at, `key must have 1–${MAX_MAP_KEY} characters`);
    if (UNSAFE_KEYS.has(k)) return fail(at, `${JSON.stringify(k)} is not allowed as a key (it is not safe as an object key)`);
    if (CONTROL.test(k)) return fail(at, 'key must not contain control characters (C0 or C1)');
    const key = wellFormed(at, k);
    if (!key.ok) return key;
    if (typeof v !== 'string') return fail(at, 'value must be a string');
    if (v.length > MAX_MAP_VALUE) return fail(at, `value has ${v.length} characters, at most ${MAX_MAP_VALUE} allowed`);
    const value = text(at, v);
    if (!value.ok) return value;
  }
  return ok(Object.fromEntries(entries));
}

type Sample = { percent?: number | null };

function sample<T extends Sample, R>(
  field: string,
  value: T | null | undefined,
  build: (p: number) => Result<R>,
): Result<R | undefined> {
  if (value === null || value === undefined) return ok(undefined);
  const p = percent(`${field}.percent`, value.percent);
  return p.ok ? build(p.value) : p;
}

/** Every figure of a sample must be sound; the first one that is not names the failure. */
function figures<K extends string>(field: string, values: Record<K, number | null | undefined>): Result<Partial<Record<K, number>>> {
  const out: Partial<Record<K, number>> = {};
  for (const key of Object.keys(values) as K[]) {
    const r = nonNegative(`${field}.${key}`, values[key]);
    if (!r.ok) return r;
    if (r.value !== undefined && r.value !== 0) out[key] = r.value;
  }
  return ok(out);
}

export function validateHeartbeat(m: dts.HeartbeatMessage, receivedAt: number, limits: Limits): Result<Beat> {
  const hostname = name('hostname', m.hostname, MAX_HOSTNAME);
  if (!hostname.ok) return hostname;
  // A beat typed by hand may carry no timestamp (proto3 cannot tell 0 from absent): its host time
  // is then taken to be the receive time, so its skew reads 0. Liveness never uses it anyway.
  const sentAt = m.timestamp === 0 || m.timestamp == null ? ok(receivedAt) : timestamp('timestamp', m.timestamp, receivedAt, limits);
  if (!sentAt.ok) return sentAt;
  const interval = m.interval ?? 0;
  if (interval > MAX_INTERVAL) return fail('interval', `${interval}s is longer than the ${MAX_INTERVAL}s allowed`);
  const cpu = sample('cpu', m.cpu, (p) => {
    const f = figures('cpu', { cores: m.cpu?.cores, load1: m.cpu?.load1, load5: m.cpu?.load5, load15: m.cpu?.load15 });
    return f.ok ? ok({ percent: p, ...f.value }) : f;
  });
  if (!cpu.ok) return cpu;
  const mem = sample('mem', m.mem, (p) => {
    const f = figures('mem', { total: m.mem?.total, used: m.mem?.used, available: m.mem?.available });
    return f.ok ? ok({ percent: p, ...f.value }) : f;
  });
  if (!mem.ok) return mem;
  const disk = sample('disk', m.disk, (p) => {
    const f = figures('disk', { total: m.disk?.total, used: m.disk?.used });
    if (!f.ok) return f;
    const mount = m.disk?.mount ?? '';
    if (mount.length > MAX_MAP_VALUE) return fail('disk.mount', `at most ${MAX_MAP_VALUE} characters allowed`);
    const mountOk = text('disk.mount', mount);
    if (!mountOk.ok) return mountOk;
    return ok({ percent: p, ...f.value, ...(mount ? { mount } : {}) });
  });
  if (!disk.ok) return disk;
  const labels = stringMap('labels', m.labels);
  if (!labels.ok) return labels;
  // proto3 cannot tell 0 from absent, and no running host has been up for 0 s.
  const uptime = nonNegative('uptime', m.uptime === 0 ? undefined : m.uptime);
  if (!uptime.ok) return uptime;
  const agentName = m.agent?.name ?? '';
  const agentVersion = m.agent?.version ?? '';
  if (agentName.length > MAX_APP || agentVersion.length > MAX_APP) return fail('agent', `name and version have at most ${MAX_APP} characters`);
  for (const [field, value] of [['agent.name', agentName], ['agent.version', agentVersion]] as const) {
    if (CONTROL.test(value)) return fail(field, 'must not contain control characters (C0 or C1)');
    const v = wellFormed(field, value);
    if (!v.ok) return v;
  }
  const hourPeaks = peaksOf(m.hourPeaks, sentAt.value);
  if (!hourPeaks.ok) return hourPeaks;

  return ok({
    hostname: hostname.value,
    receivedAt,
    sentAt: sentAt.value,
    interval,
    ...(cpu.value ? { cpu: cpu.value } : {}),
    ...(mem.value ? { mem: mem.value } : {}),
    ...(disk.value ? { disk: disk.value } : {}),
    labels: labels.value,
    goodbye: m.goodbye === true,
    ...(agentName ? { agent: { name: agentName, version: agentVersion } } : {}),
    ...(uptime.value !== undefined ? { uptime: uptime.value } : {}),
    ...(hourPeaks.value ? { hourPeaks: hourPeaks.value } : {}),
  });
}

/**
 * The sender's peaks of its current hour: each a percent (a bad one fails the beat, as a bad
 * sample does). Peaks of another hour than the beat's own timestamp say nothing about this beat's
 * hour and are left out (the beat then counts as its own readings).
 */
function peaksOf(p: dts.IHourPeaks | null | undefined, sentAt: number): Result<HourPeaks | undefined> {
  if (p === null || p === undefined) return ok(undefined);
  const out: HourPeaks = { hour: Number(p.hour ?? 0) };
  for (const r of METRICS) {
    const v = percent(`hourPeaks.${r}`, p[r]);
    if (!v.ok) return v;
    // proto3 cannot tell 0 from absent; a peak of 0 adds nothing to the beat's own reading.
    if (v.value > 0) out[r] = v.value;
  }
  return ok(out.hour === Math.floor(sentAt / 3_600_000) ? out : undefined);
}

/**
 * Python's levels, and any other number mapped to the nearest of them (a tie goes to the more
 * severe, so a custom level between WARNING and ERROR is never under-reported).
 */
export function normalizeLevel(level: number): LogLevel {
  let best: LogLevel = 10;
  for (const known of LEVEL_NUMBERS) {
    if (Math.abs(known - level) <= Math.abs(best - level)) best = known;
  }
  return best;
}

export function truncateText(text: string, maxBytes: number): string {
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes <= maxBytes) return text;
  const keep = Buffer.from(text, 'utf8').subarray(0, maxBytes);
  // Drop a multi-byte character cut in half rather than store a replacement character.
  const kept = new TextDecoder('utf-8', { fatal: false }).decode(keep).replace(/\uFFFD$/, '');
  return `${kept} …[truncated ${bytes - Buffer.byteLength(kept, 'utf8')} bytes]`;
}

/** A stable id for a record that came without one: redelivery and producer retries collapse. */
export function contentId(r: Omit<LogRecord, 'id'>): string {
  const fields = Object.keys(r.fields).sort().map((k) => [k, r.fields[k]]);
  return createHash('sha256')
    .update(JSON.stringify([r.app, r.hostname, r.timestamp, r.level, r.text, fields]))
    .digest('base64url')
    .slice(0, 22);
}

export function validateLogRecord(m: dts.LogMessage, receivedAt: number, limits: Limits): Result<LogRecord> {
  const app = name('app', m.app, MAX_APP);
  if (!app.ok) return app;
  const hostname = name('hostname', m.hostname, MAX_HOSTNAME);
  if (!hostname.ok) return hostname;
  const ts = timestamp('timestamp', m.timestamp, receivedAt, limits);
  if (!ts.ok) return ts;
  const rawLevel = m.level ?? 0;
  if (!Number.isFinite(rawLevel)) return fail('level', `${rawLevel} is not a number`);
  const fields = stringMap('fields', m.fields);
  if (!fields.ok) return fields;
  const body = text('text', m.text);
  if (!body.ok) return body;
  const id = m.id ?? '';
  const idBytes = Buffer.byteLength(id, 'utf8');
  if (idBytes > MAX_ID) return fail('id', `${idBytes} bytes of UTF-8, at most ${MAX_ID} allowed`);
  if (CONTROL.test(id)) return fail('id', 'must not contain control characters (C0 or C1)');
  const idOk = wellFormed('id', id);
  if (!idOk.ok) return idOk;
  const record = {
    app: app.value,
    hostname: hostname.value,
    timestamp: m.timestamp ?? 0,
    level: normalizeLevel(rawLevel),
    text: truncateText(m.text ?? '', limits.textMaxBytes),
    fields: fields.value,
  };
  return ok({ ...record, id: id || contentId(record) });
}

export interface RejectedRecord {
  readonly index: number;
  readonly message: dts.LogMessage;
  readonly field: string;
  readonly reason: string;
}

/** Validate each record of a batch on its own: one bad record does not cost the others. */
export function validateLogBatch(
  batch: dts.LogBatch,
  receivedAt: number,
  limits: Limits,
): Result<{ records: LogRecord[]; rejected: RejectedRecord[] }> {
  const input = batch.records ?? [];
  // An empty batch stores nothing; acknowledging it would hide a sender's mistake (often a
  // LogMessage sent with dts-type dts.LogBatch, whose fields a LogBatch does not have).
  if (input.length === 0) return fail('records', 'a LogBatch with no records: nothing to store (a LogMessage sent as dts.LogBatch?)');
  if (input.length > MAX_BATCH_RECORDS) return fail('records', `${input.length} records, at most ${MAX_BATCH_RECORDS} allowed`);
  const records: LogRecord[] = [];
  const rejected: RejectedRecord[] = [];
  input.forEach((message, index) => {
    const r = validateLogRecord(message as dts.LogMessage, receivedAt, limits);
    if (r.ok) records.push(r.value);
    else rejected.push({ index, message: message as dts.LogMessage, field: `records[${index}].${r.error.field}`, reason: r.error.reason });
  });
  return ok({ records, rejected });
}


// A CheckPing's rules are the check's (lib/domain/check/ping.ts), apart from the codec, so that
// the API's /ping route does not carry the protobuf codec.
export { validateCheckPing, type ValidPing } from '../domain/check/ping';
