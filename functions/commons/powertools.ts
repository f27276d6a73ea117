import { Logger } from '@aws-lambda-powertools/logger';
import type { LogRecord } from '../../lib/domain/model';
import { legacyLine } from '../../lib/app/ingest/logs';

export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'dts' });

/** LogTracer's mirror: each record re-logged at its own level, in the legacy line format. */
const mirrorLogger = logger.createChild({ serviceName: 'dts-mirror' });

export function mirrorRecord(r: LogRecord): void {
  const line = legacyLine(r);
  const extra = { app: r.app, hostname: r.hostname };
  if (r.level >= 50) mirrorLogger.critical(line, extra);
  else if (r.level >= 40) mirrorLogger.error(line, extra);
  else if (r.level >= 30) mirrorLogger.warn(line, extra);
  else if (r.level >= 20) mirrorLogger.info(line, extra);
  else mirrorLogger.debug(line, extra);
}

/**
 * Wrap a record handler so that a record that fails is logged with its message id and error
 * before it is reported to SQS for redelivery.
 */
export function logFailures<R extends { messageId: string }, T>(handle: (record: R) => Promise<T>): (record: R) => Promise<T> {
  return async (record) => {
    try {
      return await handle(record);
    } catch (error) {
      logger.error('record failed; SQS will redeliver it', { messageId: record.messageId, error: error as Error });
      throw error;
    }
  };
}
