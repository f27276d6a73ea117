import type { Notification } from '../../domain/model';
import { DEFAULT_STORM_RULE, detectStorms, type Population, type Storm, type StormRule } from '../../domain/fleet/storm';
import { stormFollowUp, stormNotice, type OpenStorm } from '../../domain/fleet/notices';
import { parseStormIncident } from '../../domain/fleet/storm-membership';

/**
 * Which deaths are a storm, and which storm each joins: the one rule for hosts (lib/app/diagnose/pass.ts,
 * `decideFleet`) and for checks (lib/app/diagnose/checks.ts), each among its own population
 * (docs/SEMANTICS.md, "Storms"; docs/CHECKS.md, "Storms").
 */

/** How far back deaths count towards a storm with the ones being judged. */
export function stormWindowMs(d: { readonly storm?: StormRule }): number {
  return ((d.storm ?? DEFAULT_STORM_RULE).windowSeconds ?? DEFAULT_STORM_RULE.windowSeconds ?? 60) * 1000;
}

/** A death (a check's late) already decided, which a later one can join in a storm. */
export interface Dying {
  /** The host, or the check's name. */
  readonly hostname: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly deathAt: number;
  /** The storm its `host-down` (or `check-late`) was held back under, if it was. */
  storm?: string;
  /** The storm that named it as already paged, if one did. */
  named?: string;
}

/** What storms are decided with: the population a share is of, the deaths of the window, the storms not over. */
export interface StormContext {
  readonly population: Population;
  /** Loud deaths of the storm window; those judged now are added to it. */
  readonly died: Dying[];
  /** Storms not yet over, by incident: from their notices, and those decided or extended since. */
  readonly storms: Map<string, OpenStorm>;
}

/** The storm a new member's death is held back under, and the notice that carries it. */
export interface StormMembership {
  readonly scope: string;
  readonly incident: string;
  readonly notice: Notification;
}

/**
 * Storms among the loud deaths judged now (`dying`) with those of the window before them (in
 * `context.died`, to which `dying` is then added): each new member's membership, by name.
 */
export function decideStorms(rule: StormRule, windowMs: number, context: StormContext, dying: Dying[]): { storms: Storm[]; members: Map<string, StormMembership> } {
  const members = new Map<string, StormMembership>();
  const storms: Storm[] = [];
  if (dying.length === 0) return { storms, members };
  const fresh = new Set(dying.map((h) => h.hostname));
  // Together: within the storm window of the deaths judged now, counted from their own times (not
  // from `now`, which a slow monitor may take well after them).
  const since = Math.min(...dying.map((h) => h.deathAt)) - windowMs;
  const recent = context.died.filter((h) => !fresh.has(h.hostname) && h.deathAt >= since);
  const detected = detectStorms(context.population, [...recent, ...dying], rule);
  const byName = new Map([...recent, ...dying].map((h) => [h.hostname, h] as const));
  context.died.push(...dying);
  for (const s of detected) {
    const group = s.hostnames.map((h) => byName.get(h) as Dying);
    const joined = group.filter((m) => fresh.has(m.hostname));
    // A storm re-detected from earlier deaths alone has nothing new to say.
    if (joined.length === 0) continue;
    storms.push(s);
    const earlier = group.filter((m) => !fresh.has(m.hostname));
    // The storm of the same scope that earlier deaths already belong to, if any: the new deaths
    // join it. Deaths held under a storm of another scope (a rack's, in what is now the fleet's)
    // stay there; they count here but are not named again.
    const incident = stormOf(earlier, s.scope);
    // Deaths of the group paged alone that no notice of this storm has named yet.
    const paged = earlier.filter((m) => m.storm === undefined && (incident === undefined || m.named !== incident)).map((m) => m.hostname);
    const joinedNames = joined.map((m) => m.hostname);
    let notice: Notification;
    let open: OpenStorm;
    if (incident === undefined) {
      const start = Math.min(...group.map((m) => m.deathAt));
      const elsewhere = earlier.length - paged.length;
      notice = stormNotice({ scope: s.scope, total: s.total, cause: s.cause, start, underStorm: joinedNames, alreadyPaged: paged, elsewhere });
      open = { scope: s.scope, start, incident: notice.incident as string, total: s.total, count: Number(notice.details.count), underStorm: joinedNames.length, back: 0 };
    } else {
      // Deaths joining a storm already announced (in this invocation or an earlier one): a follow-up.
      const known = context.storms.get(incident) ?? stormFromMembers(incident, s.total, earlier);
      notice = stormFollowUp(known, { underStorm: joinedNames, alreadyPaged: paged, at: Math.min(...joined.map((m) => m.deathAt)) });
      open = { ...known, count: Number(notice.details.count), underStorm: Number(notice.details.underStorm), total: Math.max(known.total, s.total) };
    }
    context.storms.set(open.incident, open);
    for (const m of joined) m.storm = open.incident;
    for (const m of earlier) if (paged.includes(m.hostname)) m.named = open.incident;
    // Each new member's death carries the notice: whichever of them commits, it is sent.
    for (const h of joinedNames) members.set(h, { scope: open.scope, incident: open.incident, notice });
  }
  return { storms, members };
}

/** The storm of `scope` earlier deaths already belong to (held back under it, or named by it); the most common, then the earliest. */
function stormOf(earlier: readonly Dying[], scope: string): string | undefined {
  const counts = new Map<string, number>();
  for (const m of earlier) {
    const incident = m.storm ?? m.named;
    if (incident !== undefined && parseStormIncident(incident)?.scope === scope) counts.set(incident, (counts.get(incident) ?? 0) + 1);
  }
  return [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))[0]?.[0];
}

/** A storm whose notices this invocation has not read (not recorded yet): what its members say of it. */
function stormFromMembers(incident: string, total: number, earlier: readonly Dying[]): OpenStorm {
  const parsed = parseStormIncident(incident);
  return {
    scope: parsed?.scope ?? 'fleet', start: parsed?.start ?? Math.min(...earlier.map((m) => m.deathAt)), incident, total,
    count: earlier.filter((m) => m.storm === incident || m.named === incident).length,
    underStorm: earlier.filter((m) => m.storm === incident).length,
    back: 0,
  };
}
