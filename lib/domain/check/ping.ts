import { fail, ok, type Result } from '../../wire/result';
import { checkNameProblem, PING_KEY } from './check';
import { BODY_LIMIT_BYTES, OUTPUT_KEEP_BYTES, parseStatus, type SignalOf } from './signal';

/** A CheckPing's fields, however they came: the SQS message, a /ping URL and its body, the producer. */
export interface PingFields {
  readonly check?: string | null;
  readonly key?: string | null;
  readonly status?: string | null;
  readonly output?: string | null;
}

// A lone surrogate cannot be carried as UTF-8 (the same rule as lib/wire/validate.ts).
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

/** A check's signal as a CheckPing carries it, validated. */
export interface ValidPing {
  /** Which check: its name, or its ping key. */
  readonly check: { readonly name: string } | { readonly key: string };
  readonly signal: SignalOf;
  readonly output: string;
}

/**
 * A CheckPing: exactly one of `check` (a name) and `key`, a status that parseStatus reads, and an
 * output no longer than the body limit (the last 10 KB of it is kept, by the use case).
 */
export function validateCheckPing(m: PingFields): Result<ValidPing> {
  const named = (m.check ?? '') !== '';
  const keyed = (m.key ?? '') !== '';
  if (named === keyed) return fail('check', named ? 'give the check\'s name or its ping key, not both' : 'names no check: give its name (check) or its ping key (key)');
  if (named) {
    const problem = checkNameProblem(m.check as string);
    if (problem) return fail('check', problem);
  } else if (!PING_KEY.test(m.key as string)) return fail('key', 'unknown or revoked ping key');
  const signal = parseStatus(m.status ?? '');
  if (typeof signal === 'string') return fail('status', signal);
  const output = m.output ?? '';
  if (Buffer.byteLength(output) > BODY_LIMIT_BYTES) return fail('output', `over ${BODY_LIMIT_BYTES} bytes: send the end of the output (dts keeps the last ${OUTPUT_KEEP_BYTES})`);
  if (LONE_SURROGATE.test(output)) return fail('output', 'contains a lone surrogate: not valid Unicode');
  return ok({ check: named ? { name: m.check as string } : { key: m.key as string }, signal, output });
}
