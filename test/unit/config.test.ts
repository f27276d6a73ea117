import { namesFromEnv } from '../../lib/compose';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../lib/config';
import { readBoolean, readNumber, readString } from '../../lib/config/env';

/** The error loadConfig throws for this environment, or a failure if it throws none. */
function errorFor(env: Record<string, string>): Error {
  try {
    loadConfig(env);
  } catch (e) {
    return e as Error;
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(env)}`);
}

describe('config', () => {
  describe('defaults, given an empty environment', () => {
    const c = loadConfig({});

    it('liveness: interval 60 s, tolerance 3, retire after 7 days', () => {
      expect(c.liveness).toEqual({ defaultInterval: 60, tolerance: 3, retireAfter: 604_800 });
    });

    it('levels: cpu 85/95, mem 85/95, disk 80/90, margin 5, cpu sustain 3', () => {
      expect(c.levels).toEqual({
        cpu: { warning: 85, critical: 95 }, mem: { warning: 85, critical: 95 }, disk: { warning: 80, critical: 90 }, margin: 5, cpuSustain: 3,
      });
    });

    it('retention: logs 14 days, notifications 90 days', () => {
      expect(c.logs.ttlDays).toBe(14);
      expect(c.notifications.ttlDays).toBe(90);
    });

    it('logs: text capped at 32 KiB, mirrored to the function log', () => {
      expect(c.logs.textMaxBytes).toBe(32_768);
      expect(c.logs.mirror).toBe(true);
    });

    it('diagnose: 4 scan segments, 10 s for its canary through the heartbeats queue; timestamps at most a day ahead', () => {
      expect(c.diagnose).toEqual({
        scanSegments: 4, lagWaitMs: 10_000, sweepGraceMs: 30_000, watchMs: 60_000, groupWaitMs: 10_000, workers: 1, hostsPerWorker: 50_000, workerFunction: undefined,
      });
      expect(c.maxFutureSeconds).toBe(86_400);
      expect(c.ingest).toEqual({ visibilityTimeoutMs: 180_000, retryBaseMs: 5000 });
    });

    it('optional DLQ urls are undefined', () => {
      expect(namesFromEnv({}).find('heartbeatsDlqUrl')).toBeUndefined();
      expect(namesFromEnv({}).find('logsDlqUrl')).toBeUndefined();
    });
  });

  describe('values from the environment', () => {
    it('reads every setting', () => {
      const c = loadConfig({
        DTS_DEFAULT_INTERVAL: '30', DTS_TOLERANCE: '2.5', DTS_RETIRE_AFTER: '3600',
        DTS_CPU_WARNING: '70', DTS_CPU_CRITICAL: '90', DTS_MEM_WARNING: '60', DTS_MEM_CRITICAL: '80', DTS_DISK_WARNING: '75', DTS_DISK_CRITICAL: '85',
        DTS_LEVEL_MARGIN: '2', DTS_CPU_SUSTAIN: '5', DTS_SCAN_SEGMENTS: '8', DTS_LAG_WAIT_SECONDS: '2.5', DTS_INGEST_VISIBILITY_SECONDS: '60', DTS_INGEST_RETRY_SECONDS: '2', DTS_SWEEP_GRACE_SECONDS: '2',
        DTS_LOG_TTL_DAYS: '7', DTS_TEXT_MAX_BYTES: '1024', DTS_MIRROR_LOGS: 'false', DTS_MAX_RECEIVE_COUNT: '7', DTS_NOTIFICATION_TTL_DAYS: '30', DTS_MAX_FUTURE_SECONDS: '300',
        DTS_DIAGNOSE_WORKERS: '16', DTS_DIAGNOSE_HOSTS_PER_WORKER: '25000', DTS_DIAGNOSE_WORKER_FUNCTION: 'dts-dev-diagnoseWorker',
      });
      expect(c.liveness).toEqual({ defaultInterval: 30, tolerance: 2.5, retireAfter: 3600 });
      expect(c.levels).toEqual({
        cpu: { warning: 70, critical: 90 }, mem: { warning: 60, critical: 80 }, disk: { warning: 75, critical: 85 }, margin: 2, cpuSustain: 5,
      });
      expect(c.diagnose).toEqual({
        scanSegments: 8, lagWaitMs: 2500, sweepGraceMs: 2000, watchMs: 60_000, groupWaitMs: 10_000, workers: 16, hostsPerWorker: 25_000, workerFunction: 'dts-dev-diagnoseWorker',
      });
      expect(c.logs).toEqual({ ttlDays: 7, textMaxBytes: 1024, mirror: false, maxReceiveCount: 7 });
      expect(c.notifications.ttlDays).toBe(30);
      expect(c.ingest).toEqual({ visibilityTimeoutMs: 60_000, retryBaseMs: 2000 });
      expect(c.maxFutureSeconds).toBe(300);
    });

    it('treats an empty or blank variable as unset', () => {
      expect(loadConfig({ DTS_TOLERANCE: '', DTS_SCAN_SEGMENTS: '  ', DTS_MIRROR_LOGS: '' }).liveness.tolerance).toBe(3);
      expect(loadConfig({ DTS_SCAN_SEGMENTS: '  ' }).diagnose.scanSegments).toBe(4);
    });

    it.each([['1', true], ['TRUE', true], ['yes', true], ['on', true], ['0', false], ['False', false], ['no', false], ['off', false]])(
      'DTS_MIRROR_LOGS=%s reads as %s',
      (raw, value) => {
        expect(loadConfig({ DTS_MIRROR_LOGS: raw }).logs.mirror).toBe(value);
      },
    );

    it('reads resource names when used, so a function needs only its own', () => {
      const names = namesFromEnv({ DTS_HOSTS_TABLE: 'dts-test-hosts', DTS_HEARTBEATS_DLQ_URL: 'http://q/dlq' });
      expect(names.need('hostsTable')).toBe('dts-test-hosts');
      expect(names.find('heartbeatsDlqUrl')).toBe('http://q/dlq');
      expect(() => names.need('logsTable')).toThrow(ConfigError);
    });
  });

  describe('a bad variable gives an error naming it', () => {
    it.each([
      ['DTS_TOLERANCE', 'abc'],
      ['DTS_TOLERANCE', '0.5'],
      ['DTS_DEFAULT_INTERVAL', '0'],
      ['DTS_DEFAULT_INTERVAL', 'Infinity'],
      ['DTS_RETIRE_AFTER', '59'],
      ['DTS_CPU_WARNING', '101'],
      ['DTS_DISK_CRITICAL', '-1'],
      ['DTS_MEM_WARNING', '85%'],
      ['DTS_LEVEL_MARGIN', '51'],
      ['DTS_CPU_SUSTAIN', '0'],
      ['DTS_CPU_SUSTAIN', '1.5'],
      ['DTS_SCAN_SEGMENTS', '0'],
      ['DTS_SCAN_SEGMENTS', '2.5'],
      ['DTS_LAG_WAIT_SECONDS', '0'],
      ['DTS_INGEST_VISIBILITY_SECONDS', '-1'],
      ['DTS_LOG_TTL_DAYS', '0'],
      ['DTS_TEXT_MAX_BYTES', '100'],
      ['DTS_MIRROR_LOGS', 'maybe'],
      ['DTS_MAX_RECEIVE_COUNT', '0'],
      ['DTS_NOTIFICATION_TTL_DAYS', 'ninety'],
      ['DTS_MAX_FUTURE_SECONDS', '-5'],
    ])('%s=%j', (variable, raw) => {
      const e = errorFor({ [variable]: raw });
      expect(e).toBeInstanceOf(ConfigError);
      expect((e as ConfigError).variable).toBe(variable);
      expect(e.message.startsWith(`${variable}: `)).toBe(true);
      expect(e.message).toContain(raw);
    });

    it('a critical threshold below its warning names both variables', () => {
      const e = errorFor({ DTS_DISK_WARNING: '90', DTS_DISK_CRITICAL: '80' });
      expect(e.message).toContain('DTS_DISK_CRITICAL');
      expect(e.message).toContain('DTS_DISK_WARNING');
    });

    it('a missing required resource name is named when it is read', () => {
      const names = namesFromEnv({});
      for (const [key, variable] of [
        ['hostsTable', 'DTS_HOSTS_TABLE'], ['logsTable', 'DTS_LOGS_TABLE'], ['notificationsTable', 'DTS_NOTIFICATIONS_TABLE'],
        ['statsTable', 'DTS_STATS_TABLE'], ['alertsTopicArn', 'DTS_ALERTS_TOPIC_ARN'], ['heartbeatsQueueUrl', 'DTS_HEARTBEATS_QUEUE_URL'],
        ['logsQueueUrl', 'DTS_LOGS_QUEUE_URL'],
      ] as const) {
        expect(() => names.need(key)).toThrow(`${variable}: is required but not set`);
      }
    });
  });

  describe('the readers', () => {
    it('readString uses the fallback and refuses an unset required value', () => {
      expect(readString({}, 'X', 'fb')).toBe('fb');
      expect(readString({ X: 'v' }, 'X', 'fb')).toBe('v');
      expect(() => readString({ X: '' }, 'X')).toThrow(ConfigError);
    });

    it('readNumber honours min, max and integer at the bounds', () => {
      expect(readNumber({ N: '1' }, 'N', 5, { min: 1, max: 10, integer: true })).toBe(1);
      expect(readNumber({ N: '10' }, 'N', 5, { min: 1, max: 10, integer: true })).toBe(10);
      expect(() => readNumber({ N: '0.999' }, 'N', 5, { min: 1 })).toThrow('N: ');
      expect(() => readNumber({ N: '10.001' }, 'N', 5, { max: 10 })).toThrow('N: ');
      expect(() => readNumber({ N: 'NaN' }, 'N', 5)).toThrow('N: expected a number');
    });

    it('readBoolean refuses anything but the known words', () => {
      expect(() => readBoolean({ B: 'y' }, 'B', true)).toThrow('B: expected true or false');
    });
  });
});
