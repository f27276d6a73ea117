import type { GroupDay, PageDef, PageState } from '../../lib/domain/status/page';
import type { StatusPagesPort, StoredStatusPage } from '../../lib/ports';
import { copy } from './item';

/** The status table in memory: pages by slug with their version, and days by page, day and group. */
export class MemoryStatusPages implements StatusPagesPort {
  private readonly pages = new Map<string, { def: PageDef; state: PageState | undefined; version: number }>();
  private readonly dayItems = new Map<string, Map<string, GroupDay>>();

  async create(def: PageDef): Promise<boolean> {
    if (this.pages.has(def.slug)) return false;
    this.pages.set(def.slug, { def: copy(def), state: undefined, version: 0 });
    return true;
  }

  async remove(slug: string): Promise<boolean> {
    return this.pages.delete(slug);
  }

  async get(slug: string): Promise<StoredStatusPage | undefined> {
    const p = this.pages.get(slug);
    return p ? copy(p) : undefined;
  }

  async list(): Promise<StoredStatusPage[]> {
    return [...this.pages.keys()].sort().map((k) => copy(this.pages.get(k) as StoredStatusPage));
  }

  async save(slug: string, version: number, state: PageState): Promise<boolean> {
    const p = this.pages.get(slug);
    if (!p || p.version !== version) return false;
    // What a JSON string round trip keeps, as the table's item does.
    this.pages.set(slug, { ...p, state: JSON.parse(JSON.stringify(state)) as PageState, version: version + 1 });
    return true;
  }

  async putDays(slug: string, days: readonly GroupDay[]): Promise<void> {
    const mine = this.dayItems.get(slug) ?? new Map<string, GroupDay>();
    for (const d of days) mine.set(`${d.day}#${d.group}`, { group: d.group, day: d.day, upMs: Math.round(d.upMs), totalMs: Math.round(d.totalMs) });
    this.dayItems.set(slug, mine);
  }

  async days(slug: string, fromDay: string, toDay: string): Promise<GroupDay[]> {
    return [...(this.dayItems.get(slug)?.values() ?? [])].filter((d) => d.day >= fromDay && d.day <= toDay).map(copy);
  }
}
