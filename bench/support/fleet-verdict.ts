/**
 * Were the pages right? The fleet's sends (fleet.ts) are the truth; the notifications a
 * subscriber received (alert-subscriber.ts) are judged against them. Pure: no clock, no I/O.
 *
 * - A real death (an outage) is a gap in a host's acknowledged sends longer than its deadline
 *   (interval × tolerance), or the silence of a host the script had stopped when the run
 *   ended: its true deadline is the last send's acknowledgement plus that.
 *   An outage must be named once `graceMs` has passed beyond its deadline while it lasts (one
 *   diagnose period and some slack); shorter ones may be named or not.
 * - A `host-down` received at P is false when its host began a send after P − deadline: it had
 *   beaten within its deadline. Sends are timed by their start here, so a page is never called
 *   false for a beat that SQS had not yet stamped.
 * - A death is named by a `host-down` of its host or by a storm message (`fleet-storm…`, not
 *   its recovery notices) listing it; recoveries by `host-recovered`, `host-down-retracted`, or
 *   a storm's recovery notice of its scope that no longer lists it as down.
 */
import type { ReceivedAlert } from './alert-subscriber';
import type { Send, SimHost } from './fleet';
import { quantile } from './stats';

export interface VerdictOptions {
  readonly tolerance: number;
  /** How late a page may come after a deadline and still count as on time. */
  readonly graceMs: number;
  /** Until when the subscriber listened (ms). */
  readonly observedUntil: number;
  /** For deaths no message named: did dts record a `host-down` for them anyway? */
  readonly recordedDown?: (hostname: string, from: number, until: number) => boolean;
}

export interface Latency {
  readonly n: number;
  readonly p50: number;
  readonly p95: number;
  readonly max: number;
}

export interface Verdict {
  readonly hosts: number;
  readonly beats: number;
  readonly failedSends: number;
  readonly notifications: number;
  readonly byKind: Record<string, number>;
  readonly hostDownPages: number;
  /** `host-down` pages for hosts that had beaten within their deadline. */
  readonly falsePages: number;
  readonly falsePageHosts: readonly string[];
  /** How long before each false page its host had last begun a send (ms). */
  readonly falsePageBeatAgeMs: Latency;
  /** False pages followed by a `host-down-retracted` (or a recovery flagged false-alarm). */
  readonly retractedFalsePages: number;
  /** Hosts a storm message listed while they were beating. */
  readonly falseStormNames: number;
  readonly deaths: number;
  /** Deaths that lasted long enough that they had to be named. */
  readonly deathsToName: number;
  /** Of those, the ones no message named, and dts did not record either. */
  readonly missed: readonly string[];
  /** Of those, the ones dts recorded but no message named. */
  readonly unnamed: readonly string[];
  /** Deaths paged by more than one `host-down`. */
  readonly pagedTwice: number;
  /** From a death's true deadline to the first message naming it. */
  readonly detectionMs: Latency;
  /** From a host's first beat back to the first message naming its recovery. */
  readonly recoveryMs: Latency;
  /** Named deaths whose host came back in time, but whose recovery no message named. */
  readonly incidentsLeftOpen: number;
  /** `host-recovered` for a host with no `host-down` open at a subscriber. */
  readonly recoveriesWithoutPage: number;
  /** Notifications received again under another SNS message: the same notification id twice. */
  readonly duplicates: number;
}

interface Outage {
  readonly hostname: string;
  readonly deadline: number;
  /** The deadline counted from the last send's start: no right page comes before it. */
  readonly earliest: number;
  readonly back: Send | undefined;
  readonly mustBeNamed: boolean;
  named?: number;
  pages: number;
  recovered?: number;
}

export function latency(samples: readonly number[]): Latency {
  const sorted = [...samples].sort((a, b) => a - b);
  return { n: sorted.length, p50: quantile(sorted, 0.5), p95: quantile(sorted, 0.95), max: sorted[sorted.length - 1] ?? Number.NaN };
}

const DEATH_KINDS = (kind: string) => kind === 'host-down' || (kind.startsWith('fleet-storm') && !/recover|over/.test(kind));
const STORM_RECOVERY = (kind: string) => kind.startsWith('fleet-storm') && /recover|over/.test(kind);
const RECOVERY_KINDS = new Set(['host-recovered', 'host-down-retracted']);

/** A `key: value` line of a notification's body (alerts.ts bodyOf). */
function detail(message: string, key: string): string | undefined {
  return new RegExp(`^${key}:\\s+(.*)$`, 'm').exec(message)?.[1]?.trim();
}

/** Fleet hostnames a message lists anywhere in its body. */
function listed(message: string, fleet: ReadonlySet<string>): string[] {
  return [...new Set(message.split(/[\s,;:()]+/).filter((t) => fleet.has(t)))];
}

function outagesOf(h: SimHost, deadlineMs: number, o: VerdictOptions): Outage[] {
  const sends = [...h.sends].sort((a, b) => a.start - b.start);
  const out: Outage[] = [];
  sends.forEach((s, i) => {
    const next = sends[i + 1];
    if (!next && !h.silentAtEnd) return;
    const until = next?.start ?? o.observedUntil;
    if (until - s.ack <= deadlineMs) return;
    out.push({ hostname: h.hostname, deadline: s.ack + deadlineMs, earliest: s.start + deadlineMs, back: next, mustBeNamed: until - (s.ack + deadlineMs) >= o.graceMs, pages: 0 });
  });
  return out;
}

export function judgeFleet(hosts: readonly SimHost[], alerts: readonly ReceivedAlert[], o: VerdictOptions): Verdict {
  const fleet = new Set(hosts.map((h) => h.hostname));
  const byName = new Map(hosts.map((h) => [h.hostname, h]));
  const deadlineOf = (h: SimHost) => h.interval * o.tolerance * 1000;
  const outages = new Map(hosts.map((h) => [h.hostname, outagesOf(h, deadlineOf(h), o)]));
  const sorted = [...alerts].sort((a, b) => a.receivedAt - b.receivedAt);
  const byKind: Record<string, number> = {};
  for (const a of sorted) byKind[a.kind] = (byKind[a.kind] ?? 0) + 1;

  /** The host's send begun latest at or before `at`. */
  const lastSendBefore = (h: SimHost, at: number): Send | undefined => {
    let last: Send | undefined;
    for (const s of h.sends) if (s.start <= at && (!last || s.start > last.start)) last = s;
    return last;
  };
  const beating = (h: SimHost, at: number) => {
    const last = lastSendBefore(h, at);
    return last !== undefined && last.start > at - deadlineOf(h);
  };
  /** The outage a message at `at` names: the latest whose deadline (by the send's start) had passed. */
  const outageAt = (hostname: string, at: number): Outage | undefined =>
    (outages.get(hostname) ?? []).filter((x) => x.earliest <= at).at(-1);

  let hostDownPages = 0;
  const falsePages: ReceivedAlert[] = [];
  const falseBeatAge: number[] = [];
  let falseStormNames = 0;
  const stormOf = new Map<Outage, string>();
  for (const a of sorted) {
    if (!DEATH_KINDS(a.kind)) continue;
    const named = a.kind === 'host-down' ? [a.hostname].filter((n) => fleet.has(n)) : listed(a.message, fleet);
    for (const hostname of named) {
      const h = byName.get(hostname) as SimHost;
      if (a.kind === 'host-down') hostDownPages++;
      if (beating(h, a.receivedAt)) {
        if (a.kind === 'host-down') {
          falsePages.push(a);
          falseBeatAge.push(a.receivedAt - (lastSendBefore(h, a.receivedAt) as Send).start);
        } else {
          falseStormNames++;
        }
        continue;
      }
      const x = outageAt(hostname, a.receivedAt);
      if (!x) continue;
      x.named ??= a.receivedAt;
      if (a.kind === 'host-down') x.pages++;
      else stormOf.set(x, detail(a.message, 'scope') ?? '');
    }
  }

  for (const a of sorted) {
    const recovers = RECOVERY_KINDS.has(a.kind) ? [a.hostname].filter((n) => fleet.has(n)) : [];
    if (STORM_RECOVERY(a.kind)) {
      const scope = detail(a.message, 'scope');
      const stillDown = new Set(listed(detail(a.message, 'stillDown') ?? '', fleet));
      for (const [x, s] of stormOf) if (s === scope && !stillDown.has(x.hostname)) recovers.push(x.hostname);
    }
    for (const hostname of recovers) {
      const x = (outages.get(hostname) ?? []).find((y) => y.named !== undefined && y.back !== undefined && y.back.start <= a.receivedAt && y.recovered === undefined);
      if (x) x.recovered = a.receivedAt;
    }
  }

  const retracted = falsePages.filter((p) => sorted.some((a) => a.hostname === p.hostname && a.receivedAt >= p.receivedAt
    && (a.kind === 'host-down-retracted' || (a.kind === 'host-recovered' && /false.alarm:\s+true/.test(a.message))))).length;

  let recoveriesWithoutPage = 0;
  const open = new Set<string>();
  for (const a of sorted) {
    if (!fleet.has(a.hostname)) continue;
    if (a.kind === 'host-down') open.add(a.hostname);
    else if (RECOVERY_KINDS.has(a.kind) && !open.delete(a.hostname)) recoveriesWithoutPage++;
  }

  const all = [...outages.values()].flat();
  const toName = all.filter((x) => x.mustBeNamed);
  const notNamed = toName.filter((x) => x.named === undefined);
  const recorded = (x: Outage) => o.recordedDown?.(x.hostname, x.earliest - deadlineOf(byName.get(x.hostname) as SimHost), x.back?.start ?? o.observedUntil) ?? false;
  const ids = new Map<string, number>();
  for (const a of sorted) if (a.id) ids.set(a.id, (ids.get(a.id) ?? 0) + 1);
  const named = all.filter((x) => x.named !== undefined);
  const backInTime = named.filter((x) => x.back !== undefined && o.observedUntil - x.back.start >= o.graceMs);

  return {
    hosts: hosts.length,
    beats: hosts.reduce((n, h) => n + h.sends.length, 0),
    failedSends: hosts.reduce((n, h) => n + h.failed, 0),
    notifications: sorted.length,
    byKind,
    hostDownPages,
    falsePages: falsePages.length,
    falsePageHosts: falsePages.map((p) => p.hostname),
    falsePageBeatAgeMs: latency(falseBeatAge),
    retractedFalsePages: retracted,
    falseStormNames,
    deaths: all.length,
    deathsToName: toName.length,
    missed: notNamed.filter((x) => !recorded(x)).map((x) => x.hostname),
    unnamed: notNamed.filter(recorded).map((x) => x.hostname),
    pagedTwice: all.filter((x) => x.pages > 1).length,
    detectionMs: latency(named.map((x) => (x.named as number) - x.deadline)),
    recoveryMs: latency(named.filter((x) => x.recovered !== undefined && x.back).map((x) => (x.recovered as number) - (x.back as Send).start)),
    incidentsLeftOpen: backInTime.filter((x) => x.recovered === undefined).length,
    recoveriesWithoutPage,
    duplicates: [...ids.values()].reduce((n, c) => n + c - 1, 0),
  };
}
