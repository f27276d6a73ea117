/**
 * A local subscriber to every topic of the template: an internal queue subscribed to the topic,
 * polled, and each notification printed on the terminal. This is how an operator sees alerts
 * locally; email, webhooks and chat subscribe to the same topic in the cloud.
 */
import { CreateQueueCommand, DeleteMessageBatchCommand, GetQueueAttributesCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { SubscribeCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { QueuePlan, TopicPlan } from './template/plan';

export class AlertPrinter {
  private running = false;
  private loops: Array<Promise<void>> = [];
  readonly queues: QueuePlan[] = [];

  constructor(
    private readonly topics: readonly TopicPlan[],
    private readonly clients: { sqs: SQSClient; sns: SNSClient },
    private readonly print: (line: string) => void,
  ) {}

  /** Creates the subscriber queues; they are part of the queue snapshot, so no alert is lost to a restart. */
  async provision(): Promise<void> {
    for (const topic of this.topics) {
      const name = `${topic.name}-local-printer`;
      const { QueueUrl } = await this.clients.sqs.send(new CreateQueueCommand({ QueueName: name }));
      const { Attributes } = await this.clients.sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
      const arn = Attributes?.QueueArn as string;
      await this.clients.sns.send(new SubscribeCommand({ TopicArn: topic.arn, Protocol: 'sqs', Endpoint: arn }));
      this.queues.push({ logicalId: `${topic.logicalId}LocalPrinter`, name, url: QueueUrl as string, arn, attributes: {}, visibilityTimeout: 30 });
    }
  }

  start(): void {
    this.running = true;
    this.loops = this.queues.map((q) => this.poll(q));
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }

  private async poll(queue: QueuePlan): Promise<void> {
    while (this.running) {
      try {
        const { Messages = [] } = await this.clients.sqs.send(new ReceiveMessageCommand({ QueueUrl: queue.url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
        for (const m of Messages) this.print(formatNotification(m.Body ?? ''));
        if (Messages.length > 0) {
          await this.clients.sqs.send(new DeleteMessageBatchCommand({ QueueUrl: queue.url, Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })) }));
        }
      } catch (e) {
        if (this.running) {
          this.print(`alert printer: ${(e as Error).message}`);
          await new Promise((r) => setTimeout(r, 1000));
        }
      }
    }
  }
}

const ICONS: Record<string, string> = { critical: '🔴', warning: '🟠', info: '🟢' };

/** One line per notification: severity, kind, host, message and time. */
export function formatNotification(body: string): string {
  let message = body;
  let subject = '';
  try {
    const envelope = JSON.parse(body) as { Message?: string; Subject?: string };
    message = envelope.Message ?? body;
    subject = envelope.Subject ?? '';
  } catch {
    // A raw delivery: the body is the message.
  }
  try {
    const n = JSON.parse(message) as { hostname?: string; kind?: string; severity?: string; message?: string; at?: number | string };
    if (n && typeof n === 'object' && n.kind) {
      const at = n.at === undefined ? '' : ` at ${new Date(typeof n.at === 'number' ? n.at : Date.parse(n.at)).toISOString()}`;
      return `${ICONS[n.severity ?? ''] ?? '🔔'} ALERT ${(n.severity ?? '').toUpperCase()} ${n.kind} ${n.hostname ?? ''}: ${n.message ?? ''}${at}`;
    }
  } catch {
    // Not JSON: print it as it is.
  }
  const [first = '', ...rest] = message.trimEnd().split('\n');
  const head = subject || first;
  const detail = (subject ? [first, ...rest] : rest).map((l) => `    ${l}`).join('\n');
  return `🔔 ALERT ${head}${detail.trim() ? `\n${detail}` : ''}`;
}
