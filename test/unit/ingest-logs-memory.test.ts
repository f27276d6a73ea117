import { describe, expect, it } from 'vitest';
import type { LogLevel } from '../../lib/domain/model';
import { dayOf } from '../../lib/domain/model/days';
import { ingestLogMessages, type LogIngest } from '../../lib/app/ingest/logs';
import { silentLog } from '../../lib/app/log';
import { encodeBody } from '../../lib/wire/codec';
import { MemoryLogs, MemoryQuarantine, MemoryStats } from '../../tools/memory';
import { sqsRecord } from '../support/events';

/**
 * Ingesting log batches on the in-memory adapters (tools/memory), held to the logs and stats
 * contracts: what test/integration/ingest-logs.test.ts proves on an engine, in milliseconds.
 */
const NOW = Date.parse('2026-11-20T10:00:00Z');
const T0 = NOW / 1000 - 600;
const TODAY = dayOf(T0 * 1000);

function world() {
  const logs = new MemoryLogs();
  const stats = new MemoryStats();
  const quarantine = new MemoryQuarantine();
  const d: LogIngest = {
    logs, stats, quarantine, limits: { maxFutureSeconds: 86_400, textMaxBytes: 32_768 }, ttlDays: 14, mirror: undefined, log: silentLog, now: () => NOW,
  };
  return { logs, stats, quarantine, d };
}

interface R { app?: string; level?: number; text?: string; id?: string; timestamp?: number }
const batch = (records: R[], messageId?: string) => sqsRecord(
  encodeBody('dts.LogBatch', { records: records.map((r) => ({ app: 'api', hostname: 'web-1', timestamp: T0, level: 20, text: 'hello', ...r })) }),
  { type: 'dts.LogBatch', sentAt: NOW, ...(messageId ? { messageId } : {}) },
);
const all = (logs: MemoryLogs, app: string) => logs.query({ app, minLevel: 10 as LogLevel, since: (T0 - 3600) * 1000, until: NOW + 1000, limit: 1000 });

describe('ingesting log batches, in memory', () => {
  it('a redelivered message is written and counted once', async () => {
    const w = world();
    const message = batch([{ app: 'twice', id: 'x1' }, { app: 'twice', level: 40, id: 'x2' }], 'dup');
    const first = await ingestLogMessages(w.d, [message]);
    const again = await ingestLogMessages(w.d, [message]);
    expect([first.counted, again.counted]).toEqual([2, 0]);
    expect(await all(w.logs, 'twice')).toHaveLength(2);
    expect(await w.stats.counts('twice', TODAY, TODAY)).toEqual([{ app: 'twice', day: TODAY, counts: { 10: 0, 20: 1, 30: 0, 40: 1, 50: 0 } }]);
  });

  it('counts per app, day and level across the messages of a batch', async () => {
    const w = world();
    const yesterday = dayOf((T0 - 86_400) * 1000);
    await ingestLogMessages(w.d, [
      batch([{ app: 'c1', level: 40, id: '1' }, { app: 'c1', level: 40, id: '2' }, { app: 'c2', level: 50, id: '3' }]),
      batch([{ app: 'c1', level: 20, id: '4' }, { app: 'c1', level: 40, id: '5', timestamp: T0 - 86_400 }]),
    ]);
    expect((await w.stats.counts('c1', yesterday, TODAY)).map((c) => [c.day, c.counts[20], c.counts[40]])).toEqual([[yesterday, 0, 1], [TODAY, 1, 2]]);
    expect((await w.stats.countsOn(TODAY)).map((c) => c.app)).toEqual(['c1', 'c2']);
  });

  it('a record the table refuses goes to the DLQ with its reason; its neighbours and the other messages are stored', async () => {
    const w = world();
    const out = await ingestLogMessages({ ...w.d, limits: { ...w.d.limits, textMaxBytes: 1_000_000 } }, [
      batch([{ app: 'big', id: 'ok' }, { app: 'big', id: 'huge', text: 'x'.repeat(500 * 1024) }], 'm-big'),
      batch([{ app: 'fine', id: 'f1' }], 'm-fine'),
    ]);
    expect(out).toMatchObject({ refused: 1, counted: 2 });
    expect(out.failures.size).toBe(0);
    expect((await all(w.logs, 'big')).map((r) => r.id)).toEqual(['ok']);
    expect(await all(w.logs, 'fine')).toHaveLength(1);
    expect(w.quarantine.messages).toHaveLength(1);
    expect(w.quarantine.messages[0]?.reason).toMatch(/ValidationException/);
  });
});
