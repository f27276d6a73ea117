import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { Notification } from '../model';

/** SNS subjects are at most 100 printable ASCII characters. */
function subjectOf(n: Notification): string {
  const subject = `[dts ${n.severity}] ${n.message}`.replace(/[^\x20-\x7e]/g, '?');
  return subject.length <= 100 ? subject : `${subject.slice(0, 97)}...`;
}

function bodyOf(n: Notification): string {
  const lines = [
    n.message,
    '',
    `host:     ${n.hostname}`,
    `kind:     ${n.kind}`,
    `severity: ${n.severity}`,
    `at:       ${new Date(n.at).toISOString()}`,
    ...Object.entries(n.details).map(([k, v]) => `${`${k}:`.padEnd(10)}${v}`),
    '',
    `id: ${n.id}`,
  ];
  return lines.join('\n');
}

/** Publishes notifications on the alerts topic, with attributes that subscriptions can filter on. */
export class AlertPublisher {
  constructor(
    private readonly sns: SNSClient,
    private readonly topicArn: string,
  ) {}

  async publish(n: Notification): Promise<void> {
    await this.sns.send(new PublishCommand({
      TopicArn: this.topicArn,
      Subject: subjectOf(n),
      Message: bodyOf(n),
      MessageAttributes: {
        severity: { DataType: 'String', StringValue: n.severity },
        kind: { DataType: 'String', StringValue: n.kind },
        hostname: { DataType: 'String', StringValue: n.hostname },
        id: { DataType: 'String', StringValue: n.id },
      },
    }));
  }
}
