/**
 * The serverless params that end-to-end files start their clouds with, one set per file that
 * needs any. Each set is a template of its own, packaged once per checkout (10 to 40 s, one at a
 * time under a lock; tools/local/template/packaged.ts): `npm test` packages them all ahead, beside
 * the integration suite (prepackage.ts), so that a fresh clone's files do not queue for the lock.
 * A file passes its set with `paramArgs`, so that what is packaged ahead is what it asks for.
 */
export const E2E_PARAMS = {
  // A storm needs more hosts than the fleet has; the sweep takes entries older than 1 s.
  alertFaults: { stormMinHosts: '1000', sweepGraceSeconds: '1' },
  // A short timeout, and a visibility timeout just above it (the template keeps 6×, as AWS advises).
  bigbatch: { ingestTimeout: '6', ingestVisibilityTimeout: '7', mirrorLogs: 'false' },
  // A failed delivery comes back after 4 s instead of 2 minutes.
  channels: { notifyRetrySeconds: '4', notifyTimeout: '15', notifyMaxWaitMs: '2000' },
  // Each pass watches the deadlines up to the next one (--tick 2), and holds no late check back.
  checks: { diagnoseWatchSeconds: '2', diagnoseGroupWaitSeconds: '0' },
  fanout: { diagnoseWorkers: '4', diagnoseHostsPerWorker: '1', diagnoseWatchSeconds: '0' },
  ingestLag: { tolerance: '3' },
  restart: { diagnoseWatchSeconds: '8' },
  // A pass every 10 s, each watching the deadlines until the next, holding deaths 8 s to group them.
  storm: { diagnoseWatchSeconds: '10', diagnoseGroupWaitSeconds: '8', sweepGraceSeconds: '1' },
} as const satisfies Record<string, Readonly<Record<string, string>>>;

/** `--param NAME=VALUE` for each of a set, in its order (the order is part of the template's cache key). */
export function paramArgs(params: Readonly<Record<string, string>>): string[] {
  return Object.entries(params).flatMap(([name, value]) => ['--param', `${name}=${value}`]);
}
