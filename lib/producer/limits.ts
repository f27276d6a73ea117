/**
 * What one SQS message and one SendMessageBatch call may carry, and the arithmetic that keeps a
 * LogBatch under them. SQS counts a message as its body bytes plus, for every attribute, the
 * bytes of its name, data type and value; the body is base64, so 3 protobuf bytes cost 4.
 */
import { MAX_BATCH_RECORDS } from '../wire/validate';
import { TYPE_ATTRIBUTE } from '../wire/attributes';

/** The contract's bound on one message (the SQS limit before 2025, kept for every consumer). */
export const MAX_MESSAGE_BYTES = 256 * 1024;
/** SendMessageBatch: at most 10 entries, and their sizes summed at most 256 KiB. */
export const MAX_CALL_ENTRIES = 10;
export const MAX_CALL_BYTES = 256 * 1024;
export { MAX_BATCH_RECORDS };

/** Bytes SQS counts for the `dts-type` attribute naming a message type. */
export function typeAttributeBytes(type: string): number {
  return Buffer.byteLength(TYPE_ATTRIBUTE) + Buffer.byteLength('String') + Buffer.byteLength(type);
}

/** Bytes of base64 text for `n` bytes of protobuf. */
export function base64Length(n: number): number {
  return Math.ceil(n / 3) * 4;
}

/** The largest protobuf payload whose base64 body plus attributes fits in `budget` bytes. */
export function maxPayloadFor(budget: number, attributeBytes: number): number {
  return Math.max(0, Math.floor((budget - attributeBytes) / 4) * 3);
}

/** Bytes of a protobuf varint. */
export function varintLength(n: number): number {
  let len = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 128);
    len++;
  }
  return len;
}

/** What a record of `n` encoded bytes adds to a LogBatch: the field-1 tag, its length, itself. */
export function framedLength(n: number): number {
  return 1 + varintLength(n) + n;
}

/** `records` framed as `LogBatch.records` (field 1, length-delimited): a valid LogBatch, no re-encoding. */
export function frameBatch(records: readonly Uint8Array[]): Uint8Array {
  let total = 0;
  for (const r of records) total += framedLength(r.length);
  const out = new Uint8Array(total);
  let at = 0;
  for (const r of records) {
    out[at++] = 0x0a;
    let n = r.length;
    while (n >= 0x80) {
      out[at++] = (n & 0x7f) | 0x80;
      n = Math.floor(n / 128);
    }
    out[at++] = n;
    out.set(r, at);
    at += r.length;
  }
  return out;
}
