import type { HeartbeatQueue } from '../../lib/app/ingest/watermark';

/**
 * A heartbeats queue that always reads empty, on the given clock: for tests that store beats
 * straight into the hosts table, where nothing can be waiting on a queue.
 */
export function idleQueue(now: () => number): HeartbeatQueue {
  return {
    gauge: async () => ({ pending: 0, visibilityTimeoutMs: 30_000, at: now() }),
    sendCanary: async () => {
      throw new Error('an idle queue takes no canary');
    },
  };
}
