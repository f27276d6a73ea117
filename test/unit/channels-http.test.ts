/**
 * Sending with retries, against a real local receiver (test/support/receivers.ts): 429 with
 * Retry-After, 5xx, a refusal that is final, and a receiver that is not there.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { retryAfterMs, sendWithRetry, type SendOptions } from '../../lib/adapters/http/send';
import { startReceiver, type Receiver } from '../support/receivers';

let r: Receiver;
const slept: number[] = [];
const fast: SendOptions = { attempts: 3, baseDelayMs: 10, maxWaitMs: 2_000, timeoutMs: 2_000, sleep: async (ms) => void slept.push(ms) };
const request = () => ({ url: `${r.url}/services/T/B/x`, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: 'hi' }) });

beforeAll(async () => {
  r = await startReceiver('slack');
});
afterAll(async () => r.close());

// By fetch, and by the notifier's own transport (checked-fetch.ts), which a URL policy selects.
describe.each([['fetch', fast], ['the checked transport', { ...fast, urlPolicy: { allowLoopback: true } }]] as const)('sendWithRetry, by %s', (_transport, fast) => {
  it('waits as long as a 429 Retry-After says, then succeeds', async () => {
    slept.length = 0;
    r.queue({ status: 429, headers: { 'retry-after': '1' } });
    const result = await sendWithRetry(request(), fast);
    expect(result).toMatchObject({ ok: true, status: 200, attempts: 2 });
    expect(slept).toEqual([1000]);
  });

  it('retries 5xx with backoff, and tells each retry before its wait', async () => {
    slept.length = 0;
    const told: Array<[number, string, number]> = [];
    r.queue({ status: 500 }, { status: 503 });
    const result = await sendWithRetry(request(), { ...fast, onRetry: (attempt, error, delayMs) => told.push([attempt, error, delayMs]) });
    expect(result).toMatchObject({ ok: true, attempts: 3 });
    expect(slept).toHaveLength(2);
    expect(told.map(([attempt, error]) => [attempt, error])).toEqual([[1, 'HTTP 500'], [2, 'HTTP 503']]);
    expect(told.map(([, , delay]) => delay)).toEqual(slept);
  });

  it('hands back a Retry-After longer than it may wait, for SQS to bring the message back', async () => {
    r.queue({ status: 429, headers: { 'retry-after': '120' } });
    const result = await sendWithRetry(request(), fast);
    expect(result).toMatchObject({ ok: false, status: 429, retryable: true, retryAfterMs: 120_000, attempts: 1 });
  });

  it('does not retry a refusal such as 404 (the webhook was deleted)', async () => {
    r.queue({ status: 404, body: 'no_service' });
    const result = await sendWithRetry(request(), fast);
    expect(result).toMatchObject({ ok: false, status: 404, retryable: false, attempts: 1, error: 'HTTP 404: no_service' });
  });

  it('counts a receiver that is down as worth retrying, without its URL in the error', async () => {
    await r.down();
    try {
      const result = await sendWithRetry(request(), fast);
      expect(result).toMatchObject({ ok: false, retryable: true, attempts: 3 });
      expect(result.error).toMatch(/ECONNREFUSED/);
      expect(result.error).not.toContain('/services/');
    } finally {
      await r.up();
    }
  });

});

describe('retryAfterMs', () => {
  it('reads Retry-After as seconds or as an HTTP date', () => {
    const now = Date.UTC(2026, 11, 1, 10, 0, 0);
    expect(retryAfterMs('2', now)).toBe(2000);
    expect(retryAfterMs(new Date(now + 30_000).toUTCString(), now)).toBe(30_000);
    expect(retryAfterMs(null, now)).toBeUndefined();
    expect(retryAfterMs('soon', now)).toBeUndefined();
  });
});
