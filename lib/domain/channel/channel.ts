/**
 * A channel: somewhere people read alerts (a Slack channel, a pager service, a webhook). Channels
 * are data, kept in the channels table and managed with `dts channels`; their secrets (webhook
 * URLs, routing keys, signing keys) are kept apart, in SSM Parameter Store as SecureStrings.
 */

export const CHANNEL_KINDS = ['slack', 'discord', 'teams', 'pagerduty', 'opsgenie', 'webhook'] as const;
export type ChannelKind = (typeof CHANNEL_KINDS)[number];

/** Pagers wake people: they get incidents opened and closed, never notices (a first beat, a goodbye). */
export const PAGER_KINDS: ReadonlySet<ChannelKind> = new Set<ChannelKind>(['pagerduty', 'opsgenie']);

export function isChannelKind(text: string): text is ChannelKind {
  return (CHANNEL_KINDS as readonly string[]).includes(text);
}

/** What is secret about a channel: kept in SSM, never in the table, a log or an output. */
export interface ChannelSecret {
  /** Where requests go; for chat webhooks the URL itself is the credential. */
  readonly url: string;
  /** PagerDuty routing key, Opsgenie API key, or the webhook's signing key. */
  readonly key?: string;
}

/** What the channels table keeps about a channel: nothing secret. */
export interface Channel {
  readonly name: string;
  readonly kind: ChannelKind;
  /** The filter as written, e.g. `severity=critical,label.role=db` (lib/domain/channel/filter.ts). */
  readonly filter: string;
  /** The SSM parameter holding the channel's secret. */
  readonly secretRef: string;
  /** Where it goes, with the secret part hidden: `hooks.slack.com/…`. */
  readonly target: string;
  readonly createdAt: number;
  readonly createdBy?: string;
  readonly lastSuccessAt?: number;
  readonly lastErrorAt?: number;
  readonly lastError?: string;
  /** Failed deliveries since the last success. */
  readonly failing?: number;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;

export function channelNameProblem(name: string): string | undefined {
  return NAME.test(name) ? undefined : `a channel name is 1-63 letters, digits, '_', '.' or '-', starting with a letter or digit: ${JSON.stringify(name)}`;
}

// Whether a URL may be a channel's is lib/adapters/http/url-policy.ts: it needs address classes.

/** `https://hooks.slack.com/services/T/B/x` → `hooks.slack.com/…`: the host, never the path or query. */
export function redactUrl(text: string): string {
  try {
    const url = new URL(text);
    return `${url.host}/…`;
  } catch {
    return '(not a URL)';
  }
}

/** The documented default endpoint of each kind that has one. */
export const DEFAULT_URLS: Partial<Record<ChannelKind, string>> = {
  pagerduty: 'https://events.pagerduty.com/v2/enqueue',
  opsgenie: 'https://api.opsgenie.com',
};
