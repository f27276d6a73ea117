import { decodeBody, fail, isMessageType, type Decoded, type MessageType, type Result } from './codec';
import { TYPE_ATTRIBUTE } from './attributes';

/** The parts of an SQS record (as Lambda delivers it) that decoding needs. */
export interface SqsRecordLike {
  readonly body: string;
  readonly messageAttributes?: Readonly<Record<string, { readonly stringValue?: string | undefined } | undefined>>;
  readonly attributes?: { readonly SentTimestamp?: string; readonly ApproximateReceiveCount?: string };
}

/** The message type a record declares, or the queue's own type when it declares none. */
export function typeOf(record: SqsRecordLike, queueDefault: MessageType): Result<MessageType> {
  const declared = record.messageAttributes?.[TYPE_ATTRIBUTE]?.stringValue;
  if (declared === undefined || declared === '') return { ok: true, value: queueDefault };
  if (!isMessageType(declared)) return fail(TYPE_ATTRIBUTE, `unknown message type ${JSON.stringify(declared)}`);
  return { ok: true, value: declared };
}

/** A decoded message with its type, discriminated on `type`. */
export type TypedMessage<T extends MessageType> = { [K in T]: { type: K; message: Decoded<K> } }[T];

/** Decode a record whose type must be one of `accepted`. */
export function decodeRecord<T extends MessageType>(
  record: SqsRecordLike,
  queueDefault: T,
  accepted: readonly T[],
): Result<TypedMessage<T>> {
  const type = typeOf(record, queueDefault);
  if (!type.ok) return type;
  if (!(accepted as readonly string[]).includes(type.value)) {
    return fail(TYPE_ATTRIBUTE, `${type.value} is not accepted on this queue (expected ${accepted.join(' or ')})`);
  }
  const t = type.value as T;
  const decoded = decodeBody(t, record.body);
  return decoded.ok ? { ok: true, value: { type: t, message: decoded.value } as TypedMessage<T> } : decoded;
}

/** How many times SQS has handed this message out, this time included (1 when unknown). */
export function receiveCountOf(record: SqsRecordLike): number {
  const n = Number(record.attributes?.ApproximateReceiveCount);
  return Number.isFinite(n) && n > 0 ? n : 1;
}

/** SQS SentTimestamp in ms: the time the queue accepted the message, on the monitor's clock. */
export function receivedAtOf(record: SqsRecordLike, fallback: number): number {
  const sent = Number(record.attributes?.SentTimestamp);
  return Number.isFinite(sent) && sent > 0 ? sent : fallback;
}
