import type { OutgoingRequest } from './render/request';

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
}

export const DEFAULT_SEND: SendOptions = { attempts: 3, baseDelayMs: 500, maxWaitMs: 10_000, timeoutMs: 10_000 };

export interface SendResult {
  readonly ok: boolean;
  /** The last HTTP status, if a response came. */
  readonly status?: number;
  readonly attempts: number;
  /** Why it failed: the status and the start of the body, or the network error. */
  readonly error?: string;
  /** Worth trying again later (429, 5xx, network); false for any other refusal. */
  readonly retryable: boolean;
  /** How long the service asked to wait, when more than could be waited here. */
  readonly retryAfterMs?: number;
}

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
  const doFetch = o.fetch ?? fetch;
  const now = o.now ?? Date.now;
  let last: SendResult = { ok: false, attempts: 0, retryable: true, error: 'not sent' };
  for (let attempt = 1; attempt <= o.attempts; attempt++) {
    let wait: number | undefined;
    try {
      const res = await doFetch(req.url, {
        method: 'POST',
        headers: req.headers,
        body: req.body,
        redirect: 'error',
        signal: AbortSignal.timeout(o.timeoutMs),
      });
      const text = await res.text().catch(() => '');
      if (res.ok) return { ok: true, status: res.status, attempts: attempt, retryable: false };
      const retryable = retryableStatus(res.status);
      wait = retryAfterMs(res.headers.get('retry-after'), now());
      last = { ok: false, status: res.status, attempts: attempt, retryable, error: `HTTP ${res.status}${text ? `: ${text.slice(0, 200)}` : ''}` };
      if (!retryable) return last;
    } catch (e) {
      last = { ok: false, attempts: attempt, retryable: true, error: describe(e) };
    }
    if (attempt === o.attempts) break;
    const backoff = o.baseDelayMs * 2 ** (attempt - 1) * (0.5 + Math.random() / 2);
    const delay = wait ?? backoff;
    if (delay > o.maxWaitMs) return { ...last, retryAfterMs: delay };
    await sleep(delay);
  }
  return last;
}

/** A network error without the URL in it: the URL may be the channel's secret. */
function describe(e: unknown): string {
  const err = e as Error & { cause?: { code?: string; message?: string } };
  if (err.name === 'TimeoutError' || err.name === 'AbortError') return 'timed out';
  const code = err.cause?.code;
  return code ? `connection failed: ${code}` : `request failed: ${err.name || 'error'}`;
}
