import type { OutgoingRequest } from '../../domain/channel/render/request';
import type { SendResult } from '../../ports';
import { checkedFetch, RefusedAddressError, type CheckedInit } from './checked-fetch';
import { resolvedUrlProblem, type Resolve, type UrlPolicy } from './url-policy';

/**
 * Sends a channel's request with retries. 429 and 5xx, timeouts and dropped connections are
 * worth another try; any other status is the service's verdict on the request and is not
 * retried (a 404 webhook stays gone). A `Retry-After` is honoured: waited for within the
 * invocation when short, otherwise handed back so that the message returns later via SQS.
 */
export interface SendOptions {
  /** Tries in all, within this invocation. */
  readonly attempts: number;
  /** First backoff; doubled each retry, with jitter. */
  readonly baseDelayMs: number;
  /** The longest wait spent inside the invocation; a longer Retry-After ends the tries. */
  readonly maxWaitMs: number;
  /** Per request. */
  readonly timeoutMs: number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly fetch?: typeof fetch;
  readonly now?: () => number;
  /**
   * Where the request may go (url-policy.ts), checked on the addresses its host resolves to
   * before the first try, and again in the lookup each connection makes (checked-fetch.ts), so
   * the address checked is the address connected to; absent: anywhere, by fetch (a test's own
   * receiver).
   */
  readonly urlPolicy?: UrlPolicy;
  /** DNS, for both checks; default the system's. */
  readonly resolve?: Resolve;
  /** Told before each wait for another try: the try that failed, why, and the wait. */
  readonly onRetry?: (attempt: number, error: string, delayMs: number) => void;
}

export const DEFAULT_SEND: SendOptions = { attempts: 3, baseDelayMs: 500, maxWaitMs: 10_000, timeoutMs: 10_000 };

/** `Retry-After` is seconds or an HTTP date (RFC 9110 §10.2.3). */
export function retryAfterMs(header: string | null, now: number): number | undefined {
  if (header === null || header.trim() === '') return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(header);
  return Number.isFinite(at) ? Math.max(0, at - now) : undefined;
}

const retryableStatus = (status: number): boolean => status === 429 || status >= 500;

export async function sendWithRetry(req: OutgoingRequest, o: SendOptions = DEFAULT_SEND): Promise<SendResult> {
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const doFetch: (url: string, init: CheckedInit & { redirect: 'manual' }) => Promise<Response> = o.fetch ?? (o.urlPolicy ? checkedFetch(o.urlPolicy, o.resolve) : fetch);
  const now = o.now ?? Date.now;
  let last: SendResult = { ok: false, attempts: 0, retryable: true, error: 'not sent' };
  const unbuildable = requestProblem(req);
  if (unbuildable) return { ok: false, attempts: 1, retryable: false, error: unbuildable };
  if (o.urlPolicy) {
    const refused = await resolvedUrlProblem(req.url, o.urlPolicy, o.resolve);
    if (refused) return { ok: false, attempts: 1, retryable: false, error: `refused by the channel URL policy: ${refused}` };
  }
  for (let attempt = 1; attempt <= o.attempts; attempt++) {
    let wait: number | undefined;
    try {
      const res = await doFetch(req.url, {
        method: 'POST',
        headers: req.headers,
        body: req.body,
        // A redirect is answered, not followed: it is the channel's configuration, and following
        // it would send the alert (and, for some kinds, the key) to a host nobody chose.
        redirect: 'manual',
        signal: AbortSignal.timeout(o.timeoutMs),
      });
      if (res.ok) {
        await res.body?.cancel().catch(() => {});
        return { ok: true, status: res.status, attempts: attempt, retryable: false };
      }
      const retryable = retryableStatus(res.status);
      wait = retryAfterMs(res.headers.get('retry-after'), now());
      const text = res.status >= 300 && res.status < 400
        ? (await res.body?.cancel().catch(() => {}), 'a redirect, not followed: give the channel its final URL')
        : redact(await excerpt(res, EXCERPT_BYTES), req).slice(0, 200);
      last = { ok: false, status: res.status, attempts: attempt, retryable, error: `HTTP ${res.status}${text ? `: ${text}` : ''}` };
      if (!retryable) return last;
    } catch (e) {
      // DNS that answered differently at the connection than at the check: final, like the check.
      if (e instanceof RefusedAddressError) return { ok: false, attempts: attempt, retryable: false, error: `refused by the channel URL policy: ${e.message}` };
      // A port fetch refuses stays refused, and a request fetch cannot build stays unbuildable:
      // retrying either only delays the DLQ by the retry window, 30 receives of it.
      last = { ok: false, attempts: attempt, retryable: !isRefusedPort(e) && !isUnbuildable(e), error: describe(e) };
      if (!last.retryable) return last;
    }
    if (attempt === o.attempts) break;
    const backoff = o.baseDelayMs * 2 ** (attempt - 1) * (0.5 + Math.random() / 2);
    const delay = wait ?? backoff;
    if (delay > o.maxWaitMs) return { ...last, retryAfterMs: delay };
    o.onRetry?.(attempt, last.error ?? 'failed', delay);
    await sleep(delay);
  }
  return last;
}

/** The most of an error body read: a receiver's explanation, never its whole answer. */
const EXCERPT_BYTES = 4096;

/** The start of a response body, at most `max` bytes; the rest is not downloaded. */
async function excerpt(res: Response, max: number): Promise<string> {
  const reader = res.body?.getReader();
  if (!reader) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < max) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.length;
    }
  } catch {
    // a body cut short still explains what came of it
  } finally {
    await reader.cancel().catch(() => {});
  }
  return Buffer.concat(chunks).subarray(0, max).toString('utf8');
}

/**
 * An error body with the channel's secrets taken out: a receiver that echoes the request (its
 * URL, a header, the routing key) must not put them in the channels table or a terminal.
 */
export function redact(text: string, req: OutgoingRequest): string {
  const secrets = new Set<string>();
  const add = (v: string | null | undefined): void => {
    if (v && v.length >= 8) secrets.add(v);
  };
  try {
    const url = new URL(req.url);
    add(req.url);
    add(url.pathname + url.search);
    add(url.username);
    add(url.password);
    for (const part of url.pathname.split('/')) add(part);
    for (const [, v] of url.searchParams) add(v);
  } catch {
    add(req.url);
  }
  for (const [name, value] of Object.entries(req.headers)) {
    if (/^(authorization|x-api-key|api-key)$/i.test(name)) for (const part of value.split(/\s+/)) add(part);
  }
  try {
    const body = JSON.parse(req.body) as Record<string, unknown>;
    for (const key of ['routing_key', 'api_key', 'token']) add(typeof body[key] === 'string' ? body[key] : undefined);
  } catch {
    // not JSON: nothing in it is a key
  }
  let out = text;
  for (const secret of [...secrets].sort((a, b) => b.length - a.length)) out = out.split(secret).join('…');
  return out;
}

type FetchError = Error & { cause?: { code?: string; message?: string } };

/**
 * Why fetch could not even build the request, or undefined: a header value that is not a
 * ByteString (fetch throws a TypeError), or not a URL. Each is a bug or a bad channel, never
 * something a later try mends, so it is final and says which header.
 */
export function requestProblem(req: OutgoingRequest): string | undefined {
  for (const [name, value] of Object.entries(req.headers)) {
    // Visible ASCII, space and tab: what every receiver reads the same (RFC 9110 §5.5).
    if (!/^[\t\x20-\x7e]*$/.test(value)) return `the request could not be built: header ${name} is not printable ASCII (a dts bug: report it)`;
  }
  if (!URL.canParse(req.url)) return 'the request could not be built: the channel URL is not a URL; add the channel again';
  return undefined;
}

/** A TypeError without a network cause: fetch refused to build the request, it did not fail to send it. */
const isUnbuildable = (e: unknown): boolean => e instanceof TypeError && (e as FetchError).cause === undefined;

/** fetch refuses some ports outright (1, 6000, 6665-6669, 10080, ...), before connecting. */
const isRefusedPort = (e: unknown): boolean => (e as FetchError).cause?.message === 'bad port';

/** A network error without the URL in it: the URL may be the channel's secret. */
function describe(e: unknown): string {
  const err = e as FetchError;
  if (err.name === 'TimeoutError' || err.name === 'AbortError') return 'timed out';
  const code = err.cause?.code;
  if (code) return `connection failed: ${code}`;
  if (isRefusedPort(e)) return 'request refused: fetch does not connect to this port; give the receiver another one';
  if (isUnbuildable(e)) return `the request could not be built: ${err.message.replace(/https?:\/\/\S+/g, '(the URL)').slice(0, 200)}`;
  return `request failed: ${err.name || 'error'}`;
}
