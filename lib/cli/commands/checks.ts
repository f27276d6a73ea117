import { addCheck, noteNewCheck, type CheckSpec } from '../../app/checks/manage';
import { checkStore, newCheckWatch } from '../../compose';
import type { Check } from '../../domain/check/check';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { CheckStore } from '../../adapters/dynamodb/checks';
import { checkView, type CheckView } from '../../domain/check/view';
import type { Context } from '../context';
import { notFound, usage } from '../errors';
import { age, styleFor, table } from '../format';

/** `dts checks …`: scheduled jobs that ping dts (docs/CHECKS.md). */
async function store(ctx: Context): Promise<CheckStore> {
  return checkStore(await located(ctx));
}

/**
 * The backend is located once per command: the stats table is looked for with the checks table
 * (a local cloud's discovery finds only what is asked), since `add` and `resume` note a new check
 * on its monitor item; the checks table alone is required.
 */
function located(ctx: Context): ReturnType<Context['root']> {
  return ctx.root(['checksTable', 'statsTable'], { partial: true });
}

export interface ChecksAddOptions {
  every?: string;
  cron?: string;
  tz?: string;
  grace?: string;
  maxRun?: string;
  label?: string[];
  url?: string;
  json?: boolean;
}

function labelsOf(pairs: readonly string[] = []): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw usage(`--label ${JSON.stringify(pair)}: use --label key=value`);
    labels[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return labels;
}

/** Where pings go: --url, DTS_PING_URL, or only the path (with a hint) when neither is given. */
function pingUrl(ctx: Context, key: string, base: string | undefined): string {
  const b = (base ?? ctx.io.env.DTS_PING_URL ?? '').replace(/\/+$/, '');
  return `${b}/ping/${key}`;
}

/** `dts checks add NAME (--every D | --cron EXPR [--tz ZONE]) [--grace D] [--max-run D] [--label k=v]`: the key is printed once. */
export async function checksAddCommand(ctx: Context, name: string, o: ChecksAddOptions): Promise<number> {
  const spec: CheckSpec = {
    name, ...(o.every === undefined ? {} : { every: o.every }), ...(o.cron === undefined ? {} : { cron: o.cron }), ...(o.tz === undefined ? {} : { tz: o.tz }),
    ...(o.grace === undefined ? {} : { grace: o.grace }), ...(o.maxRun === undefined ? {} : { maxRun: o.maxRun }), labels: labelsOf(o.label),
  };
  const added = await addCheck(await store(ctx), spec, Date.now());
  if (!added.ok) throw usage(added.problems.join('; '));
  await watchNew(ctx, added.check);
  const url = pingUrl(ctx, added.key, o.url);
  if (o.json) ctx.io.out(JSON.stringify({ key: added.key, url, check: checkView(added.check) }, null, 2) + '\n');
  else {
    ctx.io.out(`${url}\n`);
    ctx.io.err(`added check ${name}; its ping key is shown only now (only its hash is stored). In a crontab:\n  ... && curl -fsS -m 10 --retry 3 ${url.startsWith('/') ? `<API URL>${url}` : url}\n`);
    if (url.startsWith('/')) ctx.io.err('prefix the path with the HTTP API\'s URL (the stack output HttpApiUrl) or a relay\'s, or pass --url / set DTS_PING_URL\n');
  }
  return 0;
}

/**
 * A check added or resumed is noted for the running checks' watch, so that a first deadline before
 * the next pass is announced at its time (docs/CHECKS.md, "New checks between passes"). Failing
 * here loses only that head start, so it warns and the command succeeds.
 */
async function watchNew(ctx: Context, c: Check): Promise<void> {
  let lambda: LambdaClient | undefined;
  try {
    const root = await located(ctx);
    // The diagnose function: DTS_DIAGNOSE_FUNCTION when set, else found with the tables (the
    // stack's output, or the stage's dts-<stage>-diagnose), so that a pass starts when no watch runs.
    const functionName = ctx.config.diagnose.diagnoseFunction ?? root.backend.diagnoseFunction;
    if (functionName) {
      const { LambdaClient: Client } = await import('@aws-sdk/client-lambda');
      const b = root.backend.client;
      // An Event invoke answers at once: a Lambda endpoint out of reach costs the command seconds, not minutes.
      lambda = new Client({
        ...(b.region ? { region: b.region } : {}), ...(b.endpoint ? { endpoint: b.endpoint } : {}), ...(b.credentials ? { credentials: b.credentials } : {}),
        maxAttempts: 2, requestHandler: { connectionTimeout: 3000, requestTimeout: 10_000 },
      });
    }
    const noPass = (why: string): void => {
      ctx.io.err(`note: no diagnose pass started for ${c.name} (${oneLine(why)}); the next scheduled pass (within a minute) judges it\n`);
    };
    const w = newCheckWatch(root, lambda && functionName ? { lambda, functionName } : undefined, noPass);
    if (w) await noteNewCheck(w, c, Date.now());
  } catch (e) {
    ctx.io.err(`warning: the running diagnose was not told of ${c.name}; the next pass (within a minute) judges it: ${(e as Error).message}\n`);
  } finally {
    lambda?.destroy();
  }
}

const oneLine = (s: string): string => s.replace(/\s+/g, ' ').trim();

const cell = (v: string | number | null): string => (v === null ? '-' : String(v));

export async function checksListCommand(ctx: Context, o: { json?: boolean }): Promise<number> {
  const views = (await (await store(ctx)).list()).map(checkView);
  if (o.json) {
    ctx.io.out(JSON.stringify(views, null, 2) + '\n');
    return 0;
  }
  if (views.length === 0) {
    ctx.io.err('no checks: `dts checks add NAME --every 1h` makes one\n');
    return 0;
  }
  const now = Date.now();
  const when = (iso: string | null): string => (iso === null ? '-' : age(Date.parse(iso), now));
  const s = styleFor(ctx.io.isTTY, ctx.io.env);
  ctx.io.out(table(['NAME', 'STATE', 'LAST SIGNAL', 'NEXT EXPECTED', 'LAST DURATION', 'EXIT', 'SCHEDULE'], views.map((v: CheckView) => [
    v.name, v.state, v.lastPing === null ? 'never' : `${v.lastSignal} ${when(v.lastPing)}`, v.nextExpected ?? '-',
    v.lastDurationSeconds === null ? '-' : `${v.lastDurationSeconds}s`, cell(v.lastExitStatus), v.schedule,
  ]), s));
  return 0;
}

export async function checksShowCommand(ctx: Context, name: string, o: { json?: boolean }): Promise<number> {
  const c = await (await store(ctx)).get(name);
  if (!c) throw notFound(`no check named ${JSON.stringify(name)} (\`dts checks list\` shows them)`);
  const v = checkView(c);
  if (o.json) ctx.io.out(JSON.stringify(v, null, 2) + '\n');
  else ctx.io.out(Object.entries(v).map(([k, value]) => `${k}: ${typeof value === 'object' && value !== null ? JSON.stringify(value) : cell(value as string | number | null)}`).join('\n') + '\n');
  return 0;
}

export async function checksPauseCommand(ctx: Context, name: string, paused: boolean, o: { json?: boolean }): Promise<number> {
  const checks = await store(ctx);
  if (!(await checks.setPaused(name, paused))) throw notFound(`no check named ${JSON.stringify(name)}`);
  const resumed = paused ? undefined : await checks.get(name);
  if (resumed) await watchNew(ctx, resumed);
  if (o.json) ctx.io.out(JSON.stringify({ name, paused }) + '\n');
  else ctx.io.out(paused ? `paused ${name}: its signals are recorded, and it is not judged\n` : `resumed ${name}: it is judged from now on\n`);
  return 0;
}

export async function checksRemoveCommand(ctx: Context, name: string, o: { json?: boolean }): Promise<number> {
  if (!(await (await store(ctx)).remove(name))) throw notFound(`no check named ${JSON.stringify(name)}`);
  if (o.json) ctx.io.out(JSON.stringify({ name, removed: true }) + '\n');
  else ctx.io.out(`removed ${name}: its ping key is refused from now on\n`);
  return 0;
}
