import type { Notification, Severity } from '../../model';
import { incidentAction, type IncidentAction } from '../../notification/incidents';
import { formatDuration } from '../../notification/notifications';
import { nextStep } from '../../notification/text';

/**
 * What every channel shows of a notification, worded once: a short title, the full sentence,
 * labelled facts with their units, and the next step. Each renderer only lays it out.
 */
export interface AlertView {
  /** `🔴 web-1 is down`: the message up to its first colon or semicolon, after a mark for the severity. */
  readonly title: string;
  /** 🔴, 🟠 or 🔵 by severity; ✅ for what closes an incident. */
  readonly mark: string;
  readonly message: string;
  /** Whether the message says more than the title. */
  readonly longer: boolean;
  readonly severity: Severity;
  readonly action: IncidentAction;
  /** `#d92d20`. */
  readonly color: string;
  readonly at: string;
  /** Label and value, in reading order; no raw keys such as `limitSeconds`. */
  readonly facts: ReadonlyArray<readonly [string, string]>;
  readonly next: string | undefined;
  readonly footer: string;
}

/** A time as people read it: `2026-12-01 10:00:00 UTC`. */
export function readableTime(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace(/\.\d{3}Z$/, ' UTC');
}

const isoTime = (v: string): string => {
  const ms = Date.parse(v);
  return Number.isFinite(ms) ? readableTime(ms) : v;
};
const seconds = (v: string): string => {
  const n = Number(v);
  return Number.isFinite(n) ? formatDuration(n * 1000) : v;
};

const milliseconds = (v: string, signed: boolean): string => {
  const n = Number(v);
  if (!Number.isFinite(n)) return v;
  return `${formatDuration(Math.abs(n))}${signed && n !== 0 ? (n > 0 ? ' ahead' : ' behind') : ''}`;
};

/** How each detail is labelled and shown; others get their key in words (`someKey` → `Some key`). */
const DETAILS: Record<string, readonly [string, (v: string) => string]> = {
  lastBeat: ['Last beat', isoTime],
  limitSeconds: ['Limit', seconds],
  outageStart: ['Down since', isoTime],
  downtimeSeconds: ['Downtime', seconds],
  lateBeat: ['Late beat received', isoTime],
  interval: ['Interval', seconds],
  windowSeconds: ['Window', seconds],
  flappingSince: ['Flapping since', isoTime],
  stormStart: ['Storm started', isoTime],
  percent: ['Value', (v) => `${v}%`],
  resource: ['Resource', (v) => v],
  from: ['From', (v) => v],
  to: ['To', (v) => v],
  scope: ['Scope', (v) => v],
  count: ['Hosts', (v) => v],
  total: ['Of', (v) => v],
  recovered: ['Recovered', (v) => v],
  stillDown: ['Still down', (v) => v],
  hosts: ['Hosts', (v) => v],
  cause: ['Likely cause', (v) => v],
  changes: ['Changes', (v) => v],
  state: ['State', (v) => v],
  silence: ['Silence', (v) => v],
  reason: ['Reason', (v) => v],
  reasons: ['Reasons', (v) => v],
  skewMs: ['Clock skew', (v) => milliseconds(v, true)],
  thresholdMs: ['Limit', (v) => milliseconds(v, false)],
};

function words(key: string): string {
  const spaced = key.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
  return spaced.charAt(0).toUpperCase() + spaced.slice(1);
}

const COLORS: Record<Severity, string> = { critical: '#d92d20', warning: '#f79009', info: '#2e90fa' };
const RESOLVED_COLOR = '#12b76a';
const MARKS: Record<Severity, string> = { critical: '🔴', warning: '🟠', info: '🔵' };

export function viewOf(n: Notification): AlertView {
  const action = incidentAction(n);
  const cut = /: |; /.exec(n.message)?.index ?? -1;
  const head = cut > 0 ? n.message.slice(0, cut) : n.message;
  const mark = action === 'close' ? '✅' : MARKS[n.severity];
  const labels = Object.entries(n.labels ?? {}).filter(([k]) => !k.startsWith('dts.')).sort(([a], [b]) => a.localeCompare(b));
  const facts: Array<readonly [string, string]> = [
    ['Host', n.hostname],
    ['Severity', n.severity],
    ['When', readableTime(n.at)],
    ...(labels.length ? [['Labels', labels.map(([k, v]) => `${k}=${v}`).join(' ')] as const] : []),
  ];
  for (const [key, value] of Object.entries(n.details)) {
    const [label, show] = DETAILS[key] ?? [words(key), (v: string) => v];
    facts.push([label, show(value)]);
  }
  return {
    title: `${mark} ${head}`,
    mark,
    message: n.message,
    longer: head !== n.message,
    severity: n.severity,
    action,
    color: action === 'close' ? RESOLVED_COLOR : COLORS[n.severity],
    at: new Date(n.at).toISOString(),
    facts,
    next: nextStep(n),
    footer: `dts · ${n.kind}${n.incident ? ` · incident ${n.incident}` : ''}`,
  };
}

/** Cut text to a service's limit, marking the cut. */
export function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = text.slice(0, max - 1);
  // A markdown escape cut in half would leave its backslash to escape the ellipsis instead.
  const trailing = /\\*$/.exec(cut)?.[0].length ?? 0;
  return `${trailing % 2 ? cut.slice(0, -1) : cut}…`;
}
