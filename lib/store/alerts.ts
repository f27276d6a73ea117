import { PublishCommand, type MessageAttributeValue, type SNSClient } from '@aws-sdk/client-sns';
import type { Notification, NotificationKind } from '../model';
import type { AlertPublisherPort } from '../ports';

/** SNS subjects are at most 100 printable ASCII characters. */
export function subjectOf(n: Notification): string {
  const subject = `[dts ${n.severity}] ${n.message}`.replace(/[^\x20-\x7e]/g, '?');
  return subject.length <= 100 ? subject : `${subject.slice(0, 97)}...`;
}

/** What a person reading the alert can do next, by kind. */
const NEXT_STEP: Partial<Record<NotificationKind, (n: Notification) => string>> = {
  'host-down': (n) => `Check the host: dts host ${n.hostname}. For planned work: dts silence ${n.hostname} --for 2h --reason "..."`,
  'host-still-down': (n) => `The maintenance window is over and the host has not come back: dts host ${n.hostname}`,
  'host-flapping': (n) => `Its ups and downs are held back until it settles. See: dts notifications --host ${n.hostname}`,
  'host-stable': (n) => `See its recent history: dts notifications --host ${n.hostname}`,
  'fleet-storm': () => 'Look for the shared cause (network, power, a deploy) before the hosts: dts hosts --state dead',
  'resource-critical': (n) => `See the host's figures: dts host ${n.hostname}`,
  'resource-warning': (n) => `See the host's figures: dts host ${n.hostname}`,
  'clock-skew': () => 'Check NTP/chrony on the host. Liveness is judged on the receive time, so no alert is wrong because of this.',
  'monitor-degraded': () => 'No host is declared dead until the monitor catches up. Check the heartbeats queue and the ingest function.',
};

/** The next step for a notification of this kind, if there is one. */
export function nextStep(n: Notification): string | undefined {
  return NEXT_STEP[n.kind]?.(n);
}

export function bodyOf(n: Notification): string {
  const labels = Object.entries(n.labels ?? {}).map(([k, v]) => `${k}=${v}`).join(' ');
  const next = nextStep(n);
  // Wide enough for the longest key, with a space after its colon (`limitSeconds: 15`).
  const width = Math.max(10, ...Object.keys(n.details).map((k) => k.length + 2));
  const lines = [
    n.message,
    '',
    `${'host:'.padEnd(width)}${n.hostname}`,
    `${'kind:'.padEnd(width)}${n.kind}`,
    `${'severity:'.padEnd(width)}${n.severity}`,
    `${'at:'.padEnd(width)}${new Date(n.at).toISOString()}`,
    ...(labels ? [`${'labels:'.padEnd(width)}${labels}`] : []),
    ...(n.incident ? [`${'incident:'.padEnd(width)}${n.incident}`] : []),
    ...Object.entries(n.details).map(([k, v]) => `${`${k}:`.padEnd(width)}${v}`),
    ...(next ? ['', next] : []),
    '',
    `id: ${n.id}`,
  ];
  return lines.join('\n');
}

/** SNS allows 10 message attributes; four are fixed, so at most six labels travel as attributes. */
const MAX_LABEL_ATTRIBUTES = 6;

/** An SNS attribute name: letters, digits, `_`, `-`, `.`; no `..`; at most 256 characters. */
export function labelAttributeName(key: string): string | undefined {
  const name = `label.${key.replace(/[^A-Za-z0-9_.-]/g, '_').replace(/\.{2,}/g, '.').replace(/\.$/, '_')}`;
  return name.length <= 256 ? name : undefined;
}

/**
 * `severity`, `kind`, `hostname`, `id`, and the host's labels as `label.<key>` (threshold
 * overrides `dts.*` left out), so subscriptions can filter, e.g. {"label.role": ["db"]}.
 */
export function attributesOf(n: Notification): Record<string, MessageAttributeValue> {
  const attributes: Record<string, MessageAttributeValue> = {
    severity: { DataType: 'String', StringValue: n.severity },
    kind: { DataType: 'String', StringValue: n.kind },
    hostname: { DataType: 'String', StringValue: n.hostname },
    id: { DataType: 'String', StringValue: n.id },
  };
  const labels = Object.entries(n.labels ?? {}).filter(([k, v]) => !k.startsWith('dts.') && v !== '').sort(([a], [b]) => a.localeCompare(b));
  for (const [key, value] of labels.slice(0, MAX_LABEL_ATTRIBUTES)) {
    const name = labelAttributeName(key);
    if (name) attributes[name] = { DataType: 'String', StringValue: value };
  }
  return attributes;
}

/** SNS takes at most 256 KB per message. */
const MAX_MESSAGE_BYTES = 250 * 1024;

/** Publishes notifications on the alerts topic, with attributes that subscriptions can filter on. */
export class AlertPublisher implements AlertPublisherPort {
  constructor(
    private readonly sns: SNSClient,
    private readonly topicArn: string,
  ) {}

  async publish(n: Notification): Promise<void> {
    await this.sns.send(new PublishCommand({
      TopicArn: this.topicArn,
      Subject: subjectOf(n),
      Message: bodyOf(n),
      MessageAttributes: attributesOf(n),
    }));
  }

  /** A report: kind `report`, severity `info`, so subscriptions can take or leave it. */
  async publishReport(subject: string, body: string, id: string): Promise<void> {
    const message = Buffer.byteLength(body) <= MAX_MESSAGE_BYTES ? body : `${Buffer.from(body).subarray(0, MAX_MESSAGE_BYTES).toString('utf8')}\n…[truncated: dts report shows it whole]`;
    await this.sns.send(new PublishCommand({
      TopicArn: this.topicArn,
      Subject: subject.replace(/[^\x20-\x7e]/g, '?').slice(0, 100),
      Message: message,
      MessageAttributes: {
        severity: { DataType: 'String', StringValue: 'info' },
        kind: { DataType: 'String', StringValue: 'report' },
        hostname: { DataType: 'String', StringValue: '@fleet' },
        id: { DataType: 'String', StringValue: id },
      },
    }));
  }
}
