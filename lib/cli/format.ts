/** Plain-text rendering for terminals: aligned tables, ages, sizes, and color only on a TTY. */
import { levelName, type Host, type MetricLevel, type LogLevel, type LogRecord } from '../domain/model';
import type { Notification } from '../domain/model';
import { oneLine } from './terminal';
import { shortDuration } from './time';

export interface Style {
  red(s: string): string;
  yellow(s: string): string;
  green(s: string): string;
  dim(s: string): string;
  bold(s: string): string;
}

const plain: Style = { red: (s) => s, yellow: (s) => s, green: (s) => s, dim: (s) => s, bold: (s) => s };
const sgr = (code: string) => (s: string): string => `\u001b[${code}m${s}\u001b[0m`;
const colored: Style = { red: sgr('31'), yellow: sgr('33'), green: sgr('32'), dim: sgr('2'), bold: sgr('1') };

export function styleFor(isTTY: boolean, env: Record<string, string | undefined>): Style {
  return isTTY && !env.NO_COLOR && env.TERM !== 'dumb' ? colored : plain;
}

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g;
const width = (s: string): number => s.replace(ANSI, '').length;

/** Columns padded to their widest cell; the last column is not padded. */
export function table(header: readonly string[], rows: readonly (readonly string[])[], style: Style = plain): string {
  const widths = header.map((h, i) => Math.max(width(h), ...rows.map((r) => width(r[i] ?? ''))));
  const line = (cells: readonly string[]): string =>
    cells.map((c, i) => (i === cells.length - 1 ? c : c + ' '.repeat((widths[i] ?? 0) - width(c)))).join('  ').trimEnd();
  return [style.bold(line(header)), ...rows.map(line)].join('\n') + '\n';
}

export function age(ms: number, now: number): string {
  if (!ms) return '-';
  const d = now - ms;
  return d < 0 ? `in ${shortDuration(d)}` : `${shortDuration(d)} ago`;
}

export function bytes(n: number | undefined): string {
  if (n === undefined) return '-';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v >= 10 || i === 0 ? v.toFixed(0) : v.toFixed(1)} ${units[i]}`;
}

export function skew(ms: number): string {
  if (Math.abs(ms) < 50) return '0.0s';
  if (Math.abs(ms) < 1000) return `${ms > 0 ? '+' : '-'}${(Math.abs(ms) / 1000).toFixed(1)}s`;
  return `${ms >= 0 ? '+' : '-'}${shortDuration(ms)}`;
}

export function levelText(level: MetricLevel, style: Style): string {
  if (level === 'critical') return style.red('CRIT');
  if (level === 'warning') return style.yellow('warn');
  return 'ok';
}

export function resourceCell(percent: number | undefined, level: MetricLevel, style: Style, extra = ''): string {
  if (percent === undefined) return '-';
  return `${percent.toFixed(0)}% ${levelText(level, style)}${extra ? ` ${extra}` : ''}`;
}

export function stateText(host: Host, overdue: boolean, style: Style): string {
  const s = overdue && (host.state === 'alive' || host.state === 'new') ? `${host.state}?` : host.state;
  if (host.state === 'dead' || overdue) return style.red(s);
  if (host.state === 'alive') return style.green(s);
  return style.dim(s);
}

/** `2026-05-01T10:00:00.123Z ERROR    [web@h1 1714557600.123456] text`: the legacy line, with a readable time in front. */
export function logLine(r: LogRecord, style: Style): string {
  const name = levelName(r.level as LogLevel).padEnd(8);
  const colored = r.level >= 40 ? style.red(name) : r.level >= 30 ? style.yellow(name) : name;
  return `${style.dim(new Date(r.timestamp * 1000).toISOString())} ${colored} [${oneLine(r.app)}@${oneLine(r.hostname)} ${r.timestamp.toFixed(6)}] ${oneLine(r.text)}`;
}

export function notificationLine(n: Notification, style: Style): string {
  const sev = n.severity.padEnd(8);
  const colored = n.severity === 'critical' ? style.red(sev) : n.severity === 'warning' ? style.yellow(sev) : sev;
  // Held back by a silence, a storm or flapping: recorded, never sent. It must not read as a page.
  const held = n.suppressed !== undefined ? ` ${style.yellow(`[held: ${n.suppressed}]`)}` : '';
  return `${style.dim(new Date(n.at).toISOString())} ${colored} ${oneLine(n.hostname)}  ${n.kind}: ${oneLine(n.message)}${held}`;
}
