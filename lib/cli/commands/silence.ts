import type { Silence } from '../../domain/model';
import { describeTarget, isInForce, parseSilenceTarget, silenceId } from '../../domain/notification/silences';
import { silenceStore } from '../../compose';
import { currentUser, type Context } from '../context';
import { notFound, usage } from '../errors';
import { age, styleFor, table } from '../format';
import { parseDuration, shortDuration } from '../time';

export interface SilenceOptions {
  for?: string;
  reason?: string;
  list?: boolean;
  all?: boolean;
  end?: string;
  json?: boolean;
}

/**
 * `dts silence web-1 --for 2h --reason "kernel upgrade"`, `dts silence role=db --for 30m
 * --reason ...` (also `check:NAME`, `app:NAME`, `rule:NAME`), `dts silence --list [--all]`,
 * `dts silence --end ID`.
 */
export async function silenceCommand(ctx: Context, target: string | undefined, o: SilenceOptions): Promise<number> {
  const modes = [target !== undefined, o.list === true, o.end !== undefined].filter(Boolean).length;
  if (modes !== 1) throw usage('give a host, label=value, check:NAME, app:NAME or rule:NAME to silence, or --list, or --end ID');
  const store = silenceStore(await ctx.root(['hostsTable', 'silencesTable']));
  const now = Date.now();

  if (o.end !== undefined) {
    if (!(await store.end(o.end, now))) throw notFound(`no silence ${JSON.stringify(o.end)} in force (\`dts silence --list\` shows them)`);
    if (o.json) ctx.io.out(JSON.stringify({ id: o.end, endedAt: now }) + '\n');
    else ctx.io.out(`ended silence ${o.end}; a host still down is announced at the next diagnose pass\n`);
    return 0;
  }

  if (o.list) {
    const found = (await store.all()).filter((s) => o.all || s.endsAt > now).sort((a, b) => a.endsAt - b.endsAt);
    if (o.json) {
      ctx.io.out(JSON.stringify(found, null, 2) + '\n');
      return 0;
    }
    if (found.length === 0) {
      ctx.io.err(o.all ? 'no silences this week\n' : 'no silences in force or planned\n');
      return 0;
    }
    const s = styleFor(ctx.io.isTTY, ctx.io.env);
    const status = (x: Silence) => (isInForce(x, now) ? s.yellow('in force') : x.endsAt <= now ? s.dim('ended') : 'planned');
    ctx.io.out(table(['ID', 'TARGET', 'STATUS', 'ENDS', 'REASON', 'BY'], found.map((x) => [
      x.id, describeTarget(x.target), status(x), x.endsAt > now ? `in ${shortDuration(x.endsAt - now)}` : age(x.endsAt, now), x.reason, x.createdBy ?? '',
    ]), s));
    return 0;
  }

  const parsed = parseSilenceTarget(target as string);
  if (typeof parsed === 'string') throw usage(parsed);
  if (!o.for) throw usage('say how long with --for, e.g. --for 2h');
  if (!o.reason || o.reason.trim() === '') throw usage('say why with --reason, e.g. --reason "kernel upgrade"');
  const forMs = parseDuration(o.for);
  if (forMs <= 0 || forMs > 90 * 86_400_000) throw usage('--for must be above 0 and at most 90d');
  const silence: Silence = {
    id: silenceId(parsed, now), target: parsed, startsAt: now, endsAt: now + forMs, reason: o.reason.trim(), createdBy: currentUser(ctx),
  };
  await store.create(silence);
  if (o.json) ctx.io.out(JSON.stringify(silence, null, 2) + '\n');
  else {
    ctx.io.out(`silenced ${describeTarget(parsed)} until ${new Date(silence.endsAt).toISOString()} (${shortDuration(forMs)}): ${silence.reason}\n`);
    ctx.io.out(`id ${silence.id}; end it early with \`dts silence --end ${silence.id}\`\n`);
  }
  return 0;
}
