import { decodeCursor, encodeCursor } from '../../adapters/dynamodb/cursor';
import { FLEET_ERROR_FLOOR } from '../../adapters/dynamodb/logs';
import { logStore } from '../../compose';
import type { Context } from '../context';
import { usage } from '../errors';
import { logLine, styleFor } from '../format';
import { levelFloor } from '../options';
import { parseTime } from '../time';
import type { StoredLogRecord } from '../../ports';

export interface LogsOptions {
  app?: string;
  host?: string;
  level: string;
  since: string;
  until?: string;
  limit: number;
  follow?: boolean;
  json?: boolean;
  /** Seconds between polls in follow mode. */
  poll: number;
  /** Only records whose text contains this. */
  grep?: string;
  /** Where an earlier page ended (printed as its "more" hint). */
  cursor?: string;
}

/** How far back each follow poll looks again: records reach the table late (queue, batch, Lambda) and out of order. */
const LATE_WINDOW_MS = 120_000;


export async function logsCommand(ctx: Context, o: LogsOptions, stop?: Promise<unknown>): Promise<number> {
  if (o.app !== undefined && o.host !== undefined) throw usage('name at most one of --app and --host');
  const minLevel = levelFloor(o.level);
  if (o.app === undefined && o.host === undefined && minLevel < FLEET_ERROR_FLOOR) {
    throw usage('the whole fleet\'s logs are indexed from level error up: add --level error (or critical), or name --app NAME or --host NAME');
  }
  if (o.follow && o.cursor) throw usage('--cursor pages back through older records; it does not go with --follow');
  const now = Date.now();
  const since = parseTime(o.since, now);
  const until = o.until ? parseTime(o.until, now) : now + 60_000;
  if (until <= since) throw usage(`--until (${new Date(until).toISOString()}) must be after --since (${new Date(since).toISOString()})`);
  if (o.follow && o.until) throw usage('--follow streams new records; it does not take --until');

  const store = logStore(await ctx.root(['logsTable']));
  const who = { ...(o.app !== undefined ? { app: o.app } : {}), ...(o.host !== undefined ? { host: o.host } : {}), ...(o.grep ? { grep: o.grep } : {}) };
  const style = styleFor(ctx.io.isTTY, ctx.io.env);
  const print = (r: StoredLogRecord): void => ctx.io.out(o.json ? JSON.stringify(r) + '\n' : logLine(r, style) + '\n');

  if (!o.follow) {
    const before = cursorArg(o.cursor);
    const { records, next } = await store.page({ ...who, minLevel, since, until, limit: o.limit, ...(before ? { before } : {}) });
    if (o.json) ctx.io.out(JSON.stringify(records, null, 2) + '\n');
    else records.forEach(print);
    if (next) ctx.io.err(`more: use --cursor ${encodeCursor(next)} (with the same options)\n`);
    return 0;
  }
  const first = await store.query({ ...who, minLevel, since, until, limit: o.limit });

  // Follow: the latest records oldest first, then each new one as it lands, like tail -f.
  const seen = new Map<string, number>();
  let newest = since;
  const show = (records: StoredLogRecord[]): void => {
    for (const r of [...records].reverse()) {
      if (seen.has(r.cursor)) continue;
      seen.set(r.cursor, r.timestamp * 1000);
      newest = Math.max(newest, r.timestamp * 1000);
      print(r);
    }
  };
  show(first);
  let stopped = false;
  void stop?.then(() => {
    stopped = true;
  });
  while (!stopped) {
    await Promise.race([sleep(o.poll * 1000), stop]);
    if (stopped) break;
    const from = Math.max(since, newest - LATE_WINDOW_MS);
    for (const [cursor, t] of seen) if (t < from) seen.delete(cursor);
    // Newest first within the window; a full page means more came than one poll shows, so take it all.
    show(await store.query({ ...who, minLevel, since: from, until: Date.now() + 60_000, limit: Math.max(o.limit, 1000) }));
  }
  return 0;
}

/** A --cursor as printed in a "more" hint. */
export function cursorArg(text: string | undefined): string | undefined {
  try {
    return decodeCursor(text);
  } catch (e) {
    throw usage(`--cursor: ${(e as Error).message}`);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
