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

/**
 * A header value is bytes, and fetch takes only Latin-1 there: text in any other script, and
 * `%` itself, travel percent-encoded as UTF-8 (RFC 3986), so `узел-1|host-down|…` arrives as
 * `%D1%83%D0%B7…|host-down|…` and `decodeURIComponent` gives it back. Plain ASCII ids are unchanged.
 */
const UTF8 = new TextEncoder();

export function headerValue(text: string): string {
  return text.replace(/[^\x21-\x24\x26-\x7e]/gu, (c) => [...UTF8.encode(c)].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join(''));
}
