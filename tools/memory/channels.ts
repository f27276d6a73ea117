import type { Channel } from '../../lib/domain/channel/channel';
import type { ChannelsPort } from '../../lib/ports';
import { copy } from './item';

/** The channels table in memory: channels by name, and one delivery record per notification and channel. */
export class MemoryChannels implements ChannelsPort {
  private readonly channels = new Map<string, Channel>();
  private readonly deliveries = new Map<string, { at: number; status?: number }>();

  async create(c: Channel): Promise<boolean> {
    if (this.channels.has(c.name)) return false;
    // What the table stores of a new channel: never its health, which only deliveries write.
    this.channels.set(c.name, copy({ name: c.name, kind: c.kind, filter: c.filter, secretRef: c.secretRef, target: c.target, createdAt: c.createdAt, ...(c.createdBy ? { createdBy: c.createdBy } : {}) }));
    return true;
  }

  async get(name: string): Promise<Channel | undefined> {
    const c = this.channels.get(name);
    return c ? copy(c) : undefined;
  }

  async list(): Promise<Channel[]> {
    return [...this.channels.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)).map(copy);
  }

  async remove(name: string): Promise<boolean> {
    return this.channels.delete(name);
  }

  async recordSuccess(name: string, at: number): Promise<void> {
    const c = this.channels.get(name);
    if (!c) return;
    // `failing = 0` is stored, and read back as absent.
    const { failing: _failing, ...rest } = c;
    this.channels.set(name, { ...rest, lastSuccessAt: at });
  }

  async recordFailure(name: string, at: number, error: string): Promise<void> {
    const c = this.channels.get(name);
    if (c) this.channels.set(name, { ...c, lastErrorAt: at, lastError: error.slice(0, 500), failing: (c.failing ?? 0) + 1 });
  }

  async delivered(channel: string, notificationId: string): Promise<boolean> {
    return this.deliveries.has(`${channel}\u0000${notificationId}`);
  }

  async markDelivered(channel: string, notificationId: string, at: number, status: number | undefined): Promise<boolean> {
    const key = `${channel}\u0000${notificationId}`;
    if (this.deliveries.has(key)) return false;
    this.deliveries.set(key, { at, ...(status !== undefined ? { status } : {}) });
    return true;
  }
}
