/**
 * The message attributes of the wire contract: constants only, apart from the codec so that
 * what only names a type (the canary's sender) does not load the generated protobuf code.
 */

/** The SQS message attribute that names a body's message type. */
export const TYPE_ATTRIBUTE = 'dts-type';

/**
 * The `dts-type` of a canary: diagnose's own message through the heartbeats queue, whose body
 * is its stamp in ms. Ingest records it once the beats it came with are stored; it is not a
 * beat (docs/SEMANTICS.md, "Trust the monitor before blaming the host").
 */
export const CANARY_TYPE = 'dts.Canary';
