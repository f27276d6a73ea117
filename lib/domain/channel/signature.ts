import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The generic webhook's signature: `X-Dts-Signature: sha256=<hex>`, the HMAC-SHA256 with the
 * channel's key of `<X-Dts-Timestamp>.<body>`. Signing the timestamp lets a receiver refuse a
 * replayed request; docs/ALERTS.md has the receiver's side.
 */
export function signature(key: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', key).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** The receiver's check: the signature matches and the timestamp is within `toleranceSeconds`. */
export function verifySignature(key: string, timestamp: string, body: string, header: string, nowSeconds: number, toleranceSeconds = 300): boolean {
  const ts = Number(timestamp);
  if (!Number.isFinite(ts) || Math.abs(nowSeconds - ts) > toleranceSeconds) return false;
  const want = Buffer.from(signature(key, timestamp, body));
  const got = Buffer.from(header);
  return want.length === got.length && timingSafeEqual(want, got);
}
