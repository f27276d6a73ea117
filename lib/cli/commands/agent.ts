import type { Command } from 'commander';
import { beatOnce, runAgent } from '../../agent/agent';
import { hostname as osHostname } from 'node:os';
import { createProducer } from '../../producer/producer';
import type { Context } from '../context';
import { usage } from '../errors';
import { bytes } from '../format';
import { collect, levelFloor, seconds } from '../options';

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

/** The agent's options, on `dts agent` and on the standalone agent (dist/dts-agent.mjs) alike. */
export function withAgentOptions(cmd: Command): Command {
  return cmd
    .option('--once', 'send one heartbeat and exit')
    .option('--interval <seconds>', 'seconds between heartbeats', seconds, 60)
    .option('--jitter <seconds>', 'most seconds the first beat waits, at random (default: 10, or the interval if shorter)', seconds)
    .option('--label <key=value>', 'a label on every beat (repeatable)', collect, [])
    .option('--hostname <name>', 'the name this host reports (default: os.hostname())')
    .option('--mount <path>', 'a mount whose disk use to watch; the fullest is reported (repeatable, default /)', collect, [])
    .option('--tail <path>', 'follow this file as log records, across rotation (repeatable)', collect, [])
    .option('--app <name>', 'the app followed lines are filed under (required with --tail)')
    .option('--level <level>', 'level of followed lines', 'info')
    .option('--detect-level', 'take each line\'s level from a word such as ERROR or WARN near its start')
    .option('-q, --quiet', 'no status lines on stderr')
    .addHelpText('after', '\nExamples:\n  dts agent --once\n  dts agent --label role=web --mount / --mount /var\n  dts agent --tail /var/log/nginx/error.log --app nginx --detect-level');
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

/** The agent needs only the output streams and the queues' location, not the stores. */
export type AgentContext = Pick<Context, 'io' | 'backend'>;

export async function agentCommand(ctx: AgentContext, o: AgentCommandOptions, version: string): Promise<number> {
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
    // The agent is the machine: it beats under the machine's own name, which other senders leave
    // to it (docs/CLI.md, "Who beats as what").
    hostname: o.hostname ?? osHostname(),
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
