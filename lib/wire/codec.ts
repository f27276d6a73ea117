import { dts } from './generated/dts.js';
import { normalizeJson } from './json';
import { prototypeKeyIn } from './map-keys';
import { fail, ok, type Result } from './result';

/**
 * The SQS body codec: base64 of the protobuf bytes, or the protobuf JSON mapping when the body
 * starts with `{` (base64 never does). The codec itself is generated from proto/dts.proto.
 */

export const MESSAGE_TYPES = {
  'dts.LogMessage': dts.LogMessage,
  'dts.LogBatch': dts.LogBatch,
  'dts.HeartbeatMessage': dts.HeartbeatMessage,
  'dts.Notification': dts.Notification,
  'dts.HeartbeatBatch': dts.HeartbeatBatch,
  'dts.CheckPing': dts.CheckPing,
} as const;

export type MessageType = keyof typeof MESSAGE_TYPES;
export type Decoded<T extends MessageType> = InstanceType<(typeof MESSAGE_TYPES)[T]>;

export function isMessageType(name: string): name is MessageType {
  return Object.hasOwn(MESSAGE_TYPES, name);
}

export { describe, fail, ok, type Result, type WireError } from './result';

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

export function decodeBody<T extends MessageType>(type: T, body: string): Result<Decoded<T>> {
  const codec = MESSAGE_TYPES[type];
  const trimmed = body.trim();
  if (trimmed.startsWith('{')) {
    let json: unknown;
    try {
      json = JSON.parse(trimmed);
    } catch (e) {
      return fail('body', `invalid JSON: ${(e as Error).message}`);
    }
    if (json === null || typeof json !== 'object' || Array.isArray(json)) return fail('body', 'JSON body must be an object');
    const normalized = normalizeJson(type.slice('dts.'.length), json as Record<string, unknown>);
    if (!normalized.ok) return normalized;
    const problem = codec.verify(normalized.value);
    if (problem) return fail(fieldOf(problem), `wrong type: ${problem}`);
    try {
      return ok(codec.fromObject(normalized.value) as Decoded<T>);
    } catch (e) {
      return fail('body', `not a ${type}: ${(e as Error).message}`);
    }
  }
  if (trimmed.length === 0) return fail('body', 'empty body');
  if (!BASE64.test(trimmed)) return fail('body', 'neither base64 protobuf nor a JSON object');
  const bytes = Buffer.from(trimmed, 'base64');
  const unsafe = prototypeKeyIn(type.slice('dts.'.length), bytes);
  if (unsafe) return fail(unsafe, 'a map key that is not safe as an object key');
  try {
    return ok(codec.decode(bytes) as Decoded<T>);
  } catch (e) {
    return fail('body', `undecodable ${type}: ${(e as Error).message}`);
  }
}

export function encodeBody<T extends MessageType>(type: T, message: Parameters<(typeof MESSAGE_TYPES)[T]['encode']>[0]): string {
  const codec = MESSAGE_TYPES[type] as { encode(m: typeof message): { finish(): Uint8Array } };
  return Buffer.from(codec.encode(message).finish()).toString('base64');
}

/** The size in bytes of a message once encoded for SQS (base64). */
export function encodedLength(bytes: number): number {
  return Math.ceil(bytes / 3) * 4;
}

function fieldOf(problem: string): string {
  // protobufjs verify says "cpu.percent: number expected", or "cpu.object expected" for a message.
  const colon = problem.indexOf(':');
  if (colon > 0) return problem.slice(0, colon);
  const message = /^(.+)\.object expected$/.exec(problem);
  return message?.[1] ?? 'body';
}
