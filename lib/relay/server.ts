/**
 * The relay's HTTP side (node:http: four routes need no framework):
 *
 *   POST /beat   a HeartbeatMessage as JSON (or base64 protobuf), or an empty body with
 *                ?hostname=NAME[&interval=SECONDS][&label=key=value...]
 *   POST /log    a LogMessage or a LogBatch as JSON, or text lines with ?app=NAME[&level=...]
 *                [&hostname=NAME]
 *   GET  /stats  what the relay buffered, forwarded and dropped
 *   GET  /healthz  "ok", without a token (for load balancers; it tells nothing else)
 *   GET or POST /ping/<ping key>[/start|/fail|/<0-255>]
 *                a check's signal, as the HTTP API takes it: without the relay token (the
 *                ping key is the credential), forwarded as a CheckPing (docs/CHECKS.md)
 *
 * Every route but /healthz needs `Authorization: Bearer <relay token>`, compared in constant
 * time. A beat is stamped with the relay's receive time the moment it arrives.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Producer, ProducerApi } from '../producer/producer';
import { BODY_LIMIT_BYTES } from '../domain/check/signal';
import { encodeRecord, type LogInput } from '../producer/record';
import { decodeBody, describe } from '../wire/codec';
import type { dts } from '../wire/generated/dts.js';
import { validateCheckPing, validateHeartbeat, type Limits } from '../wire/validate';
import { heldBeat, type BeatBuffer } from './beat-buffer';
import { ANY_HOST, type HostPolicy } from './host-policy';

export const MAX_BEAT_BODY = 64 * 1024;
export const MAX_LOG_BODY = 1024 * 1024;
const LIMITS: Limits = { maxFutureSeconds: 300, textMaxBytes: 32 * 1024 };

export interface RelayServerOptions {
  readonly token: string;
  readonly buffer: BeatBuffer;
  /** Where POST /log goes; undefined: the route answers 503. */
  readonly logs?: Producer;
  /** Where /ping signals go (the heartbeats queue); undefined: the route answers 503. */
  readonly pings?: Pick<ProducerApi, 'ping'>;
  readonly stats: () => Record<string, unknown>;
  readonly now?: () => number;
  /** The hosts this relay may speak for (--hosts); default any. */
  readonly hosts?: HostPolicy;
  /** Whether a goodbye may pass (--allow-goodbye): it makes a host `left`, which mutes its downs. */
  readonly allowGoodbye?: boolean;
  /** The longest a request may take to arrive whole; default 30 s (a beat is at most 64 KiB). */
  readonly requestTimeoutMs?: number;
}

class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

function tokenMatches(header: string | undefined, expected: Buffer): boolean {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  if (!m) return false;
  // Hash both sides: equal lengths for timingSafeEqual, and no length leaked.
  return timingSafeEqual(createHash('sha256').update(m[1] as string).digest(), expected);
}

async function readBody(req: IncomingMessage, max: number): Promise<string> {
  // Refused before a byte of it is kept: node:http drains what follows without holding it.
  if (Number(req.headers['content-length']) > max) throw new HttpError(413, `body larger than ${max} bytes`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > max) throw new HttpError(413, `body larger than ${max} bytes`);
    chunks.push(chunk as Buffer);
  }
  return (chunks.length === 1 ? chunks[0] as Buffer : Buffer.concat(chunks, size)).toString('utf8');
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = `${JSON.stringify(body)}\n`;
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** The beat a request carries. */
export function beatOf(body: string, query: URLSearchParams): dts.IHeartbeatMessage {
  let message: dts.IHeartbeatMessage;
  if (body.trim() === '') {
    const labels: Record<string, string> = {};
    for (const pair of query.getAll('label')) {
      const eq = pair.indexOf('=');
      if (eq <= 0) throw new HttpError(400, `label ${JSON.stringify(pair)}: use label=key=value`);
      labels[pair.slice(0, eq)] = pair.slice(eq + 1);
    }
    const interval = query.get('interval');
    if (interval !== null && !/^\d+$/.test(interval)) throw new HttpError(400, `interval ${JSON.stringify(interval)}: whole seconds expected`);
    message = { hostname: query.get('hostname') ?? '', interval: Number(interval ?? 0), labels };
  } else {
    const decoded = decodeBody('dts.HeartbeatMessage', body);
    if (!decoded.ok) throw new HttpError(400, describe(decoded.error));
    message = decoded.value;
    if (!message.hostname && query.get('hostname')) message.hostname = query.get('hostname') as string;
  }
  return message;
}

/** The log records a request carries. */
export function recordsOf(body: string, query: URLSearchParams): LogInput[] {
  const trimmed = body.trim();
  if (trimmed.startsWith('{')) {
    const isBatch = /^\{\s*"records"\s*:/.test(trimmed);
    const decoded = isBatch ? decodeBody('dts.LogBatch', trimmed) : decodeBody('dts.LogMessage', trimmed);
    if (!decoded.ok) throw new HttpError(400, describe(decoded.error));
    const records = 'records' in decoded.value ? decoded.value.records : [decoded.value as dts.LogMessage];
    return records.map((r) => ({
      text: r.text ?? '', level: r.level || 20, ...(r.app ? { app: r.app } : {}), ...(r.hostname ? { hostname: r.hostname } : {}),
      ...(r.timestamp ? { timestamp: r.timestamp } : {}), ...(r.id ? { id: r.id } : {}), fields: { ...(r.fields ?? {}) },
    }));
  }
  const app = query.get('app');
  if (!app) throw new HttpError(400, 'text lines need ?app=NAME (or send a JSON LogMessage)');
  const hostname = query.get('hostname');
  return body.split('\n').filter((l) => l.trim() !== '').map((text) => ({
    text, app, level: query.get('level') ?? 'info', ...(hostname ? { hostname } : {}),
  }));
}

/** At most this many refused records are explained in one answer. */
const MAX_REPORTED_ERRORS = 10;

/**
 * Why the producer refused a record, for its sender: the producer's own check, run again on the
 * refused record only (the relay's producer stays quiet about each one on stderr).
 */
export function whyRefused(r: LogInput): string {
  const checked = encodeRecord(r, { app: undefined, hostname: r.hostname ?? 'relay', textMaxBytes: LIMITS.textMaxBytes, maxRecordBytes: Number.MAX_SAFE_INTEGER });
  return checked.ok ? 'record: refused by the relay (too large for a message, or the relay is stopping)' : `${checked.error.field}: ${checked.error.reason}`;
}

function sendText(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/**
 * A check's ping, refused here when it is malformed (as the API would), else forwarded. The relay
 * cannot tell an unknown key from a known one: ingest refuses that to the heartbeats DLQ.
 */
async function relayPing(req: IncomingMessage, res: ServerResponse, pings: RelayServerOptions['pings'], key: string, status: string): Promise<void> {
  const output = req.method === 'POST' ? await readBody(req, BODY_LIMIT_BYTES) : '';
  // Keys and statuses are URL-safe: anything percent-encoded is refused by validation as it stands.
  const valid = validateCheckPing({ key, status, output });
  if (!valid.ok) return sendText(res, valid.error.field === 'key' ? 404 : 400, `${valid.error.reason}\n`);
  if (!pings) return sendText(res, 503, 'this relay forwards no pings (no heartbeats queue)\n');
  const sent = await pings.ping({ key }, status, output);
  return sent.ok ? sendText(res, 200, 'OK\n') : sendText(res, 503, `${sent.error.message}\n`);
}

export function createRelayServer(o: RelayServerOptions): Server {
  const expected = createHash('sha256').update(o.token).digest();
  const speaksFor = o.hosts ?? ANY_HOST;
  const allowed = (hostname: string): void => {
    if (!speaksFor(hostname)) throw new HttpError(403, `this relay does not speak for host ${JSON.stringify(hostname)}: its --hosts do not name it`);
  };
  const now = o.now ?? Date.now;
  // A sender that trickles its body (with the token) would otherwise hold a socket for Node's
  // default of 5 minutes, and enough of them the relay's file descriptors.
  const requestTimeout = o.requestTimeoutMs ?? 30_000;
  const timeouts = { requestTimeout, headersTimeout: Math.min(10_000, requestTimeout), connectionsCheckingInterval: Math.max(50, Math.round(requestTimeout / 10)) };
  return createServer(timeouts, (req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://relay');
      const route = `${req.method ?? 'GET'} ${url.pathname}`;
      if (route === 'GET /healthz') return send(res, 200, { ok: true });
      const ping = /^\/ping\/([^/]*)(?:\/([^/]*))?$/.exec(url.pathname);
      if (ping && (req.method === 'GET' || req.method === 'POST')) return relayPing(req, res, o.pings, ping[1] as string, ping[2] ?? '');
      if (!['POST /beat', 'POST /log', 'GET /stats'].includes(route)) {
        throw new HttpError(['/beat', '/log', '/stats'].includes(url.pathname) ? 405 : 404, `no route ${route}`);
      }
      if (!tokenMatches(req.headers.authorization, expected)) {
        res.setHeader('www-authenticate', 'Bearer');
        throw new HttpError(401, 'missing or wrong relay token: send Authorization: Bearer <token>');
      }
      if (route === 'GET /stats') return send(res, 200, o.stats());
      if (route === 'POST /beat') {
        const receivedAt = now();
        const body = await readBody(req, MAX_BEAT_BODY);
        const beat = beatOf(body, url.searchParams);
        // The checks ingest makes, so a bad beat is refused here, to its sender.
        const valid = validateHeartbeat(beat as dts.HeartbeatMessage, receivedAt, LIMITS);
        if (!valid.ok) throw new HttpError(400, describe(valid.error));
        allowed(valid.value.hostname);
        if (valid.value.goodbye && !o.allowGoodbye) {
          throw new HttpError(403, 'this relay passes no goodbye (a goodbye makes a host left and mutes its downs); run it with --allow-goodbye');
        }
        if (!o.buffer.push(heldBeat(valid.value.hostname, beat, receivedAt))) {
          res.setHeader('retry-after', '5');
          throw new HttpError(503, 'the relay\'s buffer is full of other hosts\' beats (--max-beats, --max-bytes): try again shortly');
        }
        return send(res, 202, { accepted: true, hostname: valid.value.hostname });
      }
      const records = recordsOf(await readBody(req, MAX_LOG_BODY), url.searchParams);
      for (const r of records) if (r.hostname !== undefined) allowed(r.hostname);
      if (!o.logs) throw new HttpError(503, 'this relay forwards no logs (no logs queue)');
      const logs = o.logs;
      const errors: string[] = [];
      let rejected = 0;
      records.forEach((r, i) => {
        const before = logs.stats().rejected;
        logs.log(r);
        if (logs.stats().rejected === before) return;
        rejected++;
        if (errors.length < MAX_REPORTED_ERRORS) errors.push(`records[${i}].${whyRefused(r)}`);
      });
      return send(res, rejected > 0 ? 400 : 202, { accepted: records.length - rejected, rejected, ...(errors.length ? { errors } : {}) });
    })().catch((e: unknown) => {
      const status = e instanceof HttpError ? e.status : 500;
      if (!res.headersSent) send(res, status, { error: e instanceof Error ? e.message : String(e) });
      else res.destroy();
    });
  });
}
