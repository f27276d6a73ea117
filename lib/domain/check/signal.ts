import type { SignalKind } from './check';

/**
 * What a ping says, from the tail of its URL (`/ping/<key>[/start|/fail|/<0-255>]`) or a
 * CheckPing's status. An exit status 0 is a success, any other a failure, as a shell reads it.
 */

/** The most of a job's output kept: its last 10 KB, stored as a log record (app = the check's name). */
export const OUTPUT_KEEP_BYTES = 10 * 1024;
/** A body longer than this is refused whole: a ping is not a log shipper. */
export const BODY_LIMIT_BYTES = 100 * 1024;

export interface SignalOf {
  readonly kind: SignalKind;
  readonly exit?: number;
}

/** `''` (success), `start`, `success`, `fail`, or an exit status 0-255; else a reason. */
export function parseStatus(text: string): SignalOf | string {
  switch (text) {
    case '':
    case 'success':
      return { kind: 'success' };
    case 'start':
      return { kind: 'start' };
    case 'fail':
      return { kind: 'fail' };
  }
  if (!/^\d{1,3}$/.test(text) || Number(text) > 255) return `a ping's status is start, fail, success or an exit status 0 to 255; got ${JSON.stringify(text.slice(0, 40))}`;
  const exit = Number(text);
  return { kind: exit === 0 ? 'success' : 'fail', exit };
}

/** The last `limit` bytes of a job's output, cut on a character boundary. */
export function outputTail(output: string, limit = OUTPUT_KEEP_BYTES): string {
  const bytes = Buffer.from(output, 'utf8');
  if (bytes.length <= limit) return output;
  // Drop continuation bytes at the cut, so the tail starts on a whole character.
  let start = bytes.length - limit;
  while (start < bytes.length && ((bytes[start] as number) & 0xc0) === 0x80) start++;
  return bytes.subarray(start).toString('utf8');
}
