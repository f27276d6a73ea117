import type { NotificationKind } from '../../domain/model';
import { encodeCursor } from '../../adapters/dynamodb/cursor';
import { notificationStore } from '../../compose';
import { cursorArg } from './logs';
import type { Context } from '../context';
import { usage } from '../errors';
import { notificationLine, styleFor } from '../format';
import { parseTime } from '../time';

export interface NotificationsOptions {
  host?: string;
  since: string;
  until?: string;
  limit: number;
  json?: boolean;
  kind?: string;
  cursor?: string;
}

export async function notificationsCommand(ctx: Context, o: NotificationsOptions): Promise<number> {
  const now = Date.now();
  const since = parseTime(o.since, now);
  const until = o.until ? parseTime(o.until, now) : now + 60_000;
  if (until <= since) throw usage('--until must be after --since');
  const store = notificationStore(await ctx.root(['notificationsTable']));
  const before = cursorArg(o.cursor);
  const { items: found, next } = await store.page({
    since, until, limit: o.limit, ...(o.host ? { hostname: o.host } : {}), ...(before ? { before } : {}),
    ...(o.kind ? { filter: { kind: o.kind as NotificationKind } } : {}),
  });
  const more = (): void => {
    if (next) ctx.io.err(`more: use --cursor ${encodeCursor(next)} (with the same options)\n`);
  };
  if (o.json) {
    ctx.io.out(JSON.stringify(found, null, 2) + '\n');
    more();
    return 0;
  }
  if (found.length === 0) {
    ctx.io.err(`no notifications since ${new Date(since).toISOString()}${o.host ? ` for ${o.host}` : ''}\n`);
    return 0;
  }
  const style = styleFor(ctx.io.isTTY, ctx.io.env);
  ctx.io.out(found.map((n) => notificationLine(n, style)).join('\n') + '\n');
  const held = found.filter((n) => n.suppressed !== undefined).length;
  if (held > 0) ctx.io.err(`${held} marked [held: …] were recorded but not sent (a silence, a storm or flapping)\n`);
  more();
  return 0;
}
