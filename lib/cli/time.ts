/** Durations and points in time as operators type them: 30s, 15m, 2h, 1d, 1h30m, or an ISO time. */
import { usage } from './errors';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** "1h30m" → 5_400_000 ms. */
export function parseDuration(text: string): number {
  const s = text.trim().toLowerCase();
  const parts = [...s.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/g)];
  if (s === '' || parts.map((p) => p[0]).join('') !== s) {
    throw usage(`bad duration ${JSON.stringify(text)}: use e.g. 30s, 15m, 2h, 1d or 1h30m`);
  }
  return parts.reduce((ms, p) => ms + Number(p[1]) * (UNITS[p[2] as string] as number), 0);
}

/**
 * A point in time: "now", a duration back from now ("15m" = 15 minutes ago), an ISO date or
 * time, or epoch seconds. Milliseconds since the epoch.
 */
export function parseTime(text: string, now: number = Date.now()): number {
  const s = text.trim();
  if (s.toLowerCase() === 'now') return now;
  if (/^\d{9,11}(\.\d+)?$/.test(s)) return Number(s) * 1000;
  if (/^\d+(\.\d+)?(ms|s|m|h|d|w)/i.test(s)) return now - parseDuration(s);
  if (/^\d{4}-\d{2}-\d{2}/.test(s)) {
    const t = Date.parse(s);
    if (Number.isFinite(t)) return t;
  }
  throw usage(`bad time ${JSON.stringify(text)}: use now, a duration back (15m, 2h, 1d), an ISO time (2026-05-01T10:00Z) or epoch seconds`);
}

export function parsePositiveInt(name: string): (text: string) => number {
  return (text) => {
    const n = Number(text);
    if (!Number.isInteger(n) || n <= 0) throw usage(`${name} must be a whole number above 0, got ${JSON.stringify(text)}`);
    return n;
  };
}

/** `67108864`, `64M`, `512K`, `1G` (binary units, an optional `iB` or `B`) → bytes. */
export function parseByteSize(name: string): (text: string) => number {
  return (text) => {
    const m = /^(\d+)\s*([KMG]?)(?:i?B)?$/i.exec(text.trim());
    const n = m ? Number(m[1]) * 1024 ** ' KMG'.indexOf((m[2] || ' ').toUpperCase()) : Number.NaN;
    if (!Number.isSafeInteger(n) || n <= 0) throw usage(`${name} must be a size above 0 such as 64M, 512K or 67108864, got ${JSON.stringify(text)}`);
    return n;
  };
}

/** 3725000 → "1h2m"; the two largest units, for table columns. */
export function shortDuration(ms: number): string {
  const s = Math.round(Math.abs(ms) / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${s % 60 ? `${s % 60}s` : ''}`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h${m % 60 ? `${m % 60}m` : ''}`;
  const d = Math.floor(h / 24);
  return `${d}d${h % 24 ? `${h % 24}h` : ''}`;
}
