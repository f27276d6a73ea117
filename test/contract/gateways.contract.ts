import { describe, expect, it } from 'vitest';
import type { Notification } from '../../lib/domain/model';
import type { AlertPublisherPort, HeartbeatQueue, QuarantinePort, SecretsPort } from '../../lib/ports';
import { ERROR_ATTRIBUTE, MAX_MESSAGE_BYTES } from '../../lib/adapters/sqs/quarantine';
import { notice, T0 } from './fixtures';

/** What reached the other side, as a subscriber or a DLQ reader sees it. */
export interface Published {
  readonly notifications: { id: string; hostname: string; kind: string; severity: string }[];
  readonly reports: { subject: string; id: string; bytes: number }[];
}

/** A port and a way to read what it sent. */
export interface Observed<P, S> {
  readonly port: P;
  sent(): Promise<S>;
}

/** What every adapter of AlertPublisherPort does, as the alerts topic does it. */
export function alertsContract(make: () => Promise<Observed<AlertPublisherPort, Published>>): void {
  describe('AlertPublisherPort', () => {
    it('publishes each notification with its id, and a report whole up to the message limit', async () => {
      const { port, sent } = await make();
      const n: Notification = notice('a', T0, 'a:down');
      await port.publish(n);
      await port.publish(n);
      await port.publishReport('Daily report', 'x'.repeat(10), 'r1');
      const out = await sent();
      expect(out.notifications).toEqual([
        { id: 'a:down', hostname: 'a', kind: 'host-down', severity: 'critical' },
        { id: 'a:down', hostname: 'a', kind: 'host-down', severity: 'critical' },
      ]);
      expect(out.reports).toEqual([{ subject: 'Daily report', id: 'r1', bytes: 10 }]);
    });
  });
}

/** What every adapter of QuarantinePort does, as a dead-letter queue does it. */
export function quarantineContract(make: () => Promise<Observed<QuarantinePort, { body: string; reason: string | undefined }[]>>): void {
  describe('QuarantinePort', () => {
    it('keeps the body as it was, with the reason fitted into the message limit', async () => {
      const { port, sent } = await make();
      await port.send('a body', 'ValidationException: too big');
      const big = 'b'.repeat(MAX_MESSAGE_BYTES - 100);
      await port.send(big, `ValidationException: ${'r'.repeat(1000)}`);
      const out = await sent();
      expect(out.map((m) => m.body)).toEqual(['a body', big]);
      expect(out[0]?.reason).toBe('ValidationException: too big');
      const fitted = out[1]?.reason ?? '';
      expect(Buffer.byteLength(big) + Buffer.byteLength(ERROR_ATTRIBUTE) + Buffer.byteLength(fitted)).toBeLessThanOrEqual(MAX_MESSAGE_BYTES);
    });
  });
}

/** What every adapter of HeartbeatQueue does, as the heartbeats queue does it with nobody consuming. */
export function heartbeatQueueContract(make: () => Promise<HeartbeatQueue>): void {
  describe('HeartbeatQueue', () => {
    it('counts a canary sent as a message waiting', async () => {
      const queue = await make();
      expect((await queue.gauge()).pending).toBe(0);
      await queue.sendCanary(T0);
      await queue.sendCanary(T0 + 1);
      expect((await queue.gauge()).pending).toBe(2);
    });
  });
}

/** What every adapter of SecretsPort does, as SSM Parameter Store does it. */
export function secretsContract(make: () => Promise<SecretsPort>): void {
  describe('SecretsPort', () => {
    it('keeps a secret by name, replaces it, and forgets it; an unknown name is no secret, and removing it twice is no error', async () => {
      const port = await make();
      const ref = `/dts-contract/${Math.random().toString(36).slice(2)}/hook`;
      expect(await port.get(ref)).toBeUndefined();
      await port.put(ref, { url: 'https://hooks.example.com/a', key: 'k1' });
      expect(await port.get(ref)).toEqual({ url: 'https://hooks.example.com/a', key: 'k1' });
      await port.put(ref, { url: 'https://hooks.example.com/b' });
      expect(await port.get(ref)).toEqual({ url: 'https://hooks.example.com/b' });
      await port.remove(ref);
      await port.remove(ref);
      expect(await port.get(ref)).toBeUndefined();
    });

    it('keeps names apart, and a value with every kind of character whole', async () => {
      const port = await make();
      const base = `/dts-contract/${Math.random().toString(36).slice(2)}`;
      const odd = { url: 'https://hooks.example.com/ä?x="y"&z=\\', key: 'ключ-\u202e-🔑' };
      await port.put(`${base}/one`, odd);
      await port.put(`${base}/two`, { url: 'https://two.example.com' });
      expect(await port.get(`${base}/one`)).toEqual(odd);
      expect(await port.get(`${base}/two`)).toEqual({ url: 'https://two.example.com' });
    });
  });
}
