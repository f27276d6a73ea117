import { beatOnce, runAgent } from '../../agent/agent';
import { createProducer } from '../../producer/producer';
import type { Context } from '../context';
import { usage } from '../errors';
import { bytes } from '../format';
import { levelFloor } from './logs';

export interface AgentCommandOptions {
  once?: boolean;
  interval: number;
  jitter?: number;
  label: string[];
  hostname?: string;
  mount: string[];
  tail: string[];
  app?: string;
  level: string;
  detectLevel?: boolean;
  json?: boolean;
  quiet?: boolean;
}

export function parseLabels(pairs: readonly string[]): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw usage(`bad label ${JSON.stringify(pair)}: use --label key=value`);
    labels[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return labels;
}

export async function agentCommand(ctx: Context, o: AgentCommandOptions, version: string): Promise<number> {
  const labels = parseLabels(o.label);
  if (o.tail.length > 0 && !o.app) throw usage('--tail needs --app NAME: the app its lines are filed under');
  if (o.once && o.tail.length > 0) throw usage('--once sends one heartbeat; it does not follow files (drop --tail or --once)');
  const level = levelFloor(o.level);
  const mounts = o.mount.length > 0 ? o.mount : ['/'];
  const backend = await ctx.backend(o.tail.length > 0 ? ['heartbeatsQueueUrl', 'logsQueueUrl'] : ['heartbeatsQueueUrl']);
  const say = (line: string): void => {
    if (!o.quiet) ctx.io.err(`dts agent: ${line}\n`);
  };
  const producer = createProducer({
    heartbeatsQueueUrl: backend.require('heartbeatsQueueUrl'),
    ...(backend.resources.logsQueueUrl ? { logsQueueUrl: backend.resources.logsQueueUrl } : {}),
    ...backend.client,
    ...(o.hostname ? { hostname: o.hostname } : {}),
    ...(o.app ? { app: o.app } : {}),
    interval: o.interval,
    labels,
    agent: { name: 'dts-agent', version },
    // The agent manages its own end: goodbye first, then the flush.
    flushOnExit: false,
    // Failures are told once per beat by the agent itself.
    onError: () => {},
  });

  if (o.once) {
    const r = await beatOnce(producer, mounts);
    await producer.close({ timeoutMs: 5000 });
    for (const p of r.problems) ctx.io.err(`dts agent: disk ${p}\n`);
    if (o.json) ctx.io.out(JSON.stringify({ sent: r.ok, heartbeat: r.sample, ...(r.error ? { error: r.error.message } : {}) }, null, 2) + '\n');
    else if (r.ok) {
      const s = r.sample;
      const disk = s.disk ? `, disk ${s.disk.percent.toFixed(1)}% of ${bytes(s.disk.total)} on ${s.disk.mount ?? '?'}` : '';
      ctx.io.out(`heartbeat sent: cpu ${s.cpu?.percent.toFixed(1)}%, mem ${s.mem?.percent.toFixed(1)}% of ${bytes(s.mem?.total)}${disk}\n`);
    }
    if (!r.ok) ctx.io.err(`dts agent: ${r.error?.message ?? 'heartbeat not sent'}\n`);
    return r.ok ? 0 : 1;
  }

  const stop = new Promise<NodeJS.Signals>((resolve) => {
    for (const s of ['SIGTERM', 'SIGINT'] as const) process.once(s, () => resolve(s));
  });
  return runAgent({
    producer,
    interval: o.interval,
    mounts,
    jitter: o.jitter ?? Math.min(10, o.interval),
    tails: o.tail,
    ...(o.app ? { app: o.app } : {}),
    level,
    detectLevel: o.detectLevel === true,
    say,
    stop,
  });
}
