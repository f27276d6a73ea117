import { readFileSync } from 'node:fs';
import { hostname as osHostname } from 'node:os';
import { setFlagsFromString } from 'node:v8';
import { SQSClient } from '@aws-sdk/client-sqs';
import { createProducer } from '../../producer/producer';
import { hostPolicy, parseHostPatterns } from '../../relay/host-policy';
import { runRelay } from '../../relay/relay';
import type { Context } from '../context';
import { usage } from '../errors';

export interface RelayCommandOptions {
  listen: string;
  tokenFile?: string;
  interval: number;
  flush: number;
  maxBeats: number;
  maxBytes: number;
  hosts?: string;
  hostsFile?: string;
  allowGoodbye?: boolean;
  hostname?: string;
  quiet?: boolean;
}

/** "0.0.0.0:8080", "[::]:8080", ":8080" or "8080". */
export function parseListen(text: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(text) ?? /^()()(\d+)$/.exec(text);
  const port = Number(m?.[3]);
  if (!m || !Number.isInteger(port) || port < 0 || port > 65535) throw usage(`--listen ${JSON.stringify(text)}: use HOST:PORT, e.g. 0.0.0.0:8080`);
  return { host: m[1] || m[2] || '0.0.0.0', port };
}

/** The token from --token-file, or DTS_RELAY_TOKEN; a relay never runs open. */
export function relayToken(o: RelayCommandOptions, env: Record<string, string | undefined>): string {
  const token = (o.tokenFile ? readFileSync(o.tokenFile, 'utf8') : env.DTS_RELAY_TOKEN ?? '').trim();
  if (token.length < 16) throw usage('a relay needs a token of at least 16 characters: --token-file FILE or DTS_RELAY_TOKEN (e.g. openssl rand -hex 32)');
  return token;
}

/**
 * The relay's own beats say the relay is alive, not the machine: they carry a name of their own,
 * so that they never replace the labels and figures that the machine's agent reports.
 */
export function relayName(machine: string): string {
  return `relay@${machine}`;
}

/** The globs of --hosts and --hosts-file together; none: the relay speaks for any host. */
export function relayHostPatterns(o: Pick<RelayCommandOptions, 'hosts' | 'hostsFile'>): string[] {
  const patterns = [...parseHostPatterns(o.hosts ?? ''), ...(o.hostsFile ? parseHostPatterns(readFileSync(o.hostsFile, 'utf8')) : [])];
  if ((o.hosts !== undefined || o.hostsFile !== undefined) && patterns.length === 0) throw usage('--hosts and --hosts-file name no host pattern: give at least one, e.g. --hosts \'web-*\'');
  return patterns;
}

/**
 * Keeps V8's young generation at its start-up size (2 MB) in the relay's process, unless the
 * semi-space is set by hand (NODE_OPTIONS). Under a flood of large beats V8 would grow it to
 * 32 MB, all of it resident, whatever --max-bytes is: with it held, the review's flood peaks about
 * 45 MB lower, at the same speed (docs/BENCHMARKS.md, part 20). The growth factor is read each time
 * the young generation would grow, so setting it once the process runs takes effect.
 */
export function holdYoungGeneration(execArgv: readonly string[], nodeOptions: string | undefined): boolean {
  if ([...execArgv, nodeOptions ?? ''].some((a) => /semi[-_]space/.test(a))) return false;
  setFlagsFromString('--semi-space-growth-factor=1');
  return true;
}

export async function relayCommand(ctx: Pick<Context, 'io' | 'backend'>, o: RelayCommandOptions, version: string): Promise<number> {
  const listen = parseListen(o.listen);
  holdYoungGeneration(process.execArgv, ctx.io.env.NODE_OPTIONS);
  const token = relayToken(o, ctx.io.env);
  const patterns = relayHostPatterns(o);
  const backend = await ctx.backend(['heartbeatsQueueUrl', 'logsQueueUrl']);
  const say = (line: string): void => {
    if (!o.quiet) ctx.io.err(`dts relay: ${line}\n`);
  };
  const client = backend.client;
  const sqs = new SQSClient({ ...client, maxAttempts: 2 });
  const logs = createProducer({
    ...client, logsQueueUrl: backend.require('logsQueueUrl'), heartbeatsQueueUrl: backend.require('heartbeatsQueueUrl'), flushOnExit: false, warn: say, onError: () => {},
  });
  const stop = new Promise<void>((resolve) => {
    for (const s of ['SIGTERM', 'SIGINT'] as const) process.once(s, () => resolve());
  });
  try {
    return await runRelay({
      listen, token, sqs, heartbeatsQueueUrl: backend.require('heartbeatsQueueUrl'), logs,
      hostname: o.hostname ?? relayName(osHostname()), version, interval: o.interval, flushSeconds: o.flush, maxBeats: o.maxBeats, maxBytes: o.maxBytes,
      ...(patterns.length > 0 ? { hosts: { patterns, allowed: hostPolicy(patterns) } } : {}), allowGoodbye: o.allowGoodbye === true, say, stop,
    });
  } finally {
    sqs.destroy();
  }
}
