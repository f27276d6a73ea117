/**
 * `dts doctor [--stack NAME]`: the checks an operator makes after a deploy (docs/DEPLOY.md).
 * Every piece the template makes is looked up by the name its stack output (or, locally, its
 * stage) gives it; the schedules and alarms are read where the backend has them; and a synthetic
 * host's beat makes the whole trip through the heartbeats queue and ingest to the hosts table,
 * then leaves with a goodbye so that nobody is alerted. Each check is ✓, ✗ with what to do, or
 * skipped with the reason; any ✗ exits 1.
 */
import { randomBytes } from 'node:crypto';
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { GetTopicAttributesCommand } from '@aws-sdk/client-sns';
import { GetQueueAttributesCommand, GetQueueUrlCommand } from '@aws-sdk/client-sqs';
import { createProducer } from '../../producer/producer';
import { RESOURCES, type ResourceKey } from '../../config/resources';
import { optionalClient, type Backend, type ClientConfig } from '../../producer/locate';
import type { Clients } from '../../adapters/clients';
import { fixedNames, hostStore, notificationStore } from '../../compose';
import type { Context } from '../context';
import { VERSION } from '../version';

export interface DoctorOptions {
  readonly json?: boolean;
  readonly stack?: string;
  /** Seconds the synthetic host's beat and goodbye each have to arrive. */
  readonly timeout?: number;
}

export interface Check {
  readonly name: string;
  readonly status: 'pass' | 'fail' | 'skip';
  readonly detail: string;
  /** What to do about a failure. */
  readonly fix?: string;
}

type Kind = 'table' | 'queue' | 'topic';
interface Piece {
  readonly kind: Kind;
  readonly label: string;
  /** The stack output that names it. */
  readonly output: string;
  /** dts-<stage>-<suffix>. */
  readonly suffix: string;
  readonly dlq?: boolean;
}

/** What serverless/ makes: every table, queue and topic, with the output that names it. */
export const PIECES: readonly Piece[] = [
  { kind: 'table', label: 'hosts table', output: 'HostsTableName', suffix: 'hosts' },
  { kind: 'table', label: 'logs table', output: 'LogsTableName', suffix: 'logs' },
  { kind: 'table', label: 'notifications table', output: 'NotificationsTableName', suffix: 'notifications' },
  { kind: 'table', label: 'stats table', output: 'StatsTableName', suffix: 'stats' },
  { kind: 'table', label: 'silences table', output: 'SilencesTableName', suffix: 'silences' },
  { kind: 'table', label: 'reports table', output: 'ReportsTableName', suffix: 'reports' },
  { kind: 'table', label: 'channels table', output: 'ChannelsTableName', suffix: 'channels' },
  { kind: 'table', label: 'API keys table', output: 'ApiKeysTableName', suffix: 'api-keys' },
  { kind: 'table', label: 'checks table', output: 'ChecksTableName', suffix: 'checks' },
  { kind: 'table', label: 'status pages table', output: 'StatusTableName', suffix: 'status' },
  { kind: 'queue', label: 'heartbeats queue', output: 'HeartbeatsQueueUrl', suffix: 'heartbeats' },
  { kind: 'queue', label: 'heartbeats DLQ', output: 'HeartbeatsDLQUrl', suffix: 'heartbeats-dlq', dlq: true },
  { kind: 'queue', label: 'logs queue', output: 'LogsQueueUrl', suffix: 'logs' },
  { kind: 'queue', label: 'logs DLQ', output: 'LogsDLQUrl', suffix: 'logs-dlq', dlq: true },
  { kind: 'queue', label: 'notify queue', output: 'NotifyQueueUrl', suffix: 'notify' },
  { kind: 'queue', label: 'notify DLQ', output: 'NotifyDLQUrl', suffix: 'notify-dlq', dlq: true },
  { kind: 'queue', label: 'scheduled-failures DLQ', output: 'ScheduledFailuresDLQUrl', suffix: 'scheduled-failures', dlq: true },
  { kind: 'topic', label: 'alerts topic', output: 'AlertsTopicArn', suffix: 'alerts' },
  { kind: 'topic', label: 'ops topic', output: 'OpsTopicArn', suffix: 'ops' },
];
/** Outputs that name no table, queue or topic, but that a deploy must still have made. */
const OTHER_OUTPUTS = ['HostSendPolicyArn', 'HostStackReadPolicyArn'];
const REDEPLOY = 'deploy again (`npx serverless deploy --stage STAGE`): CloudFormation puts back what its stack should have';

export async function doctorCommand(ctx: Context, o: DoctorOptions): Promise<number> {
  const checks: Check[] = [];
  const stack = o.stack ?? nonEmpty(ctx.io.env.DTS_STACK);
  const { backend, clients } = await ctx.clients(Object.keys(RESOURCES) as ResourceKey[], { partial: true });
  const report = (c: Check): void => {
    checks.push(c);
    if (!o.json) ctx.io.out(line(c));
  };

  // ---- 1. the names: stack outputs, or the local cloud's stage
  const names = new Map<Piece, string>();
  let stackResources: { type: string; id: string }[] | undefined;
  if (stack) {
    const { outputs, resources } = await readStack(stack, backend.client);
    stackResources = resources;
    for (const p of PIECES) if (outputs[p.output]) names.set(p, outputs[p.output] as string);
    const missing = [...PIECES.map((p) => p.output), ...OTHER_OUTPUTS].filter((k) => !outputs[k]);
    report(missing.length === 0
      ? { name: 'outputs', status: 'pass', detail: `stack ${stack}: all ${PIECES.length + OTHER_OUTPUTS.length} outputs resolve` }
      : { name: 'outputs', status: 'fail', detail: `stack ${stack} lacks ${missing.join(', ')}`, fix: REDEPLOY });
  } else {
    const prefix = stagePrefix(backend);
    for (const p of PIECES) if (prefix) names.set(p, `${prefix}-${p.suffix}`);
    report(prefix
      ? { name: 'outputs', status: 'pass', detail: `${backend.local ? `the local cloud at ${backend.local}` : 'the configured names'}: stage ${prefix.replace(/^dts-/, '')}, names dts-${prefix.replace(/^dts-/, '')}-*` }
      : { name: 'outputs', status: 'fail', detail: 'no dts resource found to take the stage from', fix: 'pass --stack NAME for a deployed stack, or start the local cloud (`npm start`)' });
  }

  // ---- 2. every table, queue and topic exists; the DLQs are empty
  const urls = new Map<Piece, string>();
  for (const p of PIECES) {
    const name = names.get(p);
    if (name === undefined) {
      report({ name: p.label, status: 'fail', detail: 'not named by any output', fix: REDEPLOY });
      continue;
    }
    const found = await exists(p, name, clients);
    if (typeof found === 'string') report({ name: p.label, status: 'fail', detail: found, fix: REDEPLOY });
    else {
      if (found.url) urls.set(p, found.url);
      report({ name: p.label, status: 'pass', detail: `${displayName(p, name)} ${found.detail}` });
    }
  }
  for (const p of PIECES.filter((x) => x.dlq)) {
    const url = urls.get(p);
    if (url === undefined) continue;
    const waiting = await depth(clients, url);
    report(waiting === 0
      ? { name: `${p.label} empty`, status: 'pass', detail: 'no message set aside' }
      : {
        name: `${p.label} empty`, status: 'fail', detail: `${waiting} message(s) set aside after failing ${p.suffix === 'scheduled-failures' ? 'a scheduled run' : 'their consumer'}`,
        fix: `read them (aws sqs receive-message --queue-url ${url} --attribute-names All), mend the cause in the function's log, then redrive them (aws sqs start-message-move-task --source-arn <the DLQ's ARN>) or purge them`,
      });
  }

  // ---- 3. the schedules, and 4. the alarms
  for (const c of await scheduleChecks(backend, stackResources)) report(c);
  for (const c of await alarmChecks(backend, stackResources)) report(c);

  // ---- 5. a synthetic host's beat makes the round trip, then it leaves
  const hostsTable = [...names].find(([p]) => p.suffix === 'hosts')?.[1];
  const notificationsTable = [...names].find(([p]) => p.suffix === 'notifications')?.[1];
  const heartbeatsUrl = [...urls].find(([p]) => p.suffix === 'heartbeats')?.[1];
  if (hostsTable === undefined || heartbeatsUrl === undefined || checks.some((c) => c.status === 'fail' && /^(hosts table|heartbeats queue)$/.test(c.name))) {
    report({ name: 'round trip', status: 'fail', detail: 'no heartbeats queue or hosts table to send through', fix: 'mend the checks above first' });
  } else {
    for (const c of await roundTrip(ctx, clients, heartbeatsUrl, hostsTable, notificationsTable, (o.timeout ?? 60) * 1000)) report(c);
  }

  const failed = checks.filter((c) => c.status === 'fail').length;
  if (o.json) ctx.io.out(JSON.stringify({ ok: failed === 0, checks }, null, 2) + '\n');
  else ctx.io.out(failed === 0 ? 'all checks pass\n' : `${failed} check(s) failed\n`);
  return failed === 0 ? 0 : 1;
}

function line(c: Check): string {
  const mark = c.status === 'pass' ? '✓' : c.status === 'fail' ? '✗' : '–';
  const skipped = c.status === 'skip' ? 'skipped: ' : '';
  return `${mark} ${c.name}: ${skipped}${c.detail}\n${c.fix ? `    → ${c.fix}\n` : ''}`;
}

function nonEmpty(s: string | undefined): string | undefined {
  return s === undefined || s.trim() === '' ? undefined : s;
}

/** dts-<stage>, from any name the backend found (locally, or through DTS_* variables). */
function stagePrefix(backend: Backend): string | undefined {
  for (const key of Object.keys(RESOURCES) as ResourceKey[]) {
    const value = backend.resources[key];
    if (!value) continue;
    const last = value.split(/[/:]/).pop() ?? '';
    const suffix = `-${RESOURCES[key].suffix}`;
    if (last.endsWith(suffix)) return last.slice(0, -suffix.length);
  }
  return undefined;
}

const displayName = (p: Piece, name: string): string => (p.kind === 'table' ? name : name.split(/[/:]/).pop() ?? name);

async function exists(p: Piece, name: string, clients: Clients): Promise<{ url?: string; detail: string } | string> {
  try {
    switch (p.kind) {
      case 'table': {
        const out = await clients.ddb.send(new DescribeTableCommand({ TableName: name }));
        const status = out.Table?.TableStatus ?? 'UNKNOWN';
        return status === 'ACTIVE' ? { detail: 'exists (ACTIVE)' } : `table ${name} is ${status}, not ACTIVE`;
      }
      case 'queue': {
        const url = name.includes('/') ? name : (await clients.sqs.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl;
        if (!url) return `queue ${name} does not exist`;
        await clients.sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }));
        return { url, detail: 'exists' };
      }
      case 'topic': {
        const arn = name.startsWith('arn:') ? name : await topicArn(clients, name);
        if (!arn) return `topic ${name} does not exist`;
        await clients.sns.send(new GetTopicAttributesCommand({ TopicArn: arn }));
        return { detail: 'exists' };
      }
    }
  } catch (e) {
    const err = e as Error;
    if (/ResourceNotFound|NonExistentQueue|QueueDoesNotExist|NotFound/.test(err.name)) return `${p.kind} ${displayName(p, name)} does not exist`;
    return `${p.kind} ${displayName(p, name)}: ${err.name}: ${err.message}`;
  }
}

async function topicArn(clients: Clients, name: string): Promise<string | undefined> {
  const { ListTopicsCommand } = await import('@aws-sdk/client-sns');
  let token: string | undefined;
  do {
    const out = await clients.sns.send(new ListTopicsCommand({ NextToken: token }));
    const arn = out.Topics?.find((t) => t.TopicArn?.endsWith(`:${name}`))?.TopicArn;
    if (arn) return arn;
    token = out.NextToken;
  } while (token);
  return undefined;
}

async function depth(clients: Clients, url: string): Promise<number> {
  const out = await clients.sqs.send(new GetQueueAttributesCommand({
    QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'],
  }));
  const a = out.Attributes ?? {};
  return Number(a.ApproximateNumberOfMessages ?? 0) + Number(a.ApproximateNumberOfMessagesNotVisible ?? 0) + Number(a.ApproximateNumberOfMessagesDelayed ?? 0);
}

/** The stack's outputs and its resources' types and physical ids (the rules' and alarms' names). */
async function readStack(stack: string, client: ClientConfig): Promise<{ outputs: Record<string, string>; resources: { type: string; id: string }[] }> {
  const { CloudFormationClient, DescribeStacksCommand, ListStackResourcesCommand } = await optionalClient(
    '@aws-sdk/client-cloudformation', () => import('@aws-sdk/client-cloudformation'), 'dts doctor --stack');
  const cfn = new CloudFormationClient({ ...client, maxAttempts: 3 });
  try {
    const described = await cfn.send(new DescribeStacksCommand({ StackName: stack }));
    const outputs: Record<string, string> = {};
    for (const o of described.Stacks?.[0]?.Outputs ?? []) if (o.OutputKey && o.OutputValue) outputs[o.OutputKey] = o.OutputValue;
    const resources: { type: string; id: string }[] = [];
    let token: string | undefined;
    do {
      const page = await cfn.send(new ListStackResourcesCommand({ StackName: stack, NextToken: token }));
      for (const r of page.StackResourceSummaries ?? []) if (r.ResourceType && r.PhysicalResourceId) resources.push({ type: r.ResourceType, id: r.PhysicalResourceId });
      token = page.NextToken;
    } while (token);
    return { outputs, resources };
  } finally {
    cfn.destroy();
  }
}

async function scheduleChecks(backend: Backend, stackResources: { type: string; id: string }[] | undefined): Promise<Check[]> {
  if (backend.local) {
    const res = await fetch(`${backend.local}/_dts/schedules`).catch((e: Error) => e);
    if (res instanceof Error || !res.ok) {
      return [{ name: 'schedules', status: 'fail', detail: `the local cloud did not answer GET /_dts/schedules (${res instanceof Error ? res.message : res.status})`, fix: 'restart it (`npm start`)' }];
    }
    const { schedules } = (await res.json()) as { schedules: { rule: string; functions: string[]; schedule: string; state: string; lastError?: string }[] };
    if (schedules.length === 0) return [{ name: 'schedules', status: 'fail', detail: 'the local cloud runs no schedule', fix: 'restart it without a --template that lacks them' }];
    return schedules.map((s) => (s.state === 'running'
      ? { name: `schedule ${s.functions.join(', ')}`, status: 'pass', detail: `${s.schedule}, running` }
      : { name: `schedule ${s.functions.join(', ')}`, status: 'fail', detail: `${s.schedule}, ${s.state}${s.lastError ? ` (last error: ${s.lastError})` : ''}`, fix: 'read the function\'s log in `npm start`\'s output' }));
  }
  if (!stackResources) return [{ name: 'schedules', status: 'skip', detail: 'the rules are found through the stack: pass --stack NAME' }];
  const rules = stackResources.filter((r) => r.type === 'AWS::Events::Rule');
  if (rules.length === 0) return [{ name: 'schedules', status: 'fail', detail: 'the stack has no EventBridge rule', fix: REDEPLOY }];
  const { EventBridgeClient, DescribeRuleCommand } = await optionalClient('@aws-sdk/client-eventbridge', () => import('@aws-sdk/client-eventbridge'), 'dts doctor\'s schedule check');
  const events = new EventBridgeClient({ ...backend.client, maxAttempts: 3 });
  try {
    return await Promise.all(rules.map(async (r): Promise<Check> => {
      // A rule's physical id is `name` or `bus|name`.
      const name = r.id.split('|').pop() ?? r.id;
      try {
        const rule = await events.send(new DescribeRuleCommand({ Name: name }));
        return rule.State === 'ENABLED'
          ? { name: `schedule ${name}`, status: 'pass', detail: `${rule.ScheduleExpression ?? ''}, enabled` }
          : { name: `schedule ${name}`, status: 'fail', detail: `${rule.State ?? 'unknown state'}`, fix: `aws events enable-rule --name ${name}` };
      } catch (e) {
        return { name: `schedule ${name}`, status: 'fail', detail: `${(e as Error).name}: ${(e as Error).message}`, fix: REDEPLOY };
      }
    }));
  } finally {
    events.destroy();
  }
}

async function alarmChecks(backend: Backend, stackResources: { type: string; id: string }[] | undefined): Promise<Check[]> {
  if (backend.local) return [{ name: 'alarms', status: 'skip', detail: 'not emulated: the local cloud has no CloudWatch, so no alarm exists to check' }];
  if (!stackResources) return [{ name: 'alarms', status: 'skip', detail: 'the alarms are found through the stack: pass --stack NAME' }];
  const names = stackResources.filter((r) => r.type === 'AWS::CloudWatch::Alarm').map((r) => r.id);
  if (names.length === 0) return [{ name: 'alarms', status: 'fail', detail: 'the stack has no alarm', fix: REDEPLOY }];
  const { CloudWatchClient, DescribeAlarmsCommand } = await optionalClient('@aws-sdk/client-cloudwatch', () => import('@aws-sdk/client-cloudwatch'), 'dts doctor\'s alarm check');
  const cw = new CloudWatchClient({ ...backend.client, maxAttempts: 3 });
  try {
    const found = new Map<string, { state: string; reason: string; description: string }>();
    for (let i = 0; i < names.length; i += 100) {
      const out = await cw.send(new DescribeAlarmsCommand({ AlarmNames: names.slice(i, i + 100), MaxRecords: 100 }));
      for (const a of out.MetricAlarms ?? []) if (a.AlarmName) found.set(a.AlarmName, { state: a.StateValue ?? 'UNKNOWN', reason: a.StateReason ?? '', description: a.AlarmDescription ?? '' });
    }
    return names.map((name): Check => {
      const a = found.get(name);
      if (!a) return { name: `alarm ${name}`, status: 'fail', detail: 'does not exist', fix: REDEPLOY };
      if (a.state === 'ALARM') return { name: `alarm ${name}`, status: 'fail', detail: `in ALARM: ${a.reason}`, fix: a.description || 'see docs/SEMANTICS.md, "Watching the watcher"' };
      return { name: `alarm ${name}`, status: 'pass', detail: a.state === 'OK' ? 'OK' : `${a.state} (no data yet is normal after a deploy)` };
    });
  } finally {
    cw.destroy();
  }
}

async function waitFor<T>(timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T | undefined> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const got = await probe();
    if (got !== undefined || Date.now() >= until) return got;
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function roundTrip(ctx: Context, clients: Clients, heartbeatsUrl: string, hostsTable: string, notificationsTable: string | undefined, timeoutMs: number): Promise<Check[]> {
  const hostname = `dts-doctor-${randomBytes(4).toString('hex')}`;
  // The names doctor found (stack outputs or the stage), which may differ from what the CLI would locate.
  const root = { config: ctx.config, clients, names: fixedNames({ hostsTable, ...(notificationsTable ? { notificationsTable } : {}) }) };
  const hosts = hostStore(root);
  const producer = createProducer({
    sqs: clients.sqs, heartbeatsQueueUrl: heartbeatsUrl, hostname, interval: 60, flushOnExit: false,
    labels: { 'dts-doctor': 'synthetic' }, agent: { name: 'dts-doctor', version: VERSION }, warn: () => undefined,
  });
  const checks: Check[] = [];
  const started = Date.now();
  try {
    const sent = await producer.heartbeat();
    if (!sent.ok) return [{ name: 'round trip', status: 'fail', detail: `the beat was not sent: ${sent.error.message}`, fix: 'check the credentials\' sqs:SendMessage on the heartbeats queue' }];
    const arrived = await waitFor(timeoutMs, async () => hosts.get(hostname));
    if (!arrived) {
      return [{
        name: 'round trip', status: 'fail', detail: `a beat from ${hostname} did not reach the hosts table within ${timeoutMs / 1000} s`,
        fix: 'ingestHeartbeats is not consuming the heartbeats queue: read its log, and check its event source mapping and the heartbeats DLQ',
      }];
    }
    checks.push({ name: 'round trip', status: 'pass', detail: `${hostname}'s beat reached the hosts table in ${((Date.now() - started) / 1000).toFixed(1)} s` });
    const bye = await producer.heartbeat({ goodbye: true });
    const left = bye.ok ? await waitFor(timeoutMs, async () => ((await hosts.get(hostname))?.state === 'left' ? true : undefined)) : undefined;
    const alerts = notificationsTable
      ? (await notificationStore(root).byHost(hostname, started - 60_000, Date.now() + 60_000)).filter((n) => n.severity !== 'info')
      : [];
    if (!left) checks.push({ name: 'goodbye', status: 'fail', detail: `${hostname} did not leave within ${timeoutMs / 1000} s of its goodbye`, fix: 'read ingestHeartbeats\' log' });
    else if (alerts.length > 0) checks.push({ name: 'goodbye', status: 'fail', detail: `${hostname} left, but raised ${alerts.map((a) => a.kind).join(', ')}`, fix: 'a goodbye must not alert: see docs/SEMANTICS.md on leaving' });
    else checks.push({ name: 'goodbye', status: 'pass', detail: `${hostname} left with its goodbye, and raised no alert` });
    return checks;
  } finally {
    await producer.close({ timeoutMs: 1000 });
    // The synthetic host is forgotten, so that the fleet lists only real hosts.
    await hosts.remove(hostname).catch(() => false);
  }
}
