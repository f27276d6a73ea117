/**
 * A status page as its viewers get it: the JSON, the HTML and the badges, all from `publicView`,
 * which copies field by field only what a viewer may see (names, states, availability, incident
 * and maintenance times), so nothing added to the page's state later leaks by default. Pure.
 */
import { dayOf } from '../model/days';
import { availability, BAR_DAYS, carryPage, type GroupState, type PageDef, type PageState } from './page';

export interface Bar {
  readonly day: string;
  /** Percent up, to two decimals; null for a day with no members. */
  readonly availability: number | null;
}

export interface GroupView {
  readonly key: string;
  readonly name: string;
  readonly state: GroupState;
  readonly maintenance: boolean;
  /** Over the days of the bars that had members. */
  readonly availability: number | null;
  /** Oldest first; the last is today so far. */
  readonly bars: readonly Bar[];
  readonly hosts?: readonly { readonly name: string; readonly up: boolean }[];
}

export interface StatusView {
  readonly slug: string;
  readonly title: string;
  /** The worst of its groups. */
  readonly state: GroupState;
  /** The minute it speaks for: views within one minute are the same bytes (and the same ETag). */
  readonly asOf: string;
  readonly groups: readonly GroupView[];
  readonly incidents: readonly { readonly group: string; readonly state: GroupState; readonly start: string; readonly end: string | null }[];
  readonly maintenance: readonly { readonly groups: readonly string[]; readonly startsAt: string; readonly endsAt: string }[];
}

const DAY_MS = 86_400_000;
const MINUTE_MS = 60_000;
const pct = (a: number | null): number | null => (a === null ? null : Math.floor(a * 10_000) / 100);
const iso = (ms: number): string => new Date(ms).toISOString();
const RANK: Record<GroupState, number> = { operational: 0, degraded: 1, down: 2 };

export function publicView(def: PageDef, stored: PageState, now: number): StatusView {
  const asOf = Math.max(stored.computedAt, Math.floor(now / MINUTE_MS) * MINUTE_MS);
  const { state } = carryPage(stored, asOf);
  const nameOf = new Map(state.groups.map((g) => [g.key, g.name]));
  const groups = state.groups.map((g): GroupView => {
    const byDay = new Map(g.history.map((h) => [h.day, h.availability]));
    byDay.set(g.tally.day, availability(g.tally));
    const bars: Bar[] = [];
    for (let i = BAR_DAYS - 1; i >= 0; i--) {
      const day = dayOf(asOf - i * DAY_MS);
      bars.push({ day, availability: pct(byDay.get(day) ?? null) });
    }
    const known = bars.filter((b) => b.availability !== null);
    const mean = known.length > 0 ? Math.floor((known.reduce((s, b) => s + (b.availability as number), 0) / known.length) * 100) / 100 : null;
    return {
      key: g.key, name: g.name, state: g.state, maintenance: g.maintenance, availability: mean, bars,
      ...(def.showHosts && g.hosts ? { hosts: g.hosts.map((h) => ({ name: h.name, up: h.up })) } : {}),
    };
  });
  return {
    slug: def.slug,
    title: def.title,
    state: groups.reduce<GroupState>((w, g) => (RANK[g.state] > RANK[w] ? g.state : w), 'operational'),
    asOf: iso(asOf),
    groups,
    incidents: state.incidents.map((i) => ({ group: nameOf.get(i.group) ?? i.group, state: i.state, start: iso(i.start), end: i.end === undefined ? null : iso(i.end) })),
    maintenance: state.maintenance.map((m) => ({ groups: m.groups.map((k) => nameOf.get(k) ?? k), startsAt: iso(m.startsAt), endsAt: iso(m.endsAt) })),
  };
}

/** A badge's words and colour: shields' own names for them. */
export function badgeOf(g: Pick<GroupView, 'name' | 'state'>): { label: string; message: string; color: string } {
  const words: Record<GroupState, { message: string; color: string }> = {
    operational: { message: 'up', color: 'brightgreen' },
    degraded: { message: 'degraded', color: 'yellow' },
    down: { message: 'down', color: 'red' },
  };
  return { label: g.name, ...words[g.state] };
}

/** The shields.io endpoint format (https://shields.io/badges/endpoint-badge). */
export function badgeJson(g: Pick<GroupView, 'name' | 'state'>): { schemaVersion: 1; label: string; message: string; color: string } {
  return { schemaVersion: 1, ...badgeOf(g) };
}
