import { describe, expect, it } from 'vitest';
import type { Channel } from '../../lib/domain/channel/channel';
import type { ChannelsPort } from '../../lib/ports';
import { T0 } from './fixtures';

/** The port and the CLI's own calls, which set up what the port reads. */
export type ChannelsUnderTest = ChannelsPort & {
  create(c: Channel): Promise<boolean>;
  get(name: string): Promise<Channel | undefined>;
  remove(name: string): Promise<boolean>;
};

const channel = (name: string): Channel => ({ name, kind: 'webhook', filter: 'severity>=warning', secretRef: `/t/${name}`, target: 'example.org/…', createdAt: T0 });

/** What every adapter of ChannelsPort does, as the channels table does it. */
export function channelsContract(make: () => Promise<ChannelsUnderTest>): void {
  describe('ChannelsPort', () => {
    it('creates a channel once by name, lists them by name, and removes one once', async () => {
      const c = await make();
      expect(await c.create(channel('b'))).toBe(true);
      expect(await c.create(channel('a'))).toBe(true);
      expect(await c.create({ ...channel('a'), filter: '' })).toBe(false);
      expect(await c.list()).toEqual([channel('a'), channel('b')]);
      expect(await c.remove('a')).toBe(true);
      expect(await c.remove('a')).toBe(false);
      expect(await c.get('a')).toBeUndefined();
    });

    it('counts failures until a success, and never creates a channel by recording its health', async () => {
      const c = await make();
      await c.create(channel('a'));
      await c.recordFailure('a', T0 + 1, 'HTTP 500');
      await c.recordFailure('a', T0 + 2, `HTTP 502 ${'x'.repeat(600)}`);
      const failing = await c.get('a');
      expect(failing).toMatchObject({ failing: 2, lastErrorAt: T0 + 2 });
      expect(failing?.lastError).toHaveLength(500);
      await c.recordSuccess('a', T0 + 3);
      expect(await c.get('a')).toMatchObject({ lastSuccessAt: T0 + 3 });
      expect((await c.get('a'))?.failing).toBeUndefined();
      await c.recordSuccess('ghost', T0);
      await c.recordFailure('ghost', T0, 'x');
      expect(await c.get('ghost')).toBeUndefined();
    });

    it('marks a notification delivered to a channel once', async () => {
      const c = await make();
      expect(await c.delivered('a', 'n1')).toBe(false);
      expect(await c.markDelivered('a', 'n1', T0, 200)).toBe(true);
      expect(await c.markDelivered('a', 'n1', T0 + 1, 200)).toBe(false);
      expect(await c.delivered('a', 'n1')).toBe(true);
      expect(await c.delivered('b', 'n1')).toBe(false);
    });
  });
}
