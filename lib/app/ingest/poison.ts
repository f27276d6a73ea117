import { describe, type WireError } from '../../wire/codec';
import type { QuarantinePort, QueueAttribute } from '../../ports';
import type { Log } from '../log';

/** A message that no retry can fix. Thrown only when there is no DLQ to quarantine it in. */
export class PoisonMessageError extends Error {
  constructor(readonly wireError: WireError) {
    super(`undecodable message: ${describe(wireError)}`);
    this.name = 'PoisonMessageError';
  }
}

export interface PoisonRecord {
  readonly messageId: string;
  readonly body: string;
  readonly messageAttributes?: Readonly<Record<string, { stringValue?: string | undefined; dataType?: string } | undefined>>;
}

/**
 * Route a message that can never decode: to the DLQ at once, with its reason, so the rest of
 * the batch is acknowledged and SQS does not retry it in vain. Without a DLQ it is reported as
 * failed, and the queue's redrive policy moves it there after maxReceiveCount receives.
 */
export async function quarantine(quarantine: QuarantinePort | undefined, log: Log, record: PoisonRecord, error: WireError): Promise<void> {
  log.warn('quarantined a message to its DLQ', { messageId: record.messageId, field: error.field, reason: error.reason });
  if (!quarantine) throw new PoisonMessageError(error);
  const attributes: Record<string, QueueAttribute> = {};
  for (const [name, value] of Object.entries(record.messageAttributes ?? {})) {
    if (value?.stringValue !== undefined) attributes[name] = { DataType: value.dataType ?? 'String', StringValue: value.stringValue };
  }
  await quarantine.send(record.body, `${describe(error)} (message ${record.messageId})`, attributes);
}

export { classify, isPoison, refusalReason, type Verdict } from '../../domain/ingest/refusal';
