import { randomBytes } from 'node:crypto';
import { SSMClient } from '@aws-sdk/client-ssm';
import {
  CHANNEL_KINDS, channelNameProblem, DEFAULT_URLS, isChannelKind, redactUrl,
  type Channel, type ChannelKind, type ChannelSecret,
} from '../../domain/channel/channel';
import { parseFilter } from '../../domain/channel/filter';
import { DEFAULT_SEND, sendWithRetry } from '../../adapters/http/send';
import { channelUrlProblem, type UrlPolicy } from '../../adapters/http/url-policy';
import { notifyAllowsLoopback } from '../../config/notify';
import type { SendResult } from '../../ports';
import { RENDERERS } from '../../domain/channel/render';
import { secretRefOf, type SsmSecretStore } from '../../adapters/ssm/secrets';
import { channelStore, secretStore } from '../../compose';
import type { Notification } from '../../domain/model';
import { notification } from '../../domain/notification/notifications';
import type { ChannelStore } from '../../adapters/dynamodb/channels';
import { currentUser, type Context } from '../context';
import { CliError, EXIT, notFound, usage } from '../errors';
import { age, styleFor, table } from '../format';

export interface ChannelAddOptions {
  name?: string;
  url?: string;
  key?: string;
  filter?: string;
  json?: boolean;
  allowLoopback?: boolean;
}

/**
 * Loopback receivers are for the local cloud (whose endpoint is itself on loopback) and for a
 * deployment whose notifier is told so (DTS_NOTIFY_ALLOW_LOOPBACK, docs/ALERTS.md).
 */
async function urlPolicyOf(ctx: Context, allowLoopback: boolean | undefined): Promise<UrlPolicy> {
  if (allowLoopback) return { allowLoopback: true };
  const backend = await ctx.backend(['channelsTable']);
  const endpoint = backend.client.endpoint ?? backend.local;
  return { allowLoopback: notifyAllowsLoopback({ ...ctx.io.env, ...(endpoint ? { AWS_ENDPOINT_URL: endpoint } : {}) }) };
}

async function open(ctx: Context): Promise<{ store: ChannelStore; secrets: SsmSecretStore; ssm: SSMClient }> {
  const root = await ctx.root(['channelsTable']);
  const c = root.backend.client;
  const ssm = new SSMClient({
    ...(c.region ? { region: c.region } : {}),
    ...(c.endpoint ? { endpoint: c.endpoint } : {}),
    ...(c.credentials ? { credentials: c.credentials } : {}),
    maxAttempts: 3,
  });
  return { store: channelStore(root), secrets: secretStore(ssm), ssm };
}

/** The most an SSM parameter of the standard tier holds: a channel's URL and key as JSON. */
const SECRET_MAX_BYTES = 4096;

/** What each kind needs besides a URL, and the option that gives it. */
const KEY_OF: Partial<Record<ChannelKind, { what: string; required: boolean }>> = {
  pagerduty: { what: 'the integration\'s routing key (Events API v2)', required: true },
  opsgenie: { what: 'the API integration\'s key', required: true },
  webhook: { what: 'the signing key for X-Dts-Signature (default: a new random one, printed once)', required: false },
};

/** `dts channels add slack --url https://hooks.slack.com/... --filter 'severity>=warning'`. */
export async function channelsAddCommand(ctx: Context, kind: string, o: ChannelAddOptions): Promise<number> {
  if (!isChannelKind(kind)) throw usage(`unknown channel kind ${JSON.stringify(kind)}: one of ${CHANNEL_KINDS.join(', ')}`);
  const name = o.name ?? kind;
  const nameProblem = channelNameProblem(name);
  if (nameProblem) throw usage(nameProblem);
  const url = o.url ?? DEFAULT_URLS[kind];
  if (!url) throw usage(`a ${kind} channel needs --url (its webhook URL)`);
  // Everything but loopback is judged before any call; loopback needs to know where the backend is.
  const bad = channelUrlProblem(url, { allowLoopback: true });
  if (bad) throw usage(`${bad}: ${redactUrl(url)}`);
  const loopback = channelUrlProblem(url, { allowLoopback: false }) && channelUrlProblem(url, await urlPolicyOf(ctx, o.allowLoopback));
  if (loopback) throw usage(`${loopback}: ${redactUrl(url)}`);
  const needs = KEY_OF[kind];
  if (!needs && o.key !== undefined) throw usage(`a ${kind} channel takes no --key: its URL is its secret`);
  if (needs?.required && !o.key) throw usage(`a ${kind} channel needs --key: ${needs.what}`);
  // PagerDuty's Events API v2 routing keys are 32 characters; anything else is refused there, later.
  if (kind === 'pagerduty' && !/^[A-Za-z0-9]{32}$/.test(o.key ?? '')) throw usage('a PagerDuty routing key (--key) is 32 letters and digits, as the integration shows it');
  const filter = o.filter ?? '';
  const parsed = parseFilter(filter);
  if (!parsed.ok) throw usage(parsed.error);

  const generated = kind === 'webhook' && !o.key ? randomBytes(32).toString('base64url') : undefined;
  const secret: ChannelSecret = { url, ...(o.key ?? generated ? { key: o.key ?? generated } : {}) };
  // Kept as an SSM SecureString of the standard tier, which holds 4 KB.
  if (Buffer.byteLength(JSON.stringify(secret)) > SECRET_MAX_BYTES) throw usage(`the --url and --key together must stay under ${SECRET_MAX_BYTES} bytes (an SSM parameter of the standard tier)`);
  const { store, secrets, ssm } = await open(ctx);
  try {
    const channel: Channel = {
      name, kind, filter, secretRef: secretRefOf(store.table, name), target: redactUrl(url),
      createdAt: Date.now(), ...(currentUser(ctx) ? { createdBy: currentUser(ctx) as string } : {}),
    };
    if (!(await store.create(channel))) throw new CliError(`a channel named ${name} exists: remove it first, or choose another --name`, EXIT.FAILED);
    try {
      await secrets.put(channel.secretRef, secret);
    } catch (e) {
      await store.remove(name);
      throw e;
    }
    if (o.json) ctx.io.out(JSON.stringify(publicView(channel), null, 2) + '\n');
    else {
      ctx.io.out(`added ${kind} channel ${name} → ${channel.target}${filter ? ` (filter ${filter})` : ''}\n`);
      ctx.io.out(`its secret is in SSM Parameter Store at ${channel.secretRef}; try it with \`dts channels test ${name}\`\n`);
    }
    // The one time a generated signing key is shown: the receiver needs it to check signatures.
    if (generated) ctx.io.err(`signing key (shown once; give it to the receiver): ${generated}\n`);
    return 0;
  } finally {
    ssm.destroy();
  }
}

/** What `list` and `--json` show of a channel: nothing secret. */
function publicView(c: Channel): Record<string, unknown> {
  return {
    name: c.name, kind: c.kind, target: c.target, filter: c.filter, createdAt: new Date(c.createdAt).toISOString(),
    ...(c.createdBy ? { createdBy: c.createdBy } : {}),
    lastSuccessAt: c.lastSuccessAt === undefined ? null : new Date(c.lastSuccessAt).toISOString(),
    lastErrorAt: c.lastErrorAt === undefined ? null : new Date(c.lastErrorAt).toISOString(),
    lastError: c.lastError ?? null,
    failing: c.failing ?? 0,
  };
}

/** `dts channels` / `dts channels list`: each channel, where it goes, and how its deliveries fare. */
export async function channelsListCommand(ctx: Context, o: { json?: boolean }): Promise<number> {
  const { store, ssm } = await open(ctx);
  ssm.destroy();
  const channels = (await store.list()).sort((a, b) => a.name.localeCompare(b.name));
  if (o.json) {
    ctx.io.out(JSON.stringify(channels.map(publicView), null, 2) + '\n');
    return 0;
  }
  if (channels.length === 0) {
    ctx.io.err('no channels: add one with `dts channels add slack --url https://hooks.slack.com/...`\n');
    return 0;
  }
  const now = Date.now();
  const s = styleFor(ctx.io.isTTY, ctx.io.env);
  ctx.io.out(table(['NAME', 'KIND', 'TARGET', 'FILTER', 'LAST SUCCESS', 'LAST ERROR'], channels.map((c) => [
    c.name, c.kind, c.target, c.filter || s.dim('(all)'),
    c.lastSuccessAt === undefined ? s.dim('never') : age(c.lastSuccessAt, now),
    c.lastErrorAt === undefined || (c.failing ?? 0) === 0 && (c.lastSuccessAt ?? 0) > c.lastErrorAt
      ? (c.lastErrorAt === undefined ? '' : s.dim(`${age(c.lastErrorAt, now)} (since recovered)`))
      : s.red(`${age(c.lastErrorAt, now)}, ${c.failing ?? 0} failing: ${c.lastError ?? ''}`),
  ]), s));
  return 0;
}

/** A name `dts channels add` would refuse names no channel: said before the table refuses the key. */
function noSuchName(name: string): CliError | undefined {
  if (!channelNameProblem(name)) return undefined;
  const shown = name.length > 63 ? `${name.slice(0, 63)}…` : name;
  return usage(`no channel can be named ${JSON.stringify(shown)}: a channel name is 1-63 letters, digits, '_', '.' or '-' (\`dts channels list\` shows them)`);
}

export async function channelsRemoveCommand(ctx: Context, name: string, o: { json?: boolean }): Promise<number> {
  const bad = noSuchName(name);
  if (bad) throw bad;
  const { store, secrets, ssm } = await open(ctx);
  try {
    const channel = await store.get(name);
    if (!channel || !(await store.remove(name))) throw notFound(`no channel ${JSON.stringify(name)} (\`dts channels list\` shows them)`);
    await secrets.remove(channel.secretRef);
    if (o.json) ctx.io.out(JSON.stringify({ removed: name }) + '\n');
    else ctx.io.out(`removed channel ${name} and its secret\n`);
    return 0;
  } finally {
    ssm.destroy();
  }
}

/**
 * `dts channels test NAME`: a real notification, rendered and sent as the notifier would, with
 * the HTTP result. A pager gets a trigger and then its resolve, so no incident stays open.
 */
export async function channelsTestCommand(ctx: Context, name: string, o: { json?: boolean }): Promise<number> {
  const bad = noSuchName(name);
  if (bad) throw bad;
  const { store, secrets, ssm } = await open(ctx);
  try {
    const channel = await store.get(name);
    if (!channel) throw notFound(`no channel ${JSON.stringify(name)} (\`dts channels list\` shows them)`);
    const secret = await secrets.get(channel.secretRef);
    if (!secret) throw new CliError(`channel ${name} has no secret at ${channel.secretRef}: remove it and add it again`, EXIT.FAILED);
    const results: Array<{ step: string; result: SendResult }> = [];
    for (const [step, n] of testNotifications(name, Date.now())) {
      const request = RENDERERS[channel.kind](n, secret, Date.now());
      if (!request) continue;
      // A slow or silent receiver takes up to three timeouts and two waits: say what is going on.
      if (!o.json) ctx.io.err(`${name}: sending the ${step}…\n`);
      const result = await sendWithRetry(request, {
        ...DEFAULT_SEND,
        urlPolicy: await urlPolicyOf(ctx, false),
        ...(o.json ? {} : { onRetry: (attempt, error, delayMs) => ctx.io.err(`${name}: try ${attempt} of ${DEFAULT_SEND.attempts} failed (${error}); trying again in ${(delayMs / 1000).toFixed(1)} s\n`) }),
      });
      results.push({ step, result });
      if (result.ok) await store.recordSuccess(name, Date.now());
      else await store.recordFailure(name, Date.now(), `test: ${result.error ?? 'failed'}`);
      if (!result.ok) break;
    }
    const ok = results.length > 0 && results.every((r) => r.result.ok);
    if (o.json) {
      ctx.io.out(JSON.stringify({ channel: name, kind: channel.kind, ok, results: results.map((r) => ({ step: r.step, ...r.result })) }, null, 2) + '\n');
    } else {
      for (const { step, result } of results) {
        const status = result.status === undefined ? 'no response' : `HTTP ${result.status}`;
        ctx.io.out(`${name} (${channel.kind}) ${step}: ${result.ok ? 'ok' : 'FAILED'}, ${status} after ${result.attempts} attempt(s)${result.ok ? '' : `: ${result.error ?? ''}`}\n`);
      }
    }
    return ok ? 0 : EXIT.FAILED;
  } finally {
    ssm.destroy();
  }
}

/** A test down and its recovery, sharing one incident: what a pager opens and then resolves. */
export function testNotifications(channel: string, now: number): Array<[string, Notification]> {
  const start = new Date(now).toISOString();
  const down = notification('dts-test', 'host-down', 'critical', now,
    `dts-test is down: a test of channel ${channel} (no host is down)`, { lastBeat: start, limitSeconds: '180' }, channel);
  const back = notification('dts-test', 'host-recovered', 'info', now + 1,
    `dts-test recovered: the test of channel ${channel} is over`, { outageStart: start, downtimeSeconds: '0' }, channel);
  return [['test alert', { ...down, labels: { test: 'true' } }], ['test resolve', { ...back, labels: { test: 'true' } }]];
}
