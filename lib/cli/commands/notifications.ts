import { NotificationStore } from '../../store/notifications';
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
}

export async function notificationsCommand(ctx: Context, o: NotificationsOptions): Promise<number> {
  const now = Date.now();
  const since = parseTime(o.since, now);
  const until = o.until ? parseTime(o.until, now) : now + 60_000;
  if (until <= since) throw usage('--until must be after --since');
  const { backend, clients } = await ctx.clients(['notificationsTable']);
  const store = new NotificationStore(clients.ddb, backend.require('notificationsTable'), ctx.config.notifications.ttlDays);
  const found = o.host ? await store.byHost(o.host, since, until, o.limit) : await store.byTime(since, until, o.limit);
  if (o.json) {
    ctx.io.out(JSON.stringify(found, null, 2) + '\n');
    return 0;
  }
  if (found.length === 0) {
    ctx.io.err(`no notifications since ${new Date(since).toISOString()}${o.host ? ` for ${o.host}` : ''}\n`);
    return 0;
  }
  const style = styleFor(ctx.io.isTTY, ctx.io.env);
  ctx.io.out(found.map((n) => notificationLine(n, style)).join('\n') + '\n');
  return 0;
}
