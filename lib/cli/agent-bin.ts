/**
 * The standalone agent (dist/dts-agent.mjs): `dts agent` as a program of its own, which carries
 * only what the agent uses (the SQS client, and CloudFormation for --stack), so that a host
 * needs one file and Node. Same options, exit codes and messages as `dts agent`.
 */
import { Command, CommanderError } from 'commander';
import { backendLocator } from './backend';
import { agentCommand, withAgentOptions, type AgentCommandOptions, type AgentContext } from './commands/agent';
import type { GlobalOptions, Io } from './io';
import { EXIT, explain } from './errors';
import { exitWhenDrained, quietSdkNodeWarning } from './exit';
import { VERSION } from './version';

quietSdkNodeWarning();

const io: Io = {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
  env: process.env,
  isTTY: process.stdout.isTTY === true,
};

export async function agentMain(argv: readonly string[]): Promise<number> {
  let code: number = EXIT.OK;
  const program = withAgentOptions(new Command('dts-agent'))
    .description('Send this host\'s heartbeats (and follow log files) to dts until SIGTERM/SIGINT, then say goodbye.')
    .version(VERSION, '-V, --version')
    .option('--json', 'machine-readable output (with --once)')
    .option('--stack <name>', 'read the queue URLs from this CloudFormation stack\'s outputs (or DTS_STACK)')
    .option('--stage <stage>', 'stage of the local cloud\'s resource names, dts-<stage>-*')
    .option('--region <region>', 'AWS region (default: AWS_REGION)')
    .option('--profile <profile>', 'AWS profile (default: AWS_PROFILE)')
    .option('--endpoint <url>', 'AWS endpoint override (default: AWS_ENDPOINT_URL)')
    .option('--heartbeats-queue-url <url>', 'the heartbeats queue (or DTS_HEARTBEATS_QUEUE_URL)')
    .option('--logs-queue-url <url>', 'the logs queue, for --tail (or DTS_LOGS_QUEUE_URL)')
    .exitOverride()
    .action(async function (this: Command) {
      const o = this.opts<AgentCommandOptions & GlobalOptions>();
      if (o.profile) io.env.AWS_PROFILE = o.profile;
      const ctx: AgentContext = { io, backend: backendLocator(o, io) };
      code = await agentCommand(ctx, o, VERSION);
    });
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return code;
  } catch (e) {
    if (e instanceof CommanderError) return ['commander.helpDisplayed', 'commander.version'].includes(e.code) ? EXIT.OK : EXIT.USAGE;
    const { message, exitCode } = explain(e);
    io.err(`dts-agent: ${message}\n`);
    return exitCode;
  }
}

exitWhenDrained(await agentMain(process.argv.slice(2)));
