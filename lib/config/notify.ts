import type { SendOptions } from '../adapters/http/send';
import { readNumber } from './env';

type Env = Record<string, string | undefined>;

/** The notifier's settings (functions/notify.ts), read once and validated like the rest of lib/config. */
export interface NotifyConfig {
  readonly send: SendOptions;
  /** Days a delivery record is kept: redeliveries within them skip the channels already reached. */
  readonly deliveryTtlDays: number;
}

/**
 * Loopback receivers are allowed only where the notifier runs on the local cloud (which gives its
 * functions a loopback AWS_ENDPOINT_URL) or when DTS_NOTIFY_ALLOW_LOOPBACK=true says so: inside
 * Lambda, 127.0.0.1 is the runtime API.
 */
export function notifyAllowsLoopback(env: Env): boolean {
  if (env.DTS_NOTIFY_ALLOW_LOOPBACK === 'true') return true;
  // The channels table's endpoint: the one for DynamoDB, or the one for every service.
  const endpoint = env.AWS_ENDPOINT_URL_DYNAMODB ?? env.AWS_ENDPOINT_URL ?? '';
  return URL.canParse(endpoint) && /^(127\.\d+\.\d+\.\d+|localhost|\[::1\])$/.test(new URL(endpoint).hostname);
}

export function loadNotifyConfig(env: Env = process.env): NotifyConfig {
  return {
    send: {
      attempts: readNumber(env, 'DTS_NOTIFY_ATTEMPTS', 3, { min: 1, max: 10, integer: true }),
      baseDelayMs: readNumber(env, 'DTS_NOTIFY_BACKOFF_MS', 500, { min: 0, max: 60_000 }),
      maxWaitMs: readNumber(env, 'DTS_NOTIFY_MAX_WAIT_MS', 10_000, { min: 0, max: 300_000 }),
      timeoutMs: readNumber(env, 'DTS_NOTIFY_REQUEST_TIMEOUT_MS', 10_000, { min: 100, max: 60_000 }),
      urlPolicy: { allowLoopback: notifyAllowsLoopback(env) },
    },
    deliveryTtlDays: readNumber(env, 'DTS_NOTIFY_DELIVERY_TTL_DAYS', 14, { min: 1, max: 365 }),
  };
}
