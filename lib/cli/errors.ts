/**
 * Exit codes and the one-line messages a user sees. A mistake the user can fix (a bad flag,
 * no credentials, an unknown host) is a sentence, never a stack trace.
 */
import { BackendError, isConnectionError } from '../producer/locate';

export const EXIT = {
  OK: 0,
  /** The operation failed: AWS refused, a send was lost, the backend is unreachable. */
  FAILED: 1,
  /** The command line is wrong: unknown option, bad duration, missing argument. */
  USAGE: 2,
  /** What was asked for does not exist (an unknown host). */
  NOT_FOUND: 3,
  /** dts cannot find or reach its backend: no queues or tables, no credentials, no region. */
  CONFIG: 4,
} as const;

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export const usage = (message: string): CliError => new CliError(message, EXIT.USAGE);
export const notFound = (message: string): CliError => new CliError(message, EXIT.NOT_FOUND);

/** Turn anything thrown into the line to print and the code to exit with. */
export function explain(e: unknown): { message: string; exitCode: number } {
  if (e instanceof CliError) return { message: e.message, exitCode: e.exitCode };
  if (e instanceof BackendError) return { message: e.message, exitCode: EXIT.CONFIG };
  if ((e as Error | undefined)?.name === 'ConfigError') return { message: (e as Error).message, exitCode: EXIT.CONFIG };
  const err = e as { name?: string; message?: string; Code?: string; $metadata?: { httpStatusCode?: number } };
  const name = err.name ?? '';
  const message = firstLine(err.message ?? String(e));
  if (name === 'CredentialsProviderError' || /Could not load credentials/i.test(message)) {
    return {
      message: 'no AWS credentials: set AWS_PROFILE (or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY), or use the local cloud (npm start)',
      exitCode: EXIT.CONFIG,
    };
  }
  if (/Region is missing/i.test(message)) return { message: 'no AWS region: set AWS_REGION or pass --region', exitCode: EXIT.CONFIG };
  if (['UnrecognizedClientException', 'InvalidClientTokenId', 'ExpiredToken', 'ExpiredTokenException', 'InvalidSignatureException', 'SignatureDoesNotMatch'].includes(name)) {
    return { message: `AWS rejected the credentials (${name}): ${message}`, exitCode: EXIT.CONFIG };
  }
  if (['AccessDenied', 'AccessDeniedException'].includes(name)) return { message: `access denied: ${message}`, exitCode: EXIT.CONFIG };
  if (name === 'ResourceNotFoundException') return { message: `${message} (is the stack deployed, and are the table names right?)`, exitCode: EXIT.CONFIG };
  if (/NonExistentQueue|QueueDoesNotExist/.test(name)) return { message: `queue not found: ${message}`, exitCode: EXIT.CONFIG };
  if (isConnectionError(e)) return { message: `cannot reach the backend: ${message}`, exitCode: EXIT.FAILED };
  return { message: name && name !== 'Error' ? `${name}: ${message}` : message, exitCode: EXIT.FAILED };
}

function firstLine(s: string): string {
  return s.split('\n')[0]?.trim() ?? s;
}
