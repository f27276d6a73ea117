import type { Silence } from '../../lib/domain/model';
import type { SilencesPort } from '../../lib/ports';
import { copy } from './item';

/** The silences table in memory: one partition, sorted by id, with the same conditions. */
export class MemorySilences implements SilencesPort {
  private readonly items = new Map<string, Silence>();

  async create(s: Silence): Promise<boolean> {
    if (this.items.has(s.id)) return false;
    // What DynamoDB stores of a silence: never a `closedAt` given at creation.
    const { closedAt: _closed, ...stored } = copy(s);
    this.items.set(s.id, { ...stored, reason: stored.reason ?? '' });
    return true;
  }

  async all(): Promise<Silence[]> {
    return [...this.items.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)).map(copy);
  }

  async end(id: string, now: number): Promise<boolean> {
    const s = this.items.get(id);
    if (!s || !(s.endsAt > now)) return false;
    this.items.set(id, { ...s, endsAt: now });
    return true;
  }

  async close(id: string, at: number): Promise<void> {
    const s = this.items.get(id);
    if (s && s.closedAt === undefined) this.items.set(id, { ...s, closedAt: at });
  }
}
