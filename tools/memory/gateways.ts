import type { MessageAttributeValue } from '@aws-sdk/client-sqs';
import type { Notification } from '../../lib/domain/model';
import type { ChannelSecret } from '../../lib/domain/channel/channel';
import type { AlertPublisherPort, HeartbeatQueue, QuarantinePort, SecretsPort } from '../../lib/ports';
import type { QueueGauge } from '../../lib/domain/fleet/watermark';
import { fitReason } from '../../lib/adapters/sqs/quarantine';
import { copy } from './item';

/** The alerts topic in memory: what was published, in order. */
export class MemoryAlerts implements AlertPublisherPort {
  readonly published: Notification[] = [];
  readonly reports: { subject: string; body: string; id: string }[] = [];

  async publish(n: Notification): Promise<void> {
    this.published.push(copy(n));
  }

  async publishReport(subject: string, body: string, id: string): Promise<void> {
    this.reports.push({ subject, body, id });
  }
}

/** A dead-letter queue in memory, holding what was sent with its reason fitted as SQS's would be. */
export class MemoryQuarantine implements QuarantinePort {
  readonly messages: { body: string; reason: string; attributes: Record<string, MessageAttributeValue> }[] = [];

  async send(body: string, reason: string, attributes: Record<string, MessageAttributeValue> = {}): Promise<void> {
    this.messages.push({ body, reason: fitReason(reason, body, attributes), attributes: copy(attributes) });
  }
}

/**
 * The heartbeats queue as diagnose sees it, in memory: a depth (beats a test says are waiting,
 * and each canary sent until something takes it), and canaries that an `ingest` hook (a test's
 * stand-in for the ingest function) takes as they arrive.
 */
export class MemoryHeartbeatQueue implements HeartbeatQueue {
  pending = 0;
  readonly canaries: number[] = [];

  constructor(
    private readonly now: () => number,
    private readonly ingest?: (canaryAt: number, sentAt: number) => Promise<void>,
  ) {}

  async gauge(): Promise<QueueGauge> {
    return { pending: this.pending, at: this.now() };
  }

  async sendCanary(at: number): Promise<void> {
    this.canaries.push(at);
    this.pending++;
    if (!this.ingest) return;
    await this.ingest(at, this.now());
    this.pending--;
  }
}

/** Channel secrets in memory, as SSM Parameter Store keeps them: by name, each a JSON value. */
export class MemorySecrets implements SecretsPort {
  private readonly values = new Map<string, string>();

  async put(ref: string, secret: ChannelSecret): Promise<void> {
    this.values.set(ref, JSON.stringify(secret));
  }

  async get(ref: string): Promise<ChannelSecret | undefined> {
    const value = this.values.get(ref);
    return value === undefined ? undefined : (JSON.parse(value) as ChannelSecret);
  }

  async remove(ref: string): Promise<void> {
    this.values.delete(ref);
  }
}
