import protobuf from 'protobufjs/minimal.js';
import descriptor from './generated/dts.json' with { type: 'json' };

/**
 * Map keys that change an object instead of adding to it. The generated decoder assigns map
 * entries to a plain object, so an entry keyed `__proto__` vanishes there without a trace: it
 * must be found in the bytes, before decoding, to be refused with a reason rather than dropped.
 */
export const PROTOTYPE_KEYS: ReadonlySet<string> = new Set(['__proto__']);

interface FieldDescriptor {
  readonly type: string;
  readonly id: number;
  readonly keyType?: string;
  readonly rule?: string;
}

type Messages = Record<string, { fields: Record<string, FieldDescriptor> }>;
const MESSAGES = (descriptor as unknown as { nested: { dts: { nested: Messages } } }).nested.dts.nested;

const LENGTH_DELIMITED = 2;

/**
 * The path of the first map entry in `bytes` (a `type` message) whose key is in PROTOTYPE_KEYS,
 * or undefined. Bytes that do not parse are left for the decoder to refuse.
 */
export function prototypeKeyIn(type: string, bytes: Uint8Array): string | undefined {
  try {
    return walk(type, protobuf.Reader.create(bytes), bytes.length, '');
  } catch {
    return undefined;
  }
}

function walk(type: string, reader: protobuf.Reader, end: number, prefix: string): string | undefined {
  const fields = Object.entries(MESSAGES[type]?.fields ?? {});
  const counts = new Map<number, number>();
  while (reader.pos < end) {
    const tag = reader.uint32();
    const id = tag >>> 3;
    const wireType = tag & 7;
    const named = fields.find(([, f]) => f.id === id);
    if (!named || wireType !== LENGTH_DELIMITED) {
      reader.skipType(wireType);
      continue;
    }
    const [name, f] = named;
    const length = reader.uint32();
    const stop = reader.pos + length;
    const index = counts.get(id) ?? 0;
    counts.set(id, index + 1);
    if (f.keyType !== undefined) {
      const key = mapKey(reader, stop);
      if (key !== undefined && PROTOTYPE_KEYS.has(key)) return `${prefix}${name}.${key}`;
    } else if (MESSAGES[f.type]) {
      const found = walk(f.type, reader, stop, `${prefix}${name}${f.rule === 'repeated' ? `[${index}]` : ''}.`);
      if (found) return found;
    }
    reader.pos = stop;
  }
  return undefined;
}

/** A map entry is a message with the key as field 1. */
function mapKey(reader: protobuf.Reader, stop: number): string | undefined {
  let key: string | undefined;
  while (reader.pos < stop) {
    const tag = reader.uint32();
    if (tag >>> 3 === 1 && (tag & 7) === LENGTH_DELIMITED) key = reader.string();
    else reader.skipType(tag & 7);
  }
  return key;
}
