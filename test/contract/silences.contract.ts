import { describe, expect, it } from 'vitest';
import type { Silence } from '../../lib/domain/model';
import type { SilencesPort } from '../../lib/ports';
import { T0 } from './fixtures';

const silence = (id: string, more: Partial<Silence> = {}): Silence => ({ id, target: { hostname: 'a' }, startsAt: T0, endsAt: T0 + 3_600_000, reason: 'maintenance', ...more });

/** What every adapter of SilencesPort does, as the silences table does it. */
export function silencesContract(make: () => Promise<SilencesPort>): void {
  describe('SilencesPort', () => {
    it('creates a silence once by id, and lists them by id', async () => {
      const s = await make();
      expect(await s.create(silence('s2', { createdBy: 'ops' }))).toBe(true);
      expect(await s.create(silence('s1', { target: { label: 'rack', value: 'r1' }, reason: '' }))).toBe(true);
      expect(await s.create(silence('s2', { reason: 'again' }))).toBe(false);
      expect(await s.all()).toEqual([silence('s1', { target: { label: 'rack', value: 'r1' }, reason: '' }), silence('s2', { createdBy: 'ops' })]);
    });

    it('keeps the targets of log rules\' silences: an app, a rule', async () => {
      const s = await make();
      await s.create(silence('s1', { target: { app: 'payments' } }));
      await s.create(silence('s2', { target: { rule: 'web-errors' } }));
      expect((await s.all()).map((x) => x.target)).toEqual([{ app: 'payments' }, { rule: 'web-errors' }]);
    });

    it('ends a silence only while it lasts, and closes it once', async () => {
      const s = await make();
      await s.create(silence('s1'));
      expect(await s.end('nope', T0)).toBe(false);
      expect(await s.end('s1', T0 + 60_000)).toBe(true);
      expect(await s.end('s1', T0 + 60_000)).toBe(false);
      await s.close('s1', T0 + 70_000);
      await s.close('s1', T0 + 80_000);
      await s.close('nope', T0);
      expect(await s.all()).toEqual([silence('s1', { endsAt: T0 + 60_000, closedAt: T0 + 70_000 })]);
    });
  });
}
