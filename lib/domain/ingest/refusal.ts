/**
 * Poison or transient: the one classifier of failures from DynamoDB, SNS, SQS and the SDK.
 *
 * A refusal of the request itself (its shape, its size, its values) is a verdict on the data
 * that caused it: retrying cannot change it, so the record goes to its DLQ at once, with the
 * reason. Only throttling, timeouts and dropped connections (and the service's own 5xx) are
 * transient; they are retried. Anything not recognised is treated as transient, so an unknown
 * failure is retried and, if it persists, redriven by SQS rather than judged.
 */
export type Verdict = 'poison' | 'transient';

/** Service errors that refuse the request's content. */
const REFUSALS = new Set([
  'ValidationException',
  'SerializationException',
  'InvalidParameterException',
  'InvalidParameterValueException',
  'InvalidParameterValue',
  'InvalidMessageContents',
  'ItemCollectionSizeLimitExceededException',
]);

/** What the SDK's marshalling throws before anything is sent, for a value it cannot carry. */
const MARSHALLING = [
  /Unsupported type passed/,
  /is (greater|lesser) than Number\.(MAX|MIN)_SAFE_INTEGER/,
  /Special numeric value/,
  /Pass options\.removeUndefinedValues/,
  /Pass a non-empty set/,
  /Only Number Set \(NS\), Binary Set \(BS\) or String Set \(SS\)/,
  /AttributeValue .*empty/i,
];

/** Throttling, timeouts, dropped connections: these win over any other sign. */
const TRANSIENT_NAMES = /Throttl|ProvisionedThroughputExceeded|RequestLimitExceeded|TooManyRequests|Timeout|TimedOut|ServiceUnavailable|InternalServerError|InternalFailure|UnprocessedItems|OutOfTime/;
const TRANSIENT_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'ENOTFOUND', 'ENETUNREACH', 'EHOSTUNREACH', 'UND_ERR_SOCKET']);

function isTransient(error: Error): boolean {
  const code = (error as { code?: unknown }).code ?? (error.cause as { code?: unknown } | undefined)?.code;
  return TRANSIENT_NAMES.test(error.name) || (typeof code === 'string' && TRANSIENT_CODES.has(code)) || /socket hang up/.test(error.message);
}

export function classify(error: unknown): Verdict {
  if (error instanceof Error && isTransient(error)) return 'transient';
  if (error instanceof URIError || error instanceof TypeError || error instanceof RangeError) return 'poison';
  if (!(error instanceof Error)) return 'transient';
  if (REFUSALS.has(error.name)) return 'poison';
  if (MARSHALLING.some((pattern) => pattern.test(error.message))) return 'poison';
  return 'transient';
}

export const isPoison = (error: unknown): boolean => classify(error) === 'poison';

/** A short reason for a DLQ attribute: the error's name and message. */
export function refusalReason(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
