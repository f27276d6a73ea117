import type { ChannelSecret, Channel } from '../domain/channel/channel';
import { parseFilter, matches } from '../domain/channel/filter';
import { RENDERERS, type OutgoingRequest } from '../domain/channel/render';
import type { Notification } from '../domain/model';
import { atOfNotificationId } from '../domain/notification/notifications';
import type { ChannelsPort, NotificationsPort, QuarantinePort, SecretsPort, SendResult } from '../ports';
import type { Log } from './log';

/**
 * The notifier: every notification published on the alerts topic reaches, through the notifier
 * queue, every channel whose filter takes it.
 *
 * Delivery is at least once per (notification, channel). A delivery record is written after
 * the service accepted the request; a redelivered message skips the channels that have one. A
 * crash between the service's answer and that write sends the request again: pagers fold the
 * repeat by their dedup key, and webhooks carry the notification id in `X-Dts-Delivery`.
 */
export interface Notifier {
  readonly channels: ChannelsPort;
  readonly secrets: Pick<SecretsPort, 'get'>;
  /** Reads a published notification whole: the topic's message is written for people. */
  readonly notifications: Pick<NotificationsPort, 'get'>;
  readonly send: (req: OutgoingRequest) => Promise<SendResult>;
  readonly now: () => number;
  readonly log: Log;
  /** Counts for the metrics: `Delivered`, `DeliveryFailed`. */
  readonly count: (metric: 'Delivered' | 'DeliveryFailed') => void;
}

export interface ChannelFailure {
  readonly channel: string;
  readonly error: string;
  readonly retryable: boolean;
  readonly retryAfterMs?: number;
}

export interface NotifyOutcome {
  readonly delivered: string[];
  /** Reached by an earlier delivery of the same message. */
  readonly already: string[];
  readonly failed: ChannelFailure[];
}

/** What the notifier needs of a topic message: the notification's key. */
export interface Published {
  readonly id: string;
  readonly hostname: string;
  readonly kind: string;
}

/** Thrown for a message that can never be delivered (not from the alerts topic, or unknown). */
export class UndeliverableMessage extends Error {}

/**
 * The SNS envelope that an SQS subscription receives (raw delivery off): the notification's
 * key travels in its message attributes.
 */
export function publishedIn(body: string): Published {
  let envelope: { MessageAttributes?: Record<string, { Value?: string }> };
  try {
    envelope = JSON.parse(body) as typeof envelope;
  } catch {
    throw new UndeliverableMessage('not an SNS notification: the body is not JSON');
  }
  const attr = (name: string): string | undefined => envelope.MessageAttributes?.[name]?.Value;
  const id = attr('id');
  const hostname = attr('hostname');
  const kind = attr('kind');
  if (!id || !hostname || !kind) throw new UndeliverableMessage('not a dts notification: the id, hostname or kind attribute is missing');
  return { id, hostname, kind };
}

/** Delivers one notification to every channel that takes it. */
export async function notify(d: Notifier, p: Published): Promise<NotifyOutcome> {
  const outcome: NotifyOutcome = { delivered: [], already: [], failed: [] };
  // Reports are read in full by email and with `dts report`; channels take notifications.
  if (p.kind === 'report') return outcome;
  const at = atOfNotificationId(p.id);
  if (at === undefined) throw new UndeliverableMessage(`notification id ${JSON.stringify(p.id)} has no time`);
  const n = await d.notifications.get(p.hostname, at, p.id);
  // Recorded before it is published, so it is there; absent means expired or removed by hand.
  if (!n) throw new UndeliverableMessage(`notification ${p.id} is not in the notifications table`);
  const channels = await d.channels.list();
  await Promise.all(channels.map(async (c) => {
    const r = await deliverTo(d, c, n);
    if (r === 'delivered') outcome.delivered.push(c.name);
    else if (r === 'already') outcome.already.push(c.name);
    else if (r !== 'skipped') outcome.failed.push(r);
  }));
  return outcome;
}

async function deliverTo(d: Notifier, c: Channel, n: Notification): Promise<'delivered' | 'already' | 'skipped' | ChannelFailure> {
  const parsed = parseFilter(c.filter);
  if (!parsed.ok) {
    // `dts channels add` refuses a bad filter; one edited by hand is reported, not guessed at.
    return fail(d, c, `the channel's filter is invalid: ${parsed.error}`, false);
  }
  if (!matches(parsed.filter, n)) return 'skipped';
  if (await d.channels.delivered(c.name, n.id)) return 'already';
  let secret: ChannelSecret | undefined;
  try {
    secret = await d.secrets.get(c.secretRef);
  } catch (e) {
    return fail(d, c, `could not read its secret: ${(e as Error).name}`, true);
  }
  if (!secret) return fail(d, c, `its secret ${c.secretRef} is missing; add the channel again`, false);
  const request = RENDERERS[c.kind](n, secret, d.now());
  if (!request) return 'skipped';
  const result = await d.send(request);
  if (!result.ok) {
    return fail(d, c, result.error ?? 'failed', result.retryable, result.retryAfterMs);
  }
  await d.channels.markDelivered(c.name, n.id, d.now(), result.status);
  await d.channels.recordSuccess(c.name, d.now());
  d.count('Delivered');
  d.log.info('delivered', { channel: c.name, kind: c.kind, notification: n.id, status: result.status, attempts: result.attempts });
  return 'delivered';
}

async function fail(d: Notifier, c: Channel, error: string, retryable: boolean, retryAfterMs?: number): Promise<ChannelFailure> {
  d.count('DeliveryFailed');
  d.log.error('delivery failed', { channel: c.name, kind: c.kind, error, retryable });
  await d.channels.recordFailure(c.name, d.now(), error);
  return { channel: c.name, error, retryable, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) };
}

/**
 * One message from the notifier queue, to every matching channel. A channel that failed in a
 * way worth retrying fails the message, which SQS brings back after the queue's visibility
 * timeout; the channels it already reached are skipped then. A message that is not a dts
 * notification goes to the DLQ at once, with its reason (without a DLQ, it fails, and the
 * queue's redrive moves it there).
 */
export async function notifyMessage(d: Notifier, quarantine: QuarantinePort | undefined, record: { readonly messageId: string; readonly body: string }): Promise<void> {
  try {
    const outcome = await notify(d, publishedIn(record.body));
    const retry = outcome.failed.filter((f) => f.retryable);
    if (retry.length > 0) throw new Error(`not delivered to ${retry.map((f) => `${f.channel} (${f.error})`).join(', ')}; SQS brings it back`);
  } catch (e) {
    if (!(e instanceof UndeliverableMessage) || !quarantine) throw e;
    d.log.warn('quarantined a message', { messageId: record.messageId, reason: e.message });
    await quarantine.send(record.body, `${e.message} (message ${record.messageId})`);
  }
}
