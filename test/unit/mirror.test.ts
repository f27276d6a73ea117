import { describe, expect, it, vi } from 'vitest';
import { legacyLine } from '../../lib/app/ingest/logs';
import type { LogRecord } from '../../lib/domain/model';

const record = (r: Partial<LogRecord>): LogRecord => ({
  app: 'billing', hostname: 'db-2', timestamp: 1700000000.123456, level: 20, text: 'invoice sent', fields: {}, id: 'x', ...r,
});

describe('the legacy LogTracer mirror', () => {
  it('formats a record as [app@hostname seconds.micros] text', () => {
    expect(legacyLine(record({}))).toBe('[billing@db-2 1700000000.123456] invoice sent');
  });

  it('always prints six decimals', () => {
    expect(legacyLine(record({ timestamp: 1700000000 }))).toBe('[billing@db-2 1700000000.000000] invoice sent');
  });

  it('re-logs each record at its own level', async () => {
    vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'DEBUG');
    const { mirrorRecord } = await import('../../functions/commons/powertools');
    const lines: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => (lines.push(String(chunk)), true));
    const errSpy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => (lines.push(String(chunk)), true));
    try {
      for (const level of [10, 20, 30, 40, 50] as const) mirrorRecord(record({ level, text: `at ${level}` }));
    } finally {
      spy.mockRestore();
      errSpy.mockRestore();
      vi.unstubAllEnvs();
    }
    const logged = lines.flatMap((l) => l.split('\n')).filter(Boolean).map((l) => JSON.parse(l) as { level: string; message: string });
    expect(logged.map((l) => [l.level, l.message])).toEqual([
      ['DEBUG', '[billing@db-2 1700000000.123456] at 10'],
      ['INFO', '[billing@db-2 1700000000.123456] at 20'],
      ['WARN', '[billing@db-2 1700000000.123456] at 30'],
      ['ERROR', '[billing@db-2 1700000000.123456] at 40'],
      ['CRITICAL', '[billing@db-2 1700000000.123456] at 50'],
    ]);
  });
});
