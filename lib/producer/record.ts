/**
 * A log record as a program hands it to the producer, and its encoding. The id is fixed here,
 * once, so every retry and every redelivery of the record carries the same id and the logs
 * table keeps one row for it.
 */
import { randomBytes } from 'node:crypto';
import { LOG_LEVELS, type LogLevel } from '../domain/model';
import { fail, ok, type Result } from '../wire/codec';
import { dts } from '../wire/generated/dts.js';
import { MAX_APP, MAX_HOSTNAME, MAX_ID, normalizeLevel, truncateText } from '../wire/validate';

/** A Python logging number, or a level name (case-insensitive; `warn` and `fatal` are accepted). */
export type LevelInput = number | string;

export interface LogInput {
  text: string;
  /** Default INFO. */
  level?: LevelInput;
  /** Default: the producer's app. */
  app?: string;
  /** Default: the producer's hostname. */
  hostname?: string;
  /** Seconds since the epoch (with fractions), or a Date. Default: now, with microseconds. */
  timestamp?: number | Date;
  fields?: Record<string, string | number | boolean>;
  /** Default: 22 random url-safe characters. */
  id?: string;
}

const NAMES: Record<string, LogLevel> = {
  debug: LOG_LEVELS.DEBUG,
  info: LOG_LEVELS.INFO,
  warning: LOG_LEVELS.WARNING,
  warn: LOG_LEVELS.WARNING,
  error: LOG_LEVELS.ERROR,
  critical: LOG_LEVELS.CRITICAL,
  fatal: LOG_LEVELS.CRITICAL,
};

/** `"warning"`, `"WARN"`, `30` or `"30"` → 30; undefined when it is none of those. */
export function parseLevel(input: LevelInput): LogLevel | undefined {
  if (typeof input === 'number') return Number.isFinite(input) ? normalizeLevel(input) : undefined;
  const s = input.trim().toLowerCase();
  if (s in NAMES) return NAMES[s];
  if (/^\d+$/.test(s)) return normalizeLevel(Number(s));
  return undefined;
}

/** Now, in seconds since the epoch with microseconds. */
export function nowSeconds(): number {
  return Math.round((performance.timeOrigin + performance.now()) * 1000) / 1_000_000;
}

export function newRecordId(): string {
  return randomBytes(16).toString('base64url');
}

export interface RecordDefaults {
  readonly app: string | undefined;
  readonly hostname: string;
  /** UTF-8 bytes of text kept before the rest is cut with a marker. */
  readonly textMaxBytes: number;
  /** The largest encoded record that still fits in one SQS message. */
  readonly maxRecordBytes: number;
}

/** Encode one record, cutting its text if it would not fit in a message; an error names the field at fault. */
export function encodeRecord(input: LogInput, d: RecordDefaults): Result<Uint8Array> {
  if (input === null || typeof input !== 'object') return fail('record', 'must be an object with a text');
  const app = input.app ?? d.app;
  if (!app) return fail('app', 'missing: pass it to log() or set the producer\'s app');
  if (app.length > MAX_APP) return fail('app', `at most ${MAX_APP} characters`);
  const hostname = input.hostname ?? d.hostname;
  if (!hostname || hostname.length > MAX_HOSTNAME) return fail('hostname', `must have 1–${MAX_HOSTNAME} characters`);
  const level = parseLevel(input.level ?? LOG_LEVELS.INFO);
  if (level === undefined) return fail('level', `unknown level ${JSON.stringify(input.level)}`);
  const id = input.id ?? newRecordId();
  if (id.length > MAX_ID) return fail('id', `at most ${MAX_ID} characters`);
  const timestamp = input.timestamp instanceof Date ? input.timestamp.getTime() / 1000 : (input.timestamp ?? nowSeconds());
  if (!Number.isFinite(timestamp) || timestamp <= 0) return fail('timestamp', 'must be seconds since the epoch');
  const fields: Record<string, string> = {};
  for (const [k, v] of Object.entries(input.fields ?? {})) fields[k] = String(v);

  const message = { app, hostname, timestamp, level, id, fields, text: truncateText(String(input.text ?? ''), d.textMaxBytes) };
  let bytes = dts.LogMessage.encode(message).finish();
  if (bytes.length > d.maxRecordBytes) {
    // Too big for any message: keep as much of the text as fits, with the marker saying so.
    const over = bytes.length - d.maxRecordBytes;
    const budget = Buffer.byteLength(message.text) - over - 64;
    if (budget > 0) bytes = dts.LogMessage.encode({ ...message, text: truncateText(message.text, budget) }).finish();
    if (bytes.length > d.maxRecordBytes) return fail('fields', `record is ${bytes.length} bytes even without its text; at most ${d.maxRecordBytes} fit in a message`);
  }
  return ok(bytes);
}
