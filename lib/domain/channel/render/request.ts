import type { Notification } from '../../model';
import type { ChannelSecret } from '../channel';

/** One HTTP request to a channel's service. The body is JSON text. */
export interface OutgoingRequest {
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/**
 * Lays a notification out for one kind of channel. Undefined when the channel takes no request
 * for it (a pager and a notice that opens or closes nothing).
 */
export type Renderer = (n: Notification, secret: ChannelSecret, now: number) => OutgoingRequest | undefined;

export function jsonRequest(url: string, body: unknown, headers: Record<string, string> = {}): OutgoingRequest {
  return { url, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) };
}
