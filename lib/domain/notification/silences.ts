import { createHash } from 'node:crypto';
import type { Host, Notification, Silence, SilenceTarget } from '../model';
import { formatDuration, notification } from './notifications';

/**
 * What a beat may carry (lib/wire/validate.ts: MAX_HOSTNAME, MAX_MAP_KEY, MAX_MAP_VALUE, CONTROL;
 * test/unit/silence-target.test.ts checks they agree). Kept here so that the API's bundle does not
 * take in the wire codec for three numbers.
 */
export const TARGET_LIMITS = { hostnameBytes: 255, labelKey: 128, labelValue: 1024 } as const;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/**
 * `web-1` names a host (and `check:NAME` a check, filed as a host of that name); `role=web` names
 * every host and check whose label `role` is `web`; `app:NAME` and `rule:NAME` name log rules'
 * alerts. Returns a reason instead of a target when the text is none of them.
 */
export function parseSilenceTarget(text: string): SilenceTarget | string {
  const t = text.trim();
  if (t === '') return 'a silence needs a target: a host name, label=value, check:NAME, app:NAME or rule:NAME';
  if (CONTROL.test(t)) return `a silence target has no control characters: ${JSON.stringify(text)}`;
  // Someone who types `*` means "everything"; it would silence only a host named "*".
  if (t === '*' || /(^\*=|=\*$)/.test(t)) return 'a silence names one host, label=value, check, app or rule; "*" is not a wildcard (silence a label the hosts share, e.g. env=prod)';
  // `app:web` and `rule:web-errors` silence log rules' alerts (docs/RULES.md); no host name has a colon.
  const logs = /^(app|rule):(.*)$/.exec(t);
  if (logs) {
    const name = (logs[2] as string).trim();
    if (name === '' || name.length > 128) return `${logs[1]}:NAME needs a name of 1 to 128 characters`;
    return logs[1] === 'app' ? { app: name } : { rule: name };
  }
  const eq = t.indexOf('=');
  if (eq < 0) {
    // No beat can carry a longer name, so such a silence would cover nothing (and its key would not fit the table).
    if (Buffer.byteLength(t) > TARGET_LIMITS.hostnameBytes) return `a host name has at most ${TARGET_LIMITS.hostnameBytes} bytes; this one has ${Buffer.byteLength(t)}`;
    return { hostname: t };
  }
  const label = t.slice(0, eq).trim();
  const value = t.slice(eq + 1).trim();
  if (label === '' || value === '') return `expected label=value, got ${JSON.stringify(text)}`;
  if (label.length > TARGET_LIMITS.labelKey || value.length > TARGET_LIMITS.labelValue) return `a label has at most ${TARGET_LIMITS.labelKey} characters and its value ${TARGET_LIMITS.labelValue}`;
  return { label, value };
}

export function describeTarget(target: SilenceTarget): string {
  if ('app' in target) return `app:${target.app}`;
  if ('rule' in target) return `rule:${target.rule}`;
  return 'hostname' in target ? target.hostname : `${target.label}=${target.value}`;
}

/** Deterministic, so creating the same silence twice (a retried command) stores one. */
export function silenceId(target: SilenceTarget, startsAt: number): string {
  return createHash('sha256').update(`${describeTarget(target)}|${startsAt}`).digest('hex').slice(0, 10);
}

export function silenceCovers(s: Silence, host: Pick<Host, 'hostname' | 'labels'>): boolean {
  const t = s.target;
  if ('app' in t || 'rule' in t) return false;
  return 'hostname' in t ? t.hostname === host.hostname : host.labels[t.label] === t.value;
}

/**
 * The silence over a log rule's alert at a moment, if any: one that names its app or the rule,
 * or the host its scope is narrowed to.
 */
export function silenceOverRule(rule: { readonly name: string; readonly app: string; readonly host?: string }, silences: readonly Silence[], at: number): Silence | undefined {
  let found: Silence | undefined;
  for (const s of silences) {
    const t = s.target;
    const covers = 'app' in t ? t.app === rule.app : 'rule' in t ? t.rule === rule.name : 'hostname' in t ? t.hostname === rule.host : false;
    if (covers && isInForce(s, at) && (found === undefined || s.endsAt > found.endsAt)) found = s;
  }
  return found;
}

/** A silence is in force over [startsAt, endsAt). */
export function isInForce(s: Silence, at: number): boolean {
  return s.startsAt <= at && at < s.endsAt;
}

/**
 * The silence that covers a host at a moment, if any (the one ending last, when several do).
 * Judged at the moment of the transition, not when diagnose noticed it, so every run agrees.
 */
export function silenceAt(host: Pick<Host, 'hostname' | 'labels'>, silences: readonly Silence[], at: number): Silence | undefined {
  let found: Silence | undefined;
  for (const s of silences) {
    if (isInForce(s, at) && silenceCovers(s, host) && (found === undefined || s.endsAt > found.endsAt)) found = s;
  }
  return found;
}

/** Mark a notification suppressed when a silence covers its host at its time. */
export function applySilence(n: Notification, host: Pick<Host, 'hostname' | 'labels'>, silences: readonly Silence[]): Notification {
  if (n.suppressed !== undefined) return n;
  const s = silenceAt(host, silences, n.at);
  return s ? { ...n, suppressed: `silence:${s.id}` } : n;
}

/**
 * When a silence has ended and a host it covered is still down (it died before or during the
 * silence, so its outage went unannounced or was announced before the window), one notification
 * says so. None when another silence still covers the host, or when it died after the end (its
 * own host-down went out).
 */
export function stillDownAfterSilence(
  host: Pick<Host, 'hostname' | 'labels' | 'state' | 'stateSince' | 'outageStart'>,
  ended: Silence,
  silences: readonly Silence[],
  now: number,
): Notification | undefined {
  if (now < ended.endsAt || !silenceCovers(ended, host)) return undefined;
  if (host.state !== 'dead' || host.stateSince >= ended.endsAt) return undefined;
  if (silenceAt(host, silences.filter((s) => s.id !== ended.id), ended.endsAt)) return undefined;
  const since = host.outageStart ?? host.stateSince;
  return {
    ...notification(
      host.hostname, 'host-still-down', 'critical', ended.endsAt,
      `${host.hostname} is still down as its silence ends: no beat for ${formatDuration(ended.endsAt - since)}`,
      { silence: ended.id, reason: ended.reason, outageStart: new Date(since).toISOString() },
      ended.id,
    ),
    labels: host.labels,
  };
}
