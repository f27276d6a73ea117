import { signature } from '../signature';
import { headerValue, type Renderer } from './request';
import { viewOf } from './view';

/**
 * A generic webhook: the notification as JSON, signed (lib/domain/channel/signature.ts), with its id
 * in `X-Dts-Delivery` so that a receiver can drop the repeats of at-least-once delivery.
 */
export const renderWebhook: Renderer = (n, secret, now) => {
  const v = viewOf(n);
  const body = {
    id: n.id,
    incident: n.incident ?? null,
    action: v.action,
    hostname: n.hostname,
    kind: n.kind,
    severity: n.severity,
    at: v.at,
    message: n.message,
    details: n.details,
    labels: n.labels ?? {},
  };
  const text = JSON.stringify(body);
  const timestamp = String(Math.floor(now / 1000));
  return {
    url: secret.url,
    body: text,
    headers: {
      'content-type': 'application/json',
      'user-agent': 'dts-notifier',
      'x-dts-delivery': headerValue(n.id),
      'x-dts-timestamp': timestamp,
      ...(secret.key ? { 'x-dts-signature': signature(secret.key, timestamp, text) } : {}),
    },
  };
};
