/** The console's client of /api/v1: the key from storage, JSON in and out, errors as messages. */
const KEY = 'dts.apiKey';

export const storedKey = (): string | null => localStorage.getItem(KEY);
export const saveKey = (key: string): void => localStorage.setItem(KEY, key.trim());
export const forgetKey = (): void => localStorage.removeItem(KEY);

/**
 * A key passed along with the page's address (`…/#key=dts_…`, as `npm start` prints it) signs in.
 * It is then taken out of the address bar and out of the history entry (replaceState rewrites the
 * entry in place), so that it is not left on screen, in a bookmark or in Back. The fragment is
 * never sent to the server, so it reaches no log either.
 */
export function keyFromAddress(loc: Pick<Location, 'hash' | 'pathname' | 'search'> = location, hist: Pick<typeof history, 'replaceState' | 'state'> = history): boolean {
  const m = /^#key=([^&]+)/.exec(loc.hash);
  if (!m) return false;
  saveKey(decodeURIComponent(m[1] as string));
  hist.replaceState(hist.state, '', `${loc.pathname}${loc.search}`);
  return true;
}

export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

export async function api<T>(path: string, init: { method?: string; body?: unknown } = {}): Promise<T> {
  const res = await fetch(`/api/v1${path}`, {
    method: init.method ?? 'GET',
    headers: { authorization: `Bearer ${storedKey() ?? ''}`, ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
  });
  const json = (await res.json().catch(() => ({}))) as T & { error?: { code: string; message: string } };
  if (!res.ok) throw new ApiError(res.status, json.error?.code ?? 'http', json.error?.message ?? `HTTP ${res.status}`);
  return json;
}

/** Every page of a paged list, following `next`. */
export async function all<T>(path: string, limit: number): Promise<T[]> {
  const out: T[] = [];
  let next: string | null = null;
  do {
    const sep = path.includes('?') ? '&' : '?';
    const page: { items: T[]; next: string | null } = await api(`${path}${sep}limit=${limit}${next ? `&next=${encodeURIComponent(next)}` : ''}`);
    out.push(...page.items);
    next = page.next;
  } while (next);
  return out;
}

export type Level = 'ok' | 'warning' | 'critical';
export interface Host {
  hostname: string;
  state: 'new' | 'alive' | 'dead' | 'left' | 'retired';
  lastBeat: number;
  skewMs: number;
  labels: Record<string, string>;
  cpu?: { percent: number };
  mem?: { percent: number };
  disk?: { percent: number; mount?: string };
  levels: { cpu: Level; mem: Level; disk: Level };
  overdue: boolean;
  silencedBy?: string;
  /** The last 24 hours, oldest first: each hour's peak percent, null where unknown. */
  history?: History;
}
export interface History {
  from: number;
  cpu: (number | null)[];
  mem: (number | null)[];
  disk: (number | null)[];
}
export interface Notification {
  id: string;
  hostname: string;
  kind: string;
  severity: 'info' | 'warning' | 'critical';
  at: number;
  message: string;
  suppressed?: string;
}
export interface LogRecord {
  app: string;
  hostname: string;
  timestamp: number;
  level: number;
  text: string;
}
export interface Silence {
  id: string;
  target: { hostname: string } | { label: string; value: string };
  startsAt: number;
  endsAt: number;
  reason: string;
  createdBy?: string;
  inForce: boolean;
}
/** A check (scheduled job), as GET /api/v1/checks gives it. */
export interface Check {
  name: string;
  state: 'new' | 'up' | 'late' | 'failed' | 'long' | 'paused';
  schedule: string;
  lastPing: string | null;
  lastSignal: 'start' | 'success' | 'fail' | null;
  nextExpected: string | null;
  lastDurationSeconds: number | null;
  lastExitStatus: number | null;
  running: boolean;
  labels: Record<string, string>;
}
