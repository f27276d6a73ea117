import { PublishCommand, type MessageAttributeValue, type SNSClient } from '@aws-sdk/client-sns';
import { FLEET_HOST, type Notification } from '../../domain/model';
import { bodyOf, subjectOf } from '../../domain/notification/text';
import type { AlertPublisherPort } from '../../ports';

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
        hostname: { DataType: 'String', StringValue: FLEET_HOST },
        id: { DataType: 'String', StringValue: id },
      },
    }));
  }
}
