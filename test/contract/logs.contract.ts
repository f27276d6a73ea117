import { describe, expect, it } from 'vitest';
import type { LogLevel, LogRecord } from '../../lib/domain/model';
import type { LogsPort } from '../../lib/ports';
import { isPoison } from '../../lib/domain/ingest/refusal';
import { T0 } from './fixtures';

const DAY = 86_400_000;
const rec = (id: string, at: number, more: Partial<LogRecord> = {}): LogRecord => ({
  app: 'web', hostname: 'a', timestamp: at / 1000, level: 30 as LogLevel, text: `line ${id}`, fields: {}, id, ...more,
});
const entry = (record: LogRecord, owner = 'm1') => ({ record, receivedAt: record.timestamp * 1000, owner });
const ids = (rs: readonly { id: string }[]) => rs.map((r) => r.id);

/** What every adapter of LogsPort does, as the logs table does it. */
export function logsContract(make: () => Promise<LogsPort>): void {
  describe('LogsPort', () => {
    it('creates a record once: a redelivery or a repeat in the batch writes and counts nothing more', async () => {
      const logs = await make();
      const a = rec('1', T0);
      const first = await logs.write([entry(a, 'm1'), entry(a, 'm2'), entry(rec('2', T0 + 1000), 'm1')], 30);
      expect(ids(first.created).sort()).toEqual(['1', '2']);
      expect(first.failed.size).toBe(0);
      const again = await logs.write([entry(a, 'm3')], 30);
      expect(again.created).toEqual([]);
      expect(ids(await logs.query({ app: 'web', minLevel: 10, since: T0 - DAY, until: T0 + DAY, limit: 10 }))).toEqual(['2', '1']);
    });

    it('refuses a record over the item size as poison, and writes its neighbours', async () => {
      const logs = await make();
      const big = rec('big', T0, { text: 'x'.repeat(500 * 1024) });
      const fine = rec('fine', T0 + 1, { text: 'y'.repeat(300 * 1024) });
      const w = await logs.write([entry(big, 'm1'), entry(fine, 'm2')], 30);
      expect(w.refused.map((r) => [r.record.id, r.owners])).toEqual([['big', ['m1']]]);
      expect(isPoison(w.refused[0]?.error)).toBe(true);
      expect(ids(w.created)).toEqual(['fine']);
    });

    it('reads by app, by host and the fleet\'s errors, newest first, from a level up, with grep', async () => {
      const logs = await make();
      await logs.write([
        entry(rec('1', T0, { level: 20 as LogLevel })),
        entry(rec('2', T0 + 1000, { level: 40 as LogLevel, text: 'disk full' })),
        entry(rec('3', T0 + 2000, { level: 50 as LogLevel, hostname: 'b', app: 'api', text: 'panic' })),
        entry(rec('4', T0 + DAY, { level: 40 as LogLevel, text: 'disk full again' })),
      ], 30);
      const window = { since: T0 - DAY, until: T0 + 2 * DAY, limit: 10 };
      expect(ids(await logs.query({ ...window, app: 'web', minLevel: 10 }))).toEqual(['4', '2', '1']);
      expect(ids(await logs.query({ ...window, host: 'a', minLevel: 40 }))).toEqual(['4', '2']);
      expect(ids(await logs.query({ ...window, minLevel: 40 }))).toEqual(['4', '3', '2']);
      expect(ids(await logs.query({ ...window, minLevel: 40, grep: 'disk' }))).toEqual(['4', '2']);
      expect(ids(await logs.query({ ...window, app: 'web', minLevel: 10, since: T0 + 1000, until: T0 + 1001 }))).toEqual(['2']);
      await expect(logs.query({ ...window, minLevel: 30 })).rejects.toThrow(/errors and above/);
      await expect(logs.query({ ...window, app: 'web', host: 'a', minLevel: 10 })).rejects.toThrow(/at most one/);
    });

    it('pages with a cursor until there is no next', async () => {
      const logs = await make();
      await logs.write([0, 1, 2, 3, 4].map((i) => entry(rec(String(i), T0 + i * 1000))), 30);
      const q = { app: 'web', minLevel: 10 as LogLevel, since: T0, until: T0 + DAY, limit: 2 };
      const one = await logs.page(q);
      const two = await logs.page({ ...q, before: one.next });
      const three = await logs.page({ ...q, before: two.next });
      expect([ids(one.records), ids(two.records), ids(three.records)]).toEqual([['4', '3'], ['2', '1'], ['0']]);
      expect(three.next).toBeUndefined();
    });
  });
}
