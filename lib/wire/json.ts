import descriptor from './generated/dts.json' with { type: 'json' };
import { fail, ok, type Result } from './result';

/**
 * The protobuf JSON mapping, beyond what the generated `fromObject` checks: numbers may be
 * written as strings ("12.5", "NaN", "Infinity"), integers must be in range, and only repeated
 * fields may be arrays. The field types come from the descriptor generated from the .proto.
 */

interface FieldDescriptor {
  readonly type: string;
  readonly rule?: string;
  readonly keyType?: string;
}

type Messages = Record<string, { fields: Record<string, FieldDescriptor> }>;
const MESSAGES = (descriptor as unknown as { nested: { dts: { nested: Messages } } }).nested.dts.nested;

const FLOATS = new Set(['double', 'float']);
const INTEGERS: Record<string, [number, number]> = {
  int32: [-(2 ** 31), 2 ** 31 - 1],
  uint32: [0, 2 ** 32 - 1],
  sint32: [-(2 ** 31), 2 ** 31 - 1],
  fixed32: [0, 2 ** 32 - 1],
  sfixed32: [-(2 ** 31), 2 ** 31 - 1],
};
const SPECIAL = new Set(['NaN', 'Infinity', '-Infinity']);

function number(path: string, type: string, value: unknown): Result<unknown> {
  let n: number;
  if (typeof value === 'number') n = value;
  else if (typeof value === 'string' && value.trim() !== '' && (SPECIAL.has(value) || Number.isFinite(Number(value)))) n = Number(value);
  else return fail(path, `${type} expected, got ${JSON.stringify(value)}`);
  const range = INTEGERS[type];
  if (range) {
    if (!Number.isInteger(n)) return fail(path, `integer expected, got ${JSON.stringify(value)}`);
    if (n < range[0] || n > range[1]) return fail(path, `${n} is out of range for ${type}`);
  } else if (!FLOATS.has(type)) {
    return ok(value);
  }
  return ok(n);
}

function field(path: string, f: FieldDescriptor, value: unknown): Result<unknown> {
  if (value === null) return ok(value);
  const nested = MESSAGES[f.type];
  if (nested) {
    if (typeof value !== 'object' || Array.isArray(value)) return fail(path, `object expected, got ${Array.isArray(value) ? 'an array' : JSON.stringify(value)}`);
    return message(f.type, value as Record<string, unknown>, path);
  }
  if (FLOATS.has(f.type) || f.type in INTEGERS) return number(path, f.type, value);
  return ok(value);
}

/** Normalise a JSON body against its message type, or name the first field that is wrong. */
export function normalizeJson(type: string, json: Record<string, unknown>, prefix = ''): Result<Record<string, unknown>> {
  return message(type, json, prefix);
}

function message(type: string, json: Record<string, unknown>, prefix: string): Result<Record<string, unknown>> {
  const fields = MESSAGES[type]?.fields ?? {};
  // As the protobuf JSON mapping's parsers do by default: a field the message does not have is
  // an error, not silently dropped (a LogMessage sent as a LogBatch would otherwise store nothing).
  for (const key of Object.keys(json)) {
    if (!Object.hasOwn(fields, key)) return fail(prefix ? `${prefix}.${key}` : key, `dts.${type} has no field ${JSON.stringify(key)}`);
  }
  const out: Record<string, unknown> = { ...json };
  for (const [name, f] of Object.entries(fields)) {
    const value = json[name];
    if (value === undefined) continue;
    const path = prefix ? `${prefix}.${name}` : name;
    if (f.rule === 'repeated') {
      if (!Array.isArray(value)) return fail(path, 'array expected');
      const items: unknown[] = [];
      for (const [i, item] of value.entries()) {
        const r = field(`${path}[${i}]`, f, item);
        if (!r.ok) return r;
        items.push(r.value);
      }
      out[name] = items;
    } else if (f.keyType !== undefined) {
      if (typeof value !== 'object' || Array.isArray(value)) return fail(path, 'object (a map) expected');
      // JSON.parse makes `__proto__` an own key; the generated fromObject would drop it.
      if (value !== null && Object.hasOwn(value, '__proto__')) return fail(`${path}.__proto__`, 'a map key that is not safe as an object key');
      out[name] = value;
    } else if (Array.isArray(value)) {
      return fail(path, `a single value expected, got an array`);
    } else {
      const r = field(path, f, value);
      if (!r.ok) return r;
      out[name] = r.value;
    }
  }
  return ok(out);
}
