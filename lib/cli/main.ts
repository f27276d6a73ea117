/**
 * The dts command line. Every command takes --json, exits 0 when it did what was asked, 1 when
 * the operation failed, 2 on a usage mistake, 3 when the thing asked for does not exist, and 4
 * when dts cannot find or reach its backend (see lib/cli/errors.ts). A command's module is
 * imported when it runs, so each command loads (in the bundle: evaluates) only what it uses.
 */
import { Command, CommanderError, Option } from 'commander';
import { makeContext, type Context } from './context';
import { processIo, type GlobalOptions, type Io } from './io';
import { terminalSafe } from './terminal';
import { EXIT, explain } from './errors';
import { withAgentOptions, type AgentCommandOptions } from './commands/agent';
import type { LogCommandOptions } from './commands/log';
import type { LogsOptions } from './commands/logs';
import type { RelayCommandOptions } from './commands/relay';
import type { NotificationsOptions } from './commands/notifications';
import type { ReportOptions } from './commands/report';
import type { SilenceOptions } from './commands/silence';
import type { RuleAddOptions } from './commands/rules';
import { collect, seconds } from './options';
import type { ChannelAddOptions } from './commands/channels';
import type { StatusPageAddOptions } from './commands/status-pages';
import type { DoctorOptions } from './commands/doctor';
import { NOTIFICATION_KINDS } from '../domain/model';
import { parseByteSize, parsePositiveInt } from './time';
import { VERSION } from './version';

export { VERSION };

export function buildProgram(io: Io, run: (action: (ctx: Context) => Promise<number>, cmd: Command) => Promise<void>): Command {
  const program = new Command('dts')
    .description('Heartbeats, logs and liveness for a fleet of hosts, on AWS (or the local cloud).')
    .version(VERSION, '-V, --version')
    .showSuggestionAfterError()
    .configureHelp({ sortSubcommands: false, showGlobalOptions: true })
    .addHelpText('after', `
Where the queues and tables are, first match wins:
  1. flags: --logs-queue-url, --heartbeats-queue-url, --hosts-table, --logs-table,
     --notifications-table, --stats-table, --silences-table, --reports-table,
     --alerts-topic-arn (before the command)
  2. DTS_LOGS_QUEUE_URL, DTS_HEARTBEATS_QUEUE_URL, DTS_HOSTS_TABLE, DTS_LOGS_TABLE,
     DTS_NOTIFICATIONS_TABLE, DTS_STATS_TABLE, DTS_SILENCES_TABLE, DTS_REPORTS_TABLE,
     DTS_ALERTS_TOPIC_ARN
  3. the outputs of a deployed stack: --stack dts-prod (or DTS_STACK)
  4. the local cloud at AWS_ENDPOINT_URL or http://127.0.0.1:4566 (npm start), in the
     stage it runs (local unless npm start -- --stage says otherwise; or --stage, DTS_STAGE)

Exit codes: 0 ok, 1 failed, 2 usage, 3 not found, 4 backend not configured or unreachable.`)
    .option('--stack <name>', 'read resource names from this CloudFormation stack\'s outputs')
    .option('--stage <stage>', 'stage of the local cloud\'s resource names, dts-<stage>-* (default: the one it runs)')
    .option('--region <region>', 'AWS region (default: AWS_REGION, or us-east-1 locally)')
    .option('--profile <profile>', 'AWS profile (default: AWS_PROFILE)')
    .option('--endpoint <url>', 'AWS endpoint override (default: AWS_ENDPOINT_URL)')
    .addOption(new Option('--logs-queue-url <url>').hideHelp())
    .addOption(new Option('--heartbeats-queue-url <url>').hideHelp())
    .addOption(new Option('--hosts-table <name>').hideHelp())
    .addOption(new Option('--logs-table <name>').hideHelp())
    .addOption(new Option('--notifications-table <name>').hideHelp())
    .addOption(new Option('--stats-table <name>').hideHelp())
    .addOption(new Option('--silences-table <name>').hideHelp())
    .addOption(new Option('--reports-table <name>').hideHelp())
    .addOption(new Option('--alerts-topic-arn <arn>').hideHelp())
    .addOption(new Option('--api-keys-table <name>').hideHelp())
    .addOption(new Option('--channels-table <name>').hideHelp())
    .addOption(new Option('--checks-table <name>').hideHelp())
    .addOption(new Option('--status-table <name>').hideHelp());
  program.exitOverride().configureOutput({ writeOut: io.out, writeErr: io.err });

  const sub = (name: string, description: string): Command =>
    program.command(name).description(description).option('--json', 'machine-readable output').exitOverride().configureOutput({ writeOut: io.out, writeErr: io.err });

  withAgentOptions(sub('agent', 'send this host\'s heartbeats (and follow log files) until SIGTERM/SIGINT, then say goodbye'))
    .action(function (this: Command) {
      return run(async (ctx) => (await import('./commands/agent')).agentCommand(ctx, this.opts<AgentCommandOptions>(), VERSION), this);
    });

  sub('relay', 'accept beats and log records over HTTP from hosts without AWS credentials, and forward them in few SQS messages')
    .option('--listen <host:port>', 'where to listen', '0.0.0.0:8080')
    .option('--token-file <path>', 'the relay token that clients send as Authorization: Bearer (default: DTS_RELAY_TOKEN)')
    .option('--interval <seconds>', 'seconds between the relay\'s own beats', seconds, 60)
    .option('--flush <seconds>', 'the longest a beat waits to be forwarded to SQS; never more than a third of its interval', seconds, 20)
    .option('--max-beats <n>', 'beats held at most; past it a host\'s oldest beats are shed first', parsePositiveInt('--max-beats'), 100_000)
    .option('--max-bytes <size>', 'bytes of beats held at most (e.g. 64M, 512K, 1G); a beat that finds no room gets 503', parseByteSize('--max-bytes'), 64 * 1024 * 1024)
    .option('--hosts <globs>', 'the hosts this relay may speak for, e.g. \'web-*,db-?\' (default: any, with a warning)')
    .option('--hosts-file <path>', 'the same, one glob a line (# comments)')
    .option('--allow-goodbye', 'pass goodbyes on (a goodbye makes a host left, which mutes its downs)')
    .option('--hostname <name>', 'the name the relay beats as (default: relay@<os.hostname()>, apart from the machine\'s agent)')
    .option('-q, --quiet', 'no status lines on stderr')
    .addHelpText('after', '\nExamples:\n  DTS_RELAY_TOKEN=$(openssl rand -hex 32) dts relay --listen 0.0.0.0:8080 --hosts \'web-*,db-*\'\n  curl -fsS -X POST -H "Authorization: Bearer $T" "http://relay:8080/beat?hostname=$(hostname)&interval=60"\n  echo "disk full" | curl -fsS -X POST -H "Authorization: Bearer $T" --data-binary @- "http://relay:8080/log?app=cron&level=error"')
    .action(function (this: Command) {
      return run(async (ctx) => (await import('./commands/relay')).relayCommand(ctx, this.opts<RelayCommandOptions>(), VERSION), this);
    });

  sub('log', 'send each line of standard input as a log record')
    .requiredOption('--app <name>', 'the app the records are filed under')
    .option('--level <level>', 'debug, info, warning, error, critical or a number', 'info')
    .option('--hostname <name>', 'the host the records come from (default: os.hostname())')
    .option('--field <key=value>', 'a field on every record (repeatable)', collect, [])
    .option('--detect-level', 'take each line\'s level from a word such as ERROR or WARN near its start')
    .addHelpText('after', '\nExamples:\n  echo hello | dts log --app demo\n  ./backup.sh 2>&1 | dts log --app backup --detect-level')
    .action(function (this: Command) {
      return run(async (ctx) => (await import('./commands/log')).logCommand(ctx, this.opts<LogCommandOptions>()), this);
    });

  sub('hosts', 'every host: state, age of its last beat, cpu/mem/disk with levels, clock skew; worst first')
    .addOption(new Option('--state <state>', 'only hosts in this state').choices(['new', 'alive', 'dead', 'left', 'retired']))
    .option('--label <key=value>', 'only hosts with this label value (repeatable: all must match)', collect, [])
    .action(function (this: Command) {
      return run(async (ctx) => (await import('./commands/hosts')).hostsCommand(ctx, this.opts()), this);
    });

  const host = sub('host', 'one host in detail, with its recent notifications and log errors')
    .argument('<name>', 'the hostname')
    .option('--limit <n>', 'notifications and errors to show', parsePositiveInt('--limit'), 10)
    .action(function (this: Command, name: string) {
      return run(async (ctx) => (await import('./commands/host')).hostCommand(ctx, name, this.opts<{ json?: boolean; limit: number }>()), this);
    });
  host.command('rm').description('forget a host (decommissioned); its notifications stay, and a new beat brings it back as new')
    .argument('<name>', 'the hostname')
    .option('--json', 'machine-readable output')
    .exitOverride().configureOutput({ writeOut: io.out, writeErr: io.err })
    .action(function (this: Command, name: string) {
      return run(async (ctx) => (await import('./commands/host-rm')).hostRmCommand(ctx, name, this.optsWithGlobals<{ json?: boolean }>()), this);
    });

  sub('logs', 'log records of an app, a host, or (--level error) the whole fleet, newest first (or streaming with --follow)')
    .option('--app <name>', 'records of this app')
    .option('--host <name>', 'records from this host')
    .option('--grep <text>', 'only records whose text contains this (case-sensitive)')
    .option('--cursor <token>', 'continue where a page ended (from its "more:" hint)')
    .option('--level <level>', 'the lowest level shown: debug, info, warning, error, critical', 'debug')
    .option('--since <time>', 'from: a duration back (15m, 2h, 1d), an ISO time, or epoch seconds', '1h')
    .option('--until <time>', 'up to (default: now)')
    .option('--limit <n>', 'records to show', parsePositiveInt('--limit'), 100)
    .option('-f, --follow', 'keep printing new records as they arrive (oldest first)')
    .option('--poll <seconds>', 'seconds between polls with --follow', seconds, 2)
    .addHelpText('after', '\nExamples:\n  dts logs --app demo\n  dts logs --host web-1 --level warning --since 1d\n  dts logs --level error --since 1d          (every app and host)\n  dts logs --app api --level error --grep timeout --follow')
    .action(function (this: Command) {
      const stop = new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
      return run(async (ctx) => (await import('./commands/logs')).logsCommand(ctx, this.opts<LogsOptions>(), stop), this);
    });

  sub('notifications', 'notifications (host down, recovered, resource levels), newest first')
    .option('--host <name>', 'only this host\'s')
    .option('--since <time>', 'from: a duration back (1d, 12h) or an ISO time', '1d')
    .option('--until <time>', 'up to (default: now)')
    .option('--limit <n>', 'notifications to show', parsePositiveInt('--limit'), 100)
    .addOption(new Option('--kind <kind>', 'only this kind').choices(NOTIFICATION_KINDS))
    .option('--cursor <token>', 'continue where a page ended (from its "more:" hint)')
    .action(function (this: Command) {
      return run(async (ctx) => (await import('./commands/notifications')).notificationsCommand(ctx, this.opts<NotificationsOptions>()), this);
    });

  sub('diagnose', 'run a liveness pass now (--now), or show when the scheduled one last ran')
    .option('--now', 'run one diagnose pass against the configured backend')
    .option('-v, --verbose', 'log what the pass does')
    .action(function (this: Command) {
      return run(async (ctx) => (await import('./commands/diagnose')).diagnoseCommand(ctx, this.opts()), this);
    });

  sub('doctor', 'check a deployment: outputs, tables, queues, topics, schedules, alarms, DLQs, and a synthetic beat\'s round trip (docs/DEPLOY.md)')
    .option('--timeout <seconds>', 'seconds the synthetic beat, then its goodbye, each have to arrive', seconds, 60)
    .addHelpText('after', '\nExamples:\n  dts doctor --stack dts-prod\n  dts doctor                 (the local cloud, npm start)\n  dts doctor --json')
    .action(function (this: Command) {
      return run(async (ctx) => (await import('./commands/doctor')).doctorCommand(ctx, this.optsWithGlobals<DoctorOptions>()), this);
    });

  sub('silence', 'hold back alerts about a host, a label=value, a check (check:NAME), an app (app:A) or a log rule (rule:R) for a while (maintenance); --list, --end ID')
    .argument('[target]', 'a hostname, label=value for every host and check with that label, check:NAME for one check, or app:NAME / rule:NAME for log rules\' alerts')
    .option('--for <duration>', 'how long: 30m, 2h, 1d')
    .option('--reason <text>', 'why: shown in the list and in the notifications')
    .option('--list', 'the silences in force or planned')
    .option('--all', 'with --list: also those that ended this week')
    .option('--end <id>', 'end a silence now')
    .addHelpText('after', '\nExamples:\n  dts silence web-1 --for 2h --reason "kernel upgrade"\n  dts silence role=db --for 30m --reason "failover drill"\n  dts silence check:nightly-backup --for 2h --reason "storage migration"\n  dts silence --list\n  dts silence --end 3f9c0a1b2d')
    .action(function (this: Command, target: string | undefined) {
      return run(async (ctx) => (await import('./commands/silence')).silenceCommand(ctx, target, this.opts<SilenceOptions>()), this);
    });

  const statusPages = sub('status-pages', 'public status pages and badges: groups of hosts and checks by label, served without a key (docs/STATUS.md)')
    .action(function (this: Command) {
      return run(async (ctx) => (await import('./commands/status-pages')).statusPagesListCommand(ctx, this.opts<{ json?: boolean }>()), this);
    });
  const pageSub = (name: string, description: string): Command =>
    statusPages.command(name).description(description).option('--json', 'machine-readable output').exitOverride().configureOutput({ writeOut: io.out, writeErr: io.err });
  pageSub('add', 'make a page: its title and groups, each a name and a label selector')
    .argument('<name>', 'the page\'s name in its URL: /status/NAME')
    .option('--title <text>', 'the title shown')
    .option('--group <NAME=label=value>', 'a group of hosts: every host with these labels (comma: all must hold); repeat for more', collect, [])
    .option('--checks <NAME=label=value>', 'a group of checks (scheduled jobs, docs/CHECKS.md), by their labels; repeatable', collect, [])
    .option('--show-hosts', 'show the members\' hostnames (private by default)')
    .addHelpText('after', `\nExamples:\n  dts status-pages add public --title "Acme status" --group 'Web=role=web' --group 'Database=role=db'\n  dts status-pages add internal --title "Ops" --group 'Edge=role=edge,env=prod' --show-hosts`)
    .action(function (this: Command, name: string) {
      return run(async (ctx) => (await import('./commands/status-pages')).statusPagesAddCommand(ctx, name, this.optsWithGlobals<StatusPageAddOptions>()), this);
    });
  pageSub('list', 'every page: title, groups, state')
    .action(function (this: Command) {
      return run(async (ctx) => (await import('./commands/status-pages')).statusPagesListCommand(ctx, this.optsWithGlobals<{ json?: boolean }>()), this);
    });
  pageSub('show', 'one page: its groups, their selectors and states')
    .argument('<name>')
    .action(function (this: Command, name: string) {
      return run(async (ctx) => (await import('./commands/status-pages')).statusPagesShowCommand(ctx, name, this.optsWithGlobals<{ json?: boolean }>()), this);
    });
  pageSub('remove', 'remove a page: its URL and badges answer 404')
    .argument('<name>')
    .action(function (this: Command, name: string) {
      return run(async (ctx) => (await import('./commands/status-pages')).statusPagesRemoveCommand(ctx, name, this.optsWithGlobals<{ json?: boolean }>()), this);
    });

  sub('report', 'the latest fleet health report, or a new one with --now')
    .option('--now', 'make a report for the hours up to now, store it and publish it')
    .addOption(new Option('--format <format>', 'md, html or json').choices(['md', 'html', 'json']).default('md'))
    .option('--hours <n>', 'with --now: the hours it covers (default 24)', parsePositiveInt('--hours'))
    .option('--no-publish', 'with --now: store it but do not publish it on the alerts topic')
    .option('--detail', 'every row (hosts, incidents, apps) as JSON lines, not only the worst')
    .addHelpText('after', '\nExamples:\n  dts report\n  dts report --format html > report.html\n  dts report --now --no-publish\n  dts report --detail | grep \'"section":"hosts"\' > hosts.jsonl')
    .action(function (this: Command) {
      return run(async (ctx) => (await import('./commands/report')).reportCommand(ctx, this.opts<ReportOptions>()), this);
    });

  const channels = sub('channels', 'where alerts go besides email: Slack, Discord, Teams, PagerDuty, Opsgenie, webhooks (docs/ALERTS.md)')
    .action(function (this: Command) {
      return run(async (ctx) => (await import('./commands/channels')).channelsListCommand(ctx, this.opts<{ json?: boolean }>()), this);
    });
  // `dts channels list --json`: the parent has --json too, and takes it first.
  const channelSub = (name: string, description: string): Command =>
    channels.command(name).description(description).option('--json', 'machine-readable output').exitOverride().configureOutput({ writeOut: io.out, writeErr: io.err });
  channelSub('list', 'every channel: kind, target (secrets hidden), filter, last success and last error')
    .action(function (this: Command) {
      return run(async (ctx) => (await import('./commands/channels')).channelsListCommand(ctx, this.optsWithGlobals<{ json?: boolean }>()), this);
    });
  channelSub('add', 'add a channel; its secret goes to SSM Parameter Store, never to the table')
    .argument('<kind>', 'slack, discord, teams, pagerduty, opsgenie or webhook')
    .option('--name <name>', 'the channel\'s name (default: the kind)')
    .option('--url <url>', 'the webhook URL; for pagerduty and opsgenie, the API endpoint (default: the public one)')
    .option('--allow-loopback', 'take an http://127.0.0.1 URL outside the local cloud (the notifier needs DTS_NOTIFY_ALLOW_LOOPBACK=true too)')
    .option('--key <key>', 'pagerduty: routing key; opsgenie: API key; webhook: signing key (default: generated)')
    .option('--filter <filter>', 'which alerts: severity>=warning, severity=critical, kind=host-down|host-recovered, host=web-*, label.role=db (comma: all must hold)')
    .addHelpText('after', `
Examples:
  dts channels add slack --name ops --url https://hooks.slack.com/services/T000/B000/XXXX --filter 'severity>=warning'
  dts channels add pagerduty --key <its 32-character routing key> --filter 'label.role=db'
  dts channels add webhook --url http://127.0.0.1:9000/x`)
    .action(function (this: Command, kind: string) {
      return run(async (ctx) => (await import('./commands/channels')).channelsAddCommand(ctx, kind, this.optsWithGlobals<ChannelAddOptions>()), this);
    });
  channelSub('remove', 'remove a channel and its secret')
    .argument('<name>', 'the channel')
    .action(function (this: Command, name: string) {
      return run(async (ctx) => (await import('./commands/channels')).channelsRemoveCommand(ctx, name, this.optsWithGlobals<{ json?: boolean }>()), this);
    });
  channelSub('test', 'send a real test alert (and its resolve) to a channel and show the HTTP result')
    .argument('<name>', 'the channel')
    .action(function (this: Command, name: string) {
      return run(async (ctx) => (await import('./commands/channels')).channelsTestCommand(ctx, name, this.optsWithGlobals<{ json?: boolean }>()), this);
    });

  const checks = sub('checks', 'scheduled jobs that ping dts (docs/CHECKS.md): add, list, show, pause, resume, remove');
  const checkSub = (name: string, description: string): Command =>
    checks.command(name).description(description).option('--json', 'machine-readable output').exitOverride().configureOutput({ writeOut: io.out, writeErr: io.err });
  checks.action(function (this: Command) {
    return run(async (ctx) => (await import('./commands/checks')).checksListCommand(ctx, this.optsWithGlobals<{ json?: boolean }>()), this);
  });
  checkSub('add', 'add a check; its ping URL is printed once (only the key\'s hash is stored)')
    .argument('<name>', 'the check: letters, digits, . _ -')
    .option('--every <duration>', 'expected every so often: 10m, 1h, 1d')
    .option('--cron <expression>', 'expected on a five-field cron expression: "0 2 * * *"')
    .option('--tz <zone>', 'the cron expression\'s time zone (default UTC): Europe/Berlin')
    .option('--grace <duration>', 'how late a success may come before the check is late (default 0s)')
    .option('--max-run <duration>', 'a run that started and has not finished after this long is long')
    .option('--label <key=value...>', 'labels, for silences and alert routing')
    .option('--url <base>', 'the ping URL\'s base: the HTTP API\'s URL or a relay\'s (default $DTS_PING_URL)')
    .addHelpText('after', '\nExamples:\n  dts checks add nightly-backup --cron "0 2 * * *" --tz Europe/Berlin --grace 30m --max-run 1h\n  dts checks add queue-drain --every 10m --grace 2m')
    .action(function (this: Command, name: string) {
      return run(async (ctx) => (await import('./commands/checks')).checksAddCommand(ctx, name, this.optsWithGlobals()), this);
    });
  checkSub('list', 'every check: state, last signal, next expected, last duration and exit status')
    .action(function (this: Command) {
      return run(async (ctx) => (await import('./commands/checks')).checksListCommand(ctx, this.optsWithGlobals<{ json?: boolean }>()), this);
    });
  checkSub('show', 'one check').argument('<name>', 'the check')
    .action(function (this: Command, name: string) {
      return run(async (ctx) => (await import('./commands/checks')).checksShowCommand(ctx, name, this.optsWithGlobals<{ json?: boolean }>()), this);
    });
  for (const [verb, paused, text] of [['pause', true, 'stop judging a check (its signals are still recorded)'], ['resume', false, 'judge a paused check again']] as const) {
    checkSub(verb, text).argument('<name>', 'the check')
      .action(function (this: Command, name: string) {
        return run(async (ctx) => (await import('./commands/checks')).checksPauseCommand(ctx, name, paused, this.optsWithGlobals<{ json?: boolean }>()), this);
      });
  }
  checkSub('remove', 'forget a check; its ping key is refused from then on').argument('<name>', 'the check')
    .action(function (this: Command, name: string) {
      return run(async (ctx) => (await import('./commands/checks')).checksRemoveCommand(ctx, name, this.optsWithGlobals<{ json?: boolean }>()), this);
    });

  sub('run', 'run a command as a check\'s job: start, its output passed through, then success or fail with its exit status')
    .argument('<name>', 'the check')
    .argument('<command...>', 'the command and its arguments, after --')
    .addHelpText('after', '\nExamples:\n  dts run nightly-backup -- /usr/local/bin/backup --full\n\nThe exit status is the command\'s; if dts cannot be reached, the command runs anyway.')
    .action(function (this: Command, name: string, command: string[]) {
      return run(async (ctx) => (await import('./commands/run')).runCommand(ctx, name, command), this);
    });

  // As with channels, the parent's --json takes the flag wherever it is written: subcommands
  // read it with the globals.
  const keys = sub('keys', 'API keys for the HTTP API and the console page: create, revoke, list');
  const keySub = (name: string, description: string): Command =>
    keys.command(name).description(description).option('--json', 'machine-readable output').exitOverride().configureOutput({ writeOut: io.out, writeErr: io.err });
  keySub('create', 'make a key; it is printed once (only its hash is stored)')
    .addOption(new Option('--role <role>', 'read: every GET; write: also create and end silences').choices(['read', 'write']).makeOptionMandatory())
    .option('--name <text>', 'who or what it is for (default: $USER)')
    .action(function (this: Command) {
      return run(async (ctx) => (await import('./commands/keys')).keysCreateCommand(ctx, this.optsWithGlobals<{ role: string; name?: string; json?: boolean }>()), this);
    });
  keySub('revoke', 'refuse a key from now on').argument('<id>', 'the key id (or the whole key)')
    .action(function (this: Command, id: string) {
      return run(async (ctx) => (await import('./commands/keys')).keysRevokeCommand(ctx, id, this.optsWithGlobals<{ json?: boolean }>()), this);
    });
  keySub('list', 'every key: id, role, name, status (never the secret)')
    .action(function (this: Command) {
      return run(async (ctx) => (await import('./commands/keys')).keysListCommand(ctx, this.optsWithGlobals<{ json?: boolean }>()), this);
    });

  const rules = sub('rules', 'alert on what the logs say: error bursts, silent apps, matching lines (docs/RULES.md)')
    .action(function (this: Command) {
      return run(async (ctx) => (await import('./commands/rules')).rulesListCommand(ctx, this.opts<{ json?: boolean }>()), this);
    });
  const ruleSub = (name: string, description: string): Command =>
    rules.command(name).description(description).option('--json', 'machine-readable output').exitOverride().configureOutput({ writeOut: io.out, writeErr: io.err });
  ruleSub('add', 'add a rule: one of --count N --within W, --silent P, or --match REGEX')
    .argument('<name>', 'the rule\'s name: letters, digits, . _ -')
    .option('--app <app>', 'the app whose records it watches (required)')
    .option('--host <host>', 'only records from this host')
    .option('--field <key=value>', 'only records whose fields carry this value (repeatable)', (v: string, all: string[] = []) => [...all, v])
    .option('--level <level>', 'count records at or above: debug, info, warning, error, critical')
    .option('--count <n>', 'at least this many records in the window (match: default 1)')
    .option('--within <duration>', 'the window, 1m to 7d in whole minutes (match: default 5m)')
    .option('--silent <duration>', 'fire when the scope logs nothing for this long (10s to 30d)')
    .option('--match <regex>', 'an RE2 pattern, on the first 8 KB of each record\'s text')
    .option('--severity <severity>', 'info, warning (default) or critical')
    .addHelpText('after', `
Examples:
  dts rules add payments-errors --app payments --level error --count 20 --within 5m --severity critical
  dts rules add backup-silent --app backup --silent 26h
  dts rules add oom --app web --match 'OutOfMemoryError'`)
    .action(function (this: Command, name: string) {
      return run(async (ctx) => (await import('./commands/rules')).rulesAddCommand(ctx, name, this.optsWithGlobals<RuleAddOptions>()), this);
    });
  ruleSub('list', 'every rule, its condition and whether it is firing')
    .action(function (this: Command) {
      return run(async (ctx) => (await import('./commands/rules')).rulesListCommand(ctx, this.optsWithGlobals<{ json?: boolean }>()), this);
    });
  ruleSub('show', 'one rule').argument('<name>', 'the rule')
    .action(function (this: Command, name: string) {
      return run(async (ctx) => (await import('./commands/rules')).rulesShowCommand(ctx, name, this.optsWithGlobals<{ json?: boolean }>()), this);
    });
  ruleSub('remove', 'remove a rule').argument('<name>', 'the rule')
    .action(function (this: Command, name: string) {
      return run(async (ctx) => (await import('./commands/rules')).rulesRemoveCommand(ctx, name, this.optsWithGlobals<{ json?: boolean }>()), this);
    });

  return program;
}

/** Run the CLI; resolves to the exit code. Never throws. */
export async function main(argv: readonly string[], rawIo: Io = processIo): Promise<number> {
  const io = terminalSafe(rawIo);
  let code: number = EXIT.OK;
  const run = async (action: (ctx: Context) => Promise<number>, cmd: Command): Promise<void> => {
    const ctx = makeContext(cmd.optsWithGlobals<GlobalOptions>(), io);
    try {
      code = await action(ctx);
    } finally {
      ctx.close();
    }
  };
  const program = buildProgram(io, run);
  try {
    if (argv.length === 0) {
      program.outputHelp();
      return EXIT.USAGE;
    }
    await program.parseAsync([...argv], { from: 'user' });
    return code;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (['commander.helpDisplayed', 'commander.version', 'commander.help'].includes(e.code)) return EXIT.OK;
      return EXIT.USAGE;
    }
    const { message, exitCode } = explain(e);
    io.err(`dts: ${message}\n`);
    if (io.env.DTS_DEBUG) io.err(`${(e as Error).stack ?? ''}\n`);
    return exitCode;
  }
}
