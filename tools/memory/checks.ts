import type { Check, Signal } from '../../lib/domain/check/check';
import type { CheckStateChange, ChecksPort } from '../../lib/ports';
import { isRepeatedEnd, withSignal } from '../../lib/domain/check/runs';
import { copy } from './item';

/** The checks table in memory: checks by their key's hash, names to hashes, with the same conditions. */
export class MemoryChecks implements ChecksPort {
  private readonly byHash = new Map<string, Check>();
  private readonly names = new Map<string, string>();

  async add(c: Check): Promise<boolean> {
    const held = this.names.get(c.name);
    if (held !== undefined && this.byHash.has(held)) return false;
    this.names.set(c.name, c.keyHash);
    const { pending: _pending, ...stored } = copy(c);
    this.byHash.set(c.keyHash, stored);
    return true;
  }

  async get(name: string): Promise<Check | undefined> {
    const hash = this.names.get(name);
    const c = hash === undefined ? undefined : this.byHash.get(hash);
    return c && copy(c);
  }

  async list(): Promise<Check[]> {
    return [...this.byHash.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)).map(copy);
  }

  async setPaused(name: string, paused: boolean): Promise<boolean> {
    const hash = this.names.get(name);
    const c = hash === undefined ? undefined : this.byHash.get(hash);
    if (!c) return false;
    this.byHash.set(c.keyHash, { ...c, paused });
    return true;
  }

  async remove(name: string): Promise<boolean> {
    const hash = this.names.get(name);
    if (hash === undefined) return false;
    this.names.delete(name);
    return this.byHash.delete(hash);
  }

  async recordSignal(keyHash: string, s: Signal, keepFrom: string): Promise<Check | undefined> {
    const c = this.byHash.get(keyHash);
    if (!c) return undefined;
    if (isRepeatedEnd(c, s)) return copy(c);
    const next: Record<string, unknown> = { ...c, lastPing: s.at, lastSignal: s.kind, pings: c.pings + 1 };
    if (s.kind === 'start') next.lastStart = s.at;
    else {
      next.runDays = withSignal(c, s, keepFrom);
      next.lastEnd = s.at;
      next.lastOk = s.kind === 'success';
      if (s.kind === 'success') next.lastSuccess = s.at;
      if (s.exit === undefined) delete next.lastExit;
      else next.lastExit = s.exit;
    }
    this.byHash.set(keyHash, next as unknown as Check);
    return copy(next as unknown as Check);
  }

  async changeState(ch: CheckStateChange): Promise<boolean> {
    const c = this.byHash.get(ch.keyHash);
    if (!c || c.paused || c.state !== ch.from || c.stateSince !== ch.fromSince || c.lastPing !== ch.lastPing) return false;
    const next: Record<string, unknown> = { ...c, state: ch.to, stateSince: ch.at, problemSince: ch.problemSince };
    if (ch.problemSince === undefined) delete next.problemSince;
    if (ch.stormIncident === undefined) delete next.stormIncident;
    else next.stormIncident = ch.stormIncident;
    const pending = new Map((c.pending ?? []).map((p) => [p.notification.id, p] as const));
    for (const n of ch.announce?.notifications ?? []) pending.set(n.id, { notification: copy(n), queuedAt: ch.announce?.queuedAt ?? ch.at });
    if (pending.size > 0) next.pending = [...pending.values()].sort((a, b) => a.queuedAt - b.queuedAt);
    this.byHash.set(ch.keyHash, next as unknown as Check);
    return true;
  }

  async settle(keyHash: string, id: string): Promise<void> {
    const c = this.byHash.get(keyHash);
    if (!c?.pending) return;
    const pending = c.pending.filter((p) => p.notification.id !== id);
    const next: Record<string, unknown> = { ...c, pending };
    if (pending.length === 0) delete next.pending;
    this.byHash.set(keyHash, next as unknown as Check);
  }
}
