import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_FLEET } from '../../tools/cost/model';
import { evaluateCondition } from '../../tools/local/template/intrinsics';
import { passMetrics } from '../../lib/app/diagnose/metrics';
import { DEFAULT_RESERVE_MS } from '../../lib/app/ingest/logs';
import { BATCH_GET_LIMIT, UNITS_IN_FLIGHT } from '../../lib/adapters/dynamodb/logs';
import { MAX_BATCH_RECORDS } from '../../lib/wire/validate';
import { PIECES } from '../../lib/cli/commands/doctor';
import { logicalIdOf, packagedTemplate, referencedIds, resourcesOfType, type CfnResource, type CfnTemplate } from '../../tools/harness/template';

/**
 * What the packaged CloudFormation promises: triggers, redrive, keys, TTL, least privilege and
 * outputs. It is read from `serverless package --stage test`, offline, exactly as it would deploy.
 */

let template: CfnTemplate;
beforeAll(async () => {
  template = await packagedTemplate('test');
}, 180_000);

const props = (r: CfnResource | undefined): Record<string, unknown> => r?.Properties ?? {};
const resource = (id: string | undefined): CfnResource => {
  const r = id === undefined ? undefined : template.Resources[id];
  if (!r) throw new Error(`no resource ${id} in the template`);
  return r;
};
/** The one element of a list that must hold exactly one. */
const only = <T>(list: T[], what: string): T => {
  expect(list, what).toHaveLength(1);
  const [one] = list;
  if (one === undefined) throw new Error(`no ${what}`);
  return one;
};
/** The logical id of the function whose handler is `functions/<file>.handler`. */
const functionId = (file: string): string => {
  const found = resourcesOfType(template, 'AWS::Lambda::Function').filter(([, r]) => props(r).Handler === `functions/${file}.handler`);
  return only(found, `function with handler functions/${file}.handler`)[0];
};
const FUNCTIONS = {
  ingestHeartbeats: 'ingest-heartbeats', ingestLogs: 'ingest-logs', diagnose: 'diagnose', report: 'report', notify: 'notify', api: 'api',
  diagnoseWorker: 'diagnose-worker',
} as const;
/** The queues that functions consume (each with its DLQ). */
const SOURCE_QUEUES = ['HeartbeatsQueue', 'LogsQueue', 'NotifyQueue'];
const asArray = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

interface Statement {
  readonly where: string;
  readonly Effect?: string;
  readonly Action?: string | string[];
  readonly NotAction?: unknown;
  readonly Resource?: unknown;
  readonly NotResource?: unknown;
  readonly Principal?: unknown;
  readonly Condition?: Record<string, Record<string, unknown>>;
}

/** Every statement of every policy document anywhere in the template (roles, bucket, queue and topic policies). */
function allStatements(): Statement[] {
  const out: Statement[] = [];
  const walk = (value: unknown, where: string): void => {
    if (Array.isArray(value)) value.forEach((v, i) => walk(v, `${where}[${i}]`));
    else if (value !== null && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) {
        if (k === 'Statement') for (const [i, s] of asArray(v as object).entries()) out.push({ ...(s as object), where: `${where}.Statement[${i}]` });
        else walk(v, `${where}.${k}`);
      }
    }
  };
  walk(template.Resources, 'Resources');
  return out;
}

/** How CloudFormation would evaluate the template's conditions with the default params, at `stage`. */
function conditionContext(stage?: string) {
  const conditions = stage === undefined ? template.Conditions ?? {} : JSON.parse(JSON.stringify(template.Conditions ?? {}).replaceAll('"test"', JSON.stringify(stage))) as Record<string, unknown>;
  return { region: 'us-east-1', stackName: 'dts-test', parameters: {}, conditions, identityOf: () => undefined };
}

/** The on-failure destination of a function's asynchronous (scheduled) invocations, by function id. */
function onFailureOf(fnId: string): { queue: string | undefined; retries: unknown; maxAgeSeconds?: unknown } | undefined {
  const config = resourcesOfType(template, 'AWS::Lambda::EventInvokeConfig').find(([, c]) => logicalIdOf(props(c).FunctionName) === fnId);
  if (!config) return undefined;
  const p = props(config[1]) as { DestinationConfig?: { OnFailure?: { Destination?: unknown } }; MaximumRetryAttempts?: unknown; MaximumEventAgeInSeconds?: unknown };
  return {
    queue: logicalIdOf(p.DestinationConfig?.OnFailure?.Destination), retries: p.MaximumRetryAttempts,
    ...(p.MaximumEventAgeInSeconds === undefined ? {} : { maxAgeSeconds: p.MaximumEventAgeInSeconds }),
  };
}

/**
 * Logical ids of the dead-letter queues: those some queue's RedrivePolicy names, and those that
 * take a function's failed scheduled invocations.
 */
function deadLetterQueues(): Set<string> {
  const dlqs = new Set<string>();
  for (const [, c] of resourcesOfType(template, 'AWS::Lambda::EventInvokeConfig')) {
    const target = logicalIdOf((props(c).DestinationConfig as { OnFailure?: { Destination?: unknown } } | undefined)?.OnFailure?.Destination);
    if (target) dlqs.add(target);
  }
  for (const [, q] of resourcesOfType(template, 'AWS::SQS::Queue')) {
    const target = logicalIdOf((props(q).RedrivePolicy as { deadLetterTargetArn?: unknown } | undefined)?.deadLetterTargetArn);
    if (target) dlqs.add(target);
  }
  return dlqs;
}

describe('packaged template (serverless package --stage test)', () => {
  describe('triggers: each function has its own', () => {
    it('three SQS event source mappings, heartbeats → ingestHeartbeats, logs → ingestLogs and notify → notify, reporting batch item failures', () => {
      const mappings = resourcesOfType(template, 'AWS::Lambda::EventSourceMapping').map(([, m]) => ({
        queue: logicalIdOf(props(m).EventSourceArn),
        fn: logicalIdOf(props(m).FunctionName),
        responseTypes: props(m).FunctionResponseTypes,
        enabled: props(m).Enabled,
      }));
      expect(mappings).toHaveLength(3);
      expect(mappings).toEqual(expect.arrayContaining([
        { queue: 'HeartbeatsQueue', fn: functionId(FUNCTIONS.ingestHeartbeats), responseTypes: ['ReportBatchItemFailures'], enabled: true },
        { queue: 'LogsQueue', fn: functionId(FUNCTIONS.ingestLogs), responseTypes: ['ReportBatchItemFailures'], enabled: true },
        { queue: 'NotifyQueue', fn: functionId(FUNCTIONS.notify), responseTypes: ['ReportBatchItemFailures'], enabled: true },
      ]));
      for (const m of mappings) expect(resource(m.queue).Type).toBe('AWS::SQS::Queue');
    });

    it('an SQS batch above 10 has a batching window, as Lambda requires', () => {
      for (const [id, m] of resourcesOfType(template, 'AWS::Lambda::EventSourceMapping')) {
        const size = Number(props(m).BatchSize ?? 10);
        expect(size, id).toBeGreaterThanOrEqual(1);
        expect(size, id).toBeLessThanOrEqual(10_000);
        if (size > 10) expect(Number(props(m).MaximumBatchingWindowInSeconds ?? 0), id).toBeGreaterThanOrEqual(1);
      }
    });

    it.each([
      [FUNCTIONS.diagnose, 'rate(1 minute)'],
      [FUNCTIONS.report, 'cron(0 8 * * ? *)'],
    ])('an enabled EventBridge rule targets %s at %s, and may invoke it', (file, schedule) => {
      const rules = resourcesOfType(template, 'AWS::Events::Rule')
        .filter(([, r]) => (props(r).Targets as { Arn: unknown }[]).some((t) => logicalIdOf(t.Arn) === functionId(file)));
      const [ruleId, rule] = only(rules, `events rule of ${file}`);
      expect(props(rule).ScheduleExpression).toBe(schedule);
      expect(props(rule).State).toBe('ENABLED');
      const targets = props(rule).Targets as { Arn: unknown }[];
      expect(targets.map((t) => logicalIdOf(t.Arn))).toEqual([functionId(file)]);
      const permissions = resourcesOfType(template, 'AWS::Lambda::Permission').filter(([, p]) => logicalIdOf(props(p).SourceArn) === ruleId);
      const [, permission] = only(permissions, 'permission for the rule');
      expect(props(permission)).toMatchObject({ Action: 'lambda:InvokeFunction', Principal: 'events.amazonaws.com' });
      expect(logicalIdOf(props(permission).FunctionName)).toBe(functionId(file));
    });

    it('has exactly two schedules', () => {
      expect(resourcesOfType(template, 'AWS::Events::Rule')).toHaveLength(2);
    });

    it('has exactly the seven functions, and no trigger on anything else', () => {
      expect(resourcesOfType(template, 'AWS::Lambda::Function').map(([, f]) => props(f).Handler).sort()).toEqual([
        'functions/api.handler', 'functions/diagnose-worker.handler', 'functions/diagnose.handler', 'functions/ingest-heartbeats.handler', 'functions/ingest-logs.handler',
        'functions/notify.handler', 'functions/report.handler',
      ]);
    });
  });

  describe('queues', () => {
    it('has the three consumed queues, their three DLQs and the scheduled functions\' failure queue', () => {
      const queues = resourcesOfType(template, 'AWS::SQS::Queue').map(([id]) => id).sort();
      expect(queues).toHaveLength(7);
      expect([...deadLetterQueues()].sort()).toEqual(queues.filter((q) => !SOURCE_QUEUES.includes(q)));
    });

    it('every non-DLQ queue redrives to an existing DLQ after a bounded number of receives', () => {
      const dlqs = deadLetterQueues();
      const sources = resourcesOfType(template, 'AWS::SQS::Queue').filter(([id]) => !dlqs.has(id));
      expect(sources.map(([id]) => id).sort()).toEqual(SOURCE_QUEUES);
      for (const [id, q] of sources) {
        const policy = props(q).RedrivePolicy as { deadLetterTargetArn: unknown; maxReceiveCount: unknown };
        expect(policy, `${id} RedrivePolicy`).toBeDefined();
        const target = logicalIdOf(policy.deadLetterTargetArn);
        expect(target, id).not.toBe(id);
        expect(resource(target).Type).toBe('AWS::SQS::Queue');
        expect((policy.deadLetterTargetArn as Record<string, unknown>)['Fn::GetAtt']).toEqual([target, 'Arn']);
        expect(Number(policy.maxReceiveCount), id).toBeGreaterThanOrEqual(1);
        // A DLQ that forgets sooner than its source would lose what it is there to keep.
        expect(Number(props(resource(target)).MessageRetentionPeriod ?? 345_600)).toBeGreaterThanOrEqual(Number(props(q).MessageRetentionPeriod ?? 345_600));
      }
    });

    it('no DLQ redrives further (the chain ends)', () => {
      for (const id of deadLetterQueues()) expect(props(resource(id)).RedrivePolicy, id).toBeUndefined();
    });

    it('the logs batch arithmetic: the most records one invocation can receive fit in its time budget (docs/SEMANTICS.md)', () => {
      const fn = resource(functionId(FUNCTIONS.ingestLogs));
      const mapping = only(resourcesOfType(template, 'AWS::Lambda::EventSourceMapping')
        .filter(([, m]) => logicalIdOf(props(m).FunctionName) === functionId(FUNCTIONS.ingestLogs)), 'logs mapping')[1];
      const maxRecords = Number(props(mapping).BatchSize) * MAX_BATCH_RECORDS;
      // CPU: bench:cpu's figure on one bench core, scaled to Lambda's share (1,769 MB = 1 vCPU).
      const measured = JSON.parse(readFileSync(new URL('../../bench/measured.json', import.meta.url), 'utf8')) as { cpuMicrosPerLogRecord: number };
      const cpuMicros = measured.cpuMicrosPerLogRecord / (Number(props(fn).MemorySize) / 1769);
      // Waiting: a unit of 100 records is a BatchGetItem, then its writes at once; 8 units in
      // flight; DynamoDB's usual 10-30 ms a call, taken at 30.
      const ioMicros = (2 * 30_000) / (BATCH_GET_LIMIT * UNITS_IN_FLIGHT);
      const budgetMs = Number(props(fn).Timeout) * 1000 - DEFAULT_RESERVE_MS;
      const neededMs = (maxRecords * (cpuMicros + ioMicros)) / 1000;
      expect(neededMs, `${maxRecords} records × ${(cpuMicros + ioMicros).toFixed(0)} µs vs a ${budgetMs} ms budget`).toBeLessThan(budgetMs);
      // 16 full LogBatches (repro 8) are two invocations at most, each within its budget.
      expect(Math.ceil(16 / Number(props(mapping).BatchSize))).toBeLessThanOrEqual(2);
    });

    it('every consumed queue’s visibility timeout is at least 6× its consumer’s timeout', () => {
      const mappings = resourcesOfType(template, 'AWS::Lambda::EventSourceMapping');
      expect(mappings.length).toBeGreaterThan(0);
      for (const [, m] of mappings) {
        const queueId = logicalIdOf(props(m).EventSourceArn);
        const fn = resource(logicalIdOf(props(m).FunctionName));
        const timeout = Number(props(fn).Timeout ?? 6);
        const visibility = Number(props(resource(queueId)).VisibilityTimeout ?? 30);
        expect(visibility, `${queueId} visibility ${visibility}s vs function timeout ${timeout}s`).toBeGreaterThanOrEqual(6 * timeout);
      }
    });
  });

  describe('tables', () => {
    const table = (id: string) => props(resource(id)) as {
      KeySchema: { AttributeName: string; KeyType: string }[];
      AttributeDefinitions: { AttributeName: string; AttributeType: string }[];
      GlobalSecondaryIndexes?: { IndexName: string; KeySchema: { AttributeName: string; KeyType: string }[] }[];
      TimeToLiveSpecification?: { AttributeName: string; Enabled: boolean };
      BillingMode?: string;
    };
    const keys = (schema: { AttributeName: string; KeyType: string }[]) => Object.fromEntries(schema.map((k) => [k.KeyType, k.AttributeName]));

    it('has the nine tables', () => {
      expect(resourcesOfType(template, 'AWS::DynamoDB::Table').map(([id]) => id).sort()).toEqual([
        'ApiKeysTable', 'ChannelsTable', 'ChecksTable', 'HostsTable', 'LogsTable', 'NotificationsTable', 'ReportsTable', 'SilencesTable', 'StatsTable', 'StatusTable',
      ]);
    });

    it('checks: keyed by pk alone (KEY#<ping key hash> and NAME#<name>), no index, so a ping is one UpdateItem', () => {
      expect(keys(table('ChecksTable').KeySchema)).toEqual({ HASH: 'pk' });
      expect(table('ChecksTable').GlobalSecondaryIndexes ?? []).toEqual([]);
    });

    it('hosts: keyed by hostname alone', () => {
      expect(keys(table('HostsTable').KeySchema)).toEqual({ HASH: 'hostname' });
      expect(table('HostsTable').GlobalSecondaryIndexes ?? []).toEqual([]);
    });

    it('logs: pk/sk, with GSI byHost on hostPk/sk and the sparse GSI byError on errorPk/sk', () => {
      const t = table('LogsTable');
      expect(keys(t.KeySchema)).toEqual({ HASH: 'pk', RANGE: 'sk' });
      expect(t.GlobalSecondaryIndexes?.map((g) => [g.IndexName, keys(g.KeySchema)])).toEqual([
        ['byHost', { HASH: 'hostPk', RANGE: 'sk' }], ['byError', { HASH: 'errorPk', RANGE: 'sk' }],
      ]);
    });

    it('notifications: hostname/sk, with GSI byDay on day/sk', () => {
      const t = table('NotificationsTable');
      expect(keys(t.KeySchema)).toEqual({ HASH: 'hostname', RANGE: 'sk' });
      expect(t.GlobalSecondaryIndexes?.map((g) => [g.IndexName, keys(g.KeySchema)])).toEqual([['byDay', { HASH: 'day', RANGE: 'sk' }]]);
    });

    it('stats: pk/sk, with the sparse GSI byDay on countDay/pk listing a day\'s apps', () => {
      const t = table('StatsTable');
      expect(keys(t.KeySchema)).toEqual({ HASH: 'pk', RANGE: 'sk' });
      expect(t.GlobalSecondaryIndexes?.map((g) => [g.IndexName, keys(g.KeySchema)])).toEqual([['byDay', { HASH: 'countDay', RANGE: 'pk' }]]);
    });

    it.each(['SilencesTable', 'ReportsTable', 'StatusTable'])('%s: pk/sk', (id) => {
      expect(keys(table(id).KeySchema)).toEqual({ HASH: 'pk', RANGE: 'sk' });
    });

    it.each(['LogsTable', 'NotificationsTable', 'StatsTable', 'SilencesTable', 'ReportsTable', 'StatusTable'])('%s expires items by TTL on expiresAt', (id) => {
      expect(table(id).TimeToLiveSpecification).toEqual({ AttributeName: 'expiresAt', Enabled: true });
    });

    it('every table defines exactly the attributes its keys use, all strings (CloudFormation refuses extra ones)', () => {
      for (const [id] of resourcesOfType(template, 'AWS::DynamoDB::Table')) {
        const t = table(id);
        const used = new Set([...t.KeySchema, ...(t.GlobalSecondaryIndexes ?? []).flatMap((g) => g.KeySchema)].map((k) => k.AttributeName));
        expect(t.AttributeDefinitions.map((a) => a.AttributeName).sort(), id).toEqual([...used].sort());
        for (const a of t.AttributeDefinitions) expect(a.AttributeType, `${id}.${a.AttributeName}`).toBe('S');
      }
    });

    it('every table is pay-per-request by default', () => {
      for (const [id] of resourcesOfType(template, 'AWS::DynamoDB::Table')) expect(table(id).BillingMode, id).toBe('PAY_PER_REQUEST');
    });
  });

  describe('runtime', () => {
    it('every function runs nodejs22.x on arm64', () => {
      const fns = resourcesOfType(template, 'AWS::Lambda::Function');
      expect(fns).toHaveLength(Object.keys(FUNCTIONS).length);
      for (const [id, f] of fns) {
        expect(props(f).Runtime, id).toBe('nodejs22.x');
        expect(props(f).Architectures, id).toEqual(['arm64']);
      }
    });
  });

  describe('IAM: least privilege', () => {
    it('found the policy statements to check', () => {
      const roles = allStatements().filter((s) => s.where.includes('.Policies['));
      expect(roles.length).toBeGreaterThanOrEqual(15);
    });

    it('no Allow statement anywhere has a * in an Action, a NotAction, a NotResource or Resource "*"', () => {
      const offenders = allStatements()
        .filter((s) => s.Effect === 'Allow')
        .filter((s) => asArray(s.Action).some((a) => a.includes('*')) || s.NotAction !== undefined || s.NotResource !== undefined
          || asArray(s.Resource as unknown).some((r) => r === '*') || s.Principal === '*');
        expect(offenders.map((s) => s.where)).toEqual([]);
    });

    it('the only wildcard statements are Denies that refuse insecure transport (the deployment bucket’s)', () => {
      const wildcards = allStatements().filter((s) => asArray(s.Action).some((a) => a.includes('*')));
      for (const s of wildcards) {
        expect(s.Effect, s.where).toBe('Deny');
        expect(s.Condition?.Bool?.['aws:SecureTransport'], s.where).toBe(false);
      }
    });

    it('no role carries a managed policy (they grant on "*")', () => {
      for (const [id, role] of resourcesOfType(template, 'AWS::IAM::Role')) expect(props(role).ManagedPolicyArns ?? [], id).toEqual([]);
    });

    it('each function has a role of its own, assumable only by Lambda', () => {
      const roleOf = Object.values(FUNCTIONS).map((file) => {
        const role = logicalIdOf(props(resource(functionId(file))).Role);
        expect(resource(role).Type, file).toBe('AWS::IAM::Role');
        const trust = props(resource(role)).AssumeRolePolicyDocument as { Statement: Statement[] };
        expect(trust.Statement.map((s) => [s.Effect, s.Principal, s.Action])).toEqual([['Allow', { Service: 'lambda.amazonaws.com' }, 'sts:AssumeRole']]);
        return role;
      });
      expect(new Set(roleOf).size).toBe(Object.keys(FUNCTIONS).length);
      // The framework's shared default role is not generated.
      expect(template.Resources.IamRoleLambdaExecution).toBeUndefined();
    });

    it('each role reaches only its own function’s queues, tables, topic and log group', () => {
      const mappings = resourcesOfType(template, 'AWS::Lambda::EventSourceMapping');
      for (const file of Object.values(FUNCTIONS)) {
        const fnId = functionId(file);
        const fn = props(resource(fnId));
        const own = referencedIds((fn.Environment as { Variables?: unknown } | undefined)?.Variables);
        for (const [, m] of mappings) if (logicalIdOf(props(m).FunctionName) === fnId) {
          const queue = logicalIdOf(props(m).EventSourceArn);
          if (queue) own.add(queue);
        }
        const failures = onFailureOf(fnId)?.queue;
        if (failures) own.add(failures);
        const role = props(resource(logicalIdOf(fn.Role))) as { Policies: { PolicyDocument: { Statement: Statement[] } }[] };
        const statements = role.Policies.flatMap((p) => p.PolicyDocument.Statement);
        expect(statements.length, file).toBeGreaterThan(0);
        for (const s of statements) {
          for (const id of referencedIds(s.Resource)) expect(own, `${file} may reach ${id}`).toContain(id);
          if (asArray(s.Action).some((a) => a.startsWith('logs:'))) {
            expect(JSON.stringify(s.Resource), file).toContain(`log-group:/aws/lambda/${String(fn.FunctionName)}:`);
          }
        }
      }
    });
  });

  describe('diagnose fanned out (docs/SEMANTICS.md, "Diagnose fanned out")', () => {
    const envOf = (file: string) => (props(resource(functionId(file))).Environment as { Variables: Record<string, unknown> }).Variables;
    const statementsOf = (file: string) => (props(resource(logicalIdOf(props(resource(functionId(file))).Role))) as { Policies: { PolicyDocument: { Statement: Statement[] } }[] })
      .Policies.flatMap((p) => p.PolicyDocument.Statement);

    it('diagnose names its worker function, and fans out to none by default (diagnoseWorkers 1)', () => {
      const env = envOf(FUNCTIONS.diagnose);
      expect(logicalIdOf(env.DTS_DIAGNOSE_WORKER_FUNCTION)).toBe(functionId(FUNCTIONS.diagnoseWorker));
      expect(env.DTS_DIAGNOSE_WORKERS).toBe('1');
      expect(Number(env.DTS_DIAGNOSE_HOSTS_PER_WORKER)).toBeGreaterThan(0);
    });

    it('only diagnose may invoke the worker, and only heartbeat ingest diagnose (a pass for a new host); the worker has no trigger, so no retry or DLQ', () => {
      const invokes = allStatements().filter((st) => asArray(st.Action).some((a) => a.startsWith('lambda:')));
      const roleOf = (file: string) => logicalIdOf(props(resource(functionId(file))).Role);
      expect(invokes.map((st) => [st.where.split('.')[1], st.Action, logicalIdOf(st.Resource)])).toEqual(expect.arrayContaining([
        [roleOf(FUNCTIONS.diagnose), ['lambda:InvokeFunction'], functionId(FUNCTIONS.diagnoseWorker)],
        [roleOf(FUNCTIONS.ingestHeartbeats), ['lambda:InvokeFunction'], functionId(FUNCTIONS.diagnose)],
      ]));
      expect(invokes).toHaveLength(2);
      expect(envOf(FUNCTIONS.ingestHeartbeats).DTS_DIAGNOSE_FUNCTION).toEqual({ Ref: functionId(FUNCTIONS.diagnose) });
      const worker = functionId(FUNCTIONS.diagnoseWorker);
      expect(resourcesOfType(template, 'AWS::Lambda::EventSourceMapping').filter(([, m]) => logicalIdOf(props(m).FunctionName) === worker)).toEqual([]);
      expect(resourcesOfType(template, 'AWS::Lambda::Permission').filter(([, m]) => logicalIdOf(props(m).FunctionName) === worker)).toEqual([]);
    });

    it('the worker reaches hosts, notifications and the alerts topic only: not the queue, the monitor item, silences or other functions', () => {
      const reached = new Set(statementsOf(FUNCTIONS.diagnoseWorker).flatMap((st) => [...referencedIds(st.Resource)]));
      expect([...reached].sort()).toEqual(['AlertsTopic', 'HostsTable', 'NotificationsTable']);
      const actions = statementsOf(FUNCTIONS.diagnoseWorker).flatMap((st) => asArray(st.Action));
      expect(actions.filter((a) => !/^(logs|dynamodb|sns):/.test(a))).toEqual([]);
    });

    it('the worker judges with diagnose\'s rules, and both its phases end before diagnose times out', () => {
      const coordinator = envOf(FUNCTIONS.diagnose);
      const worker = envOf(FUNCTIONS.diagnoseWorker);
      for (const name of ['DTS_DEFAULT_INTERVAL', 'DTS_TOLERANCE', 'DTS_RETIRE_AFTER', 'DTS_SCAN_SEGMENTS', 'DTS_WATCH_SECONDS', 'DTS_FLAP_CHANGES', 'DTS_FLAP_WINDOW', 'DTS_SWEEP_GRACE_SECONDS']) {
        expect(worker[name], name).toEqual(coordinator[name]);
      }
      // Judge, then commit, one after the other, with 10 s for the self-check and the sums.
      const workerTimeout = Number(props(resource(functionId(FUNCTIONS.diagnoseWorker))).Timeout);
      expect(2 * workerTimeout + 10).toBeLessThanOrEqual(Number(props(resource(functionId(FUNCTIONS.diagnose))).Timeout));
    });

    it('a worker\'s failure raises an alarm on the ops topic', () => {
      const worker = functionId(FUNCTIONS.diagnoseWorker);
      const alarm = resourcesOfType(template, 'AWS::CloudWatch::Alarm').map(([, a]) => props(a))
        .filter((a) => a.MetricName === 'Errors' && logicalIdOf((a.Dimensions as { Value: unknown }[])[0]?.Value) === worker);
      expect(only(alarm, 'worker errors alarm')).toMatchObject({ Namespace: 'AWS/Lambda', Threshold: 0, AlarmActions: [{ Ref: 'OpsTopic' }] });
    });
  });

  describe('the hosts\' policies', () => {
    const statementsOf = (output: string): Statement[] => {
      const id = logicalIdOf(template.Outputs?.[output]?.Value);
      const r = resource(id);
      expect(r.Type).toBe('AWS::IAM::ManagedPolicy');
      return asArray((props(r).PolicyDocument as { Statement: Statement | Statement[] }).Statement);
    };

    it('HostSendPolicyArn allows sqs:SendMessage on the two queues and, with a KMS key, that key through SQS only', () => {
      const [s, kms, ...more] = statementsOf('HostSendPolicyArn');
      expect(more).toEqual([]);
      expect(s?.Effect).toBe('Allow');
      expect(asArray(s?.Action)).toEqual(['sqs:SendMessage']);
      expect([...referencedIds(s?.Resource)].sort()).toEqual(['HeartbeatsQueue', 'LogsQueue']);
      expect(JSON.stringify(s?.Resource)).not.toMatch(/DLQ/);
      // Without kmsKeyArn the second statement is AWS::NoValue; with it, the key, used by SQS only.
      const [condition, withKey, withoutKey] = (kms as unknown as { 'Fn::If': [string, Statement, unknown] })['Fn::If'];
      expect(condition).toBe('UseKms');
      expect(withoutKey).toEqual({ Ref: 'AWS::NoValue' });
      expect(asArray(withKey.Action).sort()).toEqual(['kms:Decrypt', 'kms:GenerateDataKey']);
      expect(JSON.stringify(withKey)).toMatch(/kms:ViaService.*sqs\./);
    });

    it('HostStackReadPolicyArn allows cloudformation:DescribeStacks on this stack only', () => {
      const [s, ...more] = statementsOf('HostStackReadPolicyArn');
      expect(more).toEqual([]);
      expect(asArray(s?.Action)).toEqual(['cloudformation:DescribeStacks']);
      expect(s?.Resource).toEqual({ Ref: 'AWS::StackId' });
    });
  });

  describe('stack outputs', () => {
    it.each([
      ['AWS::SQS::Queue', 'queue URL'],
      ['AWS::DynamoDB::Table', 'table name'],
      ['AWS::SNS::Topic', 'topic ARN'],
    ])('every %s has an output (Ref gives its %s)', (type) => {
      const outputs = Object.values(template.Outputs ?? {}).map((o) => logicalIdOf(o.Value));
      const ids = resourcesOfType(template, type).map(([id]) => id);
      expect(ids.length).toBeGreaterThan(0);
      for (const id of ids) expect(outputs, id).toContain(id);
    });

    it('names them as the local cloud and the CLI read them', () => {
      const named = Object.fromEntries(Object.entries(template.Outputs ?? {}).map(([k, o]) => [k, logicalIdOf(o.Value)]));
      expect(named).toMatchObject({
        HeartbeatsQueueUrl: 'HeartbeatsQueue', LogsQueueUrl: 'LogsQueue', HeartbeatsDLQUrl: 'HeartbeatsDLQ', LogsDLQUrl: 'LogsDLQ',
        HostsTableName: 'HostsTable', LogsTableName: 'LogsTable', NotificationsTableName: 'NotificationsTable', StatsTableName: 'StatsTable',
        AlertsTopicArn: 'AlertsTopic', SilencesTableName: 'SilencesTable', ReportsTableName: 'ReportsTable',
      });
      // `dts checks add --stack` starts a pass for a new check with the diagnose function this names.
      expect(template.Outputs?.DiagnoseFunctionName?.Value).toEqual({ Ref: functionId(FUNCTIONS.diagnose) });
      // HttpApiUrl is the framework's, a joined string rather than a resource.
      for (const k of Object.keys(named).filter((n) => /Url$|TableName$|TopicArn$/.test(n) && n !== 'HttpApiUrl')) {
        expect(template.Outputs?.[k]?.Value, k).toEqual({ Ref: named[k] });
      }
    });

    it('dts doctor probes every table, queue and topic, by the output that names it and by its name in a stage', () => {
      const types = [['AWS::DynamoDB::Table', 'table', 'TableName'], ['AWS::SQS::Queue', 'queue', 'QueueName'], ['AWS::SNS::Topic', 'topic', 'TopicName']] as const;
      const outputOf = new Map(Object.entries(template.Outputs ?? {}).map(([k, o]) => [logicalIdOf(o.Value), k]));
      const made = types.flatMap(([type, kind, name]) => resourcesOfType(template, type).map(([id, r]) => ({
        kind, output: outputOf.get(id), name: props(r)[name],
      })));
      const probed = PIECES.map((p) => ({ kind: p.kind, output: p.output, name: `dts-test-${p.suffix}` }));
      const byOutput = (a: { output?: string }, b: { output?: string }) => String(a.output).localeCompare(String(b.output));
      expect(probed.sort(byOutput)).toEqual(made.sort(byOutput));
    });
  });
  describe('watching the watcher: alarms on an ops topic of their own', () => {
    type Alarm = Record<string, unknown> & { id: string };
    const alarms = (): Alarm[] => resourcesOfType(template, 'AWS::CloudWatch::Alarm').map(([id, a]) => ({ ...props(a), id }));
    /** The alarms on `metric`, with the logical id of the resource named by their one dimension. */
    const alarmsOn = (namespace: string, metric: string) => alarms()
      .filter((a) => a.Namespace === namespace && a.MetricName === metric)
      .map((a): Alarm & { subject: string | undefined } => ({ ...a, subject: logicalIdOf((a.Dimensions as { Value: unknown }[])[0]?.Value) }));
    const alarmOn = (namespace: string, metric: string, subject: string) =>
      only(alarmsOn(namespace, metric).filter((a) => a.subject === subject), `${metric} alarm on ${subject}`);

    it('every alarm notifies the ops topic, which is not the alerts topic; an email subscribes with --param opsEmail', () => {
      expect(resource('OpsTopic').Type).toBe('AWS::SNS::Topic');
      expect(alarms().length).toBeGreaterThanOrEqual(15);
      // `npm run cost` prices exactly the alarms the template declares.
      expect(alarms().length).toBe(DEFAULT_FLEET.alarms);
      for (const a of alarms()) {
        expect(a.AlarmActions, a.id).toEqual([{ Ref: 'OpsTopic' }]);
        expect(a.OKActions, a.id).toEqual([{ Ref: 'OpsTopic' }]);
      }
      const sub = resource('OpsEmailSubscription');
      expect(sub.Condition).toBe('HasOpsEmail');
      expect(props(sub)).toMatchObject({ TopicArn: { Ref: 'OpsTopic' }, Protocol: 'email' });
      // Off by default: no email param, no subscription.
      expect(evaluateCondition('HasOpsEmail', conditionContext())).toBe(false);
    });

    it('diagnose: any error, and not running (no invocation in 5 minutes, missing data breaching)', () => {
      const diagnose = functionId(FUNCTIONS.diagnose);
      expect(alarmOn('AWS/Lambda', 'Errors', diagnose)).toMatchObject({ Statistic: 'Sum', ComparisonOperator: 'GreaterThanThreshold', Threshold: 0 });
      expect(alarmOn('AWS/Lambda', 'Invocations', diagnose)).toMatchObject({
        Statistic: 'Sum', Period: 300, EvaluationPeriods: 1, ComparisonOperator: 'LessThanThreshold', Threshold: 1, TreatMissingData: 'breaching',
      });
    });

    it('diagnose: a pass nearing its timeout (the pass\'s own metric: the invocation also watches deadlines until the next pass)', () => {
      const diagnose = functionId(FUNCTIONS.diagnose);
      const namespace = (props(resource(diagnose)).Environment as { Variables: Record<string, unknown> }).Variables.POWERTOOLS_METRICS_NAMESPACE;
      const [a] = alarmsOn(String(namespace), 'PassDuration');
      if (!a) throw new Error('no alarm on PassDuration');
      const timeoutMs = Number(props(resource(diagnose)).Timeout) * 1000;
      expect(a).toMatchObject({ Statistic: 'Maximum', ComparisonOperator: 'GreaterThanThreshold' });
      expect(Number(a.Threshold)).toBeGreaterThanOrEqual(timeoutMs * 0.5);
      expect(Number(a.Threshold)).toBeLessThan(timeoutMs);
    });

    it('diagnose: the deadline watch ends before the timeout, and lasts one schedule period', () => {
      const diagnose = props(resource(functionId(FUNCTIONS.diagnose)));
      const watchMs = Number((diagnose.Environment as { Variables: Record<string, unknown> }).Variables.DTS_WATCH_SECONDS) * 1000;
      expect(watchMs).toBe(60_000);
      // The handler keeps 5 s of the timeout for the last batch.
      expect(watchMs + 5000).toBeLessThan(Number(diagnose.Timeout) * 1000);
    });

    it('a notification unpublished for too long, on the metric diagnose publishes, in its namespace', () => {
      const diagnose = props(resource(functionId(FUNCTIONS.diagnose)));
      const namespace = (diagnose.Environment as { Variables: Record<string, unknown> }).Variables.POWERTOOLS_METRICS_NAMESPACE;
      const [a] = alarmsOn(String(namespace), 'OldestUnpublishedSeconds');
      expect(a).toMatchObject({ Statistic: 'Maximum', ComparisonOperator: 'GreaterThanThreshold', Dimensions: [{ Name: 'service', Value: 'dts' }] });
      // The metric exists under that name in what diagnose publishes.
      const summary = { at: 0, examined: 0, transitions: {}, degraded: [], errors: 0, suppressed: 0, storms: [], hostsByState: {},
        outbox: { published: 0, suppressed: 0, republished: 0, unpublished: 0, oldestQueuedAt: undefined } };
      expect(passMetrics(summary, 0).map((m) => m.name)).toContain('OldestUnpublishedSeconds');
    });

    it('each DLQ: any message, and its oldest message\'s age', () => {
      const dlqs = [...deadLetterQueues()].sort();
      expect(dlqs).toEqual(['HeartbeatsDLQ', 'LogsDLQ', 'NotifyDLQ', 'ScheduledFailuresDLQ']);
      for (const q of dlqs) {
        expect(alarmOn('AWS/SQS', 'ApproximateNumberOfMessagesVisible', q)).toMatchObject({ ComparisonOperator: 'GreaterThanThreshold', Threshold: 0 });
        expect(alarmOn('AWS/SQS', 'ApproximateAgeOfOldestMessage', q)).toMatchObject({ ComparisonOperator: 'GreaterThanThreshold' });
      }
      expect(alarmOn('AWS/SQS', 'ApproximateNumberOfMessagesVisible', 'HeartbeatsDLQ').Dimensions).toEqual([{ Name: 'QueueName', Value: { 'Fn::GetAtt': ['HeartbeatsDLQ', 'QueueName'] } }]);
    });

    it('ingest functions: errors and throttles; the heartbeats queue: a backlog', () => {
      for (const f of [FUNCTIONS.ingestHeartbeats, FUNCTIONS.ingestLogs]) {
        alarmOn('AWS/Lambda', 'Errors', functionId(f));
        alarmOn('AWS/Lambda', 'Throttles', functionId(f));
      }
      expect(alarmOn('AWS/SQS', 'ApproximateAgeOfOldestMessage', 'HeartbeatsQueue')).toMatchObject({ Statistic: 'Maximum', ComparisonOperator: 'GreaterThanThreshold' });
    });
  });

  describe('production defaults', () => {
    const TABLES = ['HostsTable', 'LogsTable', 'NotificationsTable', 'StatsTable', 'SilencesTable', 'ReportsTable', 'ChannelsTable', 'ApiKeysTable', 'ChecksTable', 'StatusTable'];

    it('point-in-time recovery on the hosts, notifications and reports tables', () => {
      for (const t of ['HostsTable', 'NotificationsTable', 'ReportsTable']) {
        expect(props(resource(t)).PointInTimeRecoverySpecification, t).toEqual({ PointInTimeRecoveryEnabled: 'true' });
      }
    });

    it('every data table is retained when the stack or the resource goes away', () => {
      expect(resourcesOfType(template, 'AWS::DynamoDB::Table').map(([id]) => id).sort()).toEqual([...TABLES].sort());
      for (const t of TABLES) {
        const r = resource(t) as CfnResource & { DeletionPolicy?: string; UpdateReplacePolicy?: string };
        expect([r.DeletionPolicy, r.UpdateReplacePolicy], t).toEqual(['Retain', 'Retain']);
      }
    });

    it('deletion protection on every table, on stages other than dev and local', () => {
      for (const t of TABLES) expect(props(resource(t)).DeletionProtectionEnabled, t).toEqual({ 'Fn::If': ['ProtectTables', true, false] });
      expect(evaluateCondition('ProtectTables', conditionContext())).toBe(true);
      for (const stage of ['dev', 'local']) expect(evaluateCondition('ProtectTables', conditionContext(stage)), stage).toBe(false);
    });

    it('queues and topics: SSE-SQS by default, a KMS key with --param kmsKeyArn', () => {
      expect(evaluateCondition('UseKms', conditionContext())).toBe(false);
      for (const [id, q] of resourcesOfType(template, 'AWS::SQS::Queue')) {
        expect(props(q).SqsManagedSseEnabled, id).toEqual({ 'Fn::If': ['UseKms', { Ref: 'AWS::NoValue' }, true] });
        expect(props(q).KmsMasterKeyId, id).toMatchObject({ 'Fn::If': ['UseKms', expect.any(String), { Ref: 'AWS::NoValue' }] });
      }
      for (const [id, t] of resourcesOfType(template, 'AWS::SNS::Topic')) {
        expect(props(t).KmsMasterKeyId, id).toMatchObject({ 'Fn::If': ['UseKms', expect.any(String), { Ref: 'AWS::NoValue' }] });
      }
    });

    it('tags on every function (and, as stack tags, on every resource that takes them)', () => {
      for (const file of Object.values(FUNCTIONS)) {
        const tags = Object.fromEntries((props(resource(functionId(file))).Tags as { Key: string; Value: unknown }[]).map((t) => [t.Key, t.Value]));
        expect(tags, file).toMatchObject({ service: 'dts', stage: 'test', owner: expect.any(String) });
      }
    });

    it('reserved concurrency for diagnose, and its memory: one vCPU, what 100k hosts need', () => {
      const diagnose = props(resource(functionId(FUNCTIONS.diagnose)));
      expect(Number(diagnose.ReservedConcurrentExecutions)).toBeGreaterThanOrEqual(1);
      expect(Number(diagnose.MemorySize)).toBeGreaterThanOrEqual(1769);
    });

    it('a maximum concurrency on every SQS event source mapping', () => {
      const mappings = resourcesOfType(template, 'AWS::Lambda::EventSourceMapping');
      expect(mappings).toHaveLength(3);
      for (const [id, m] of mappings) expect((props(m).ScalingConfig as { MaximumConcurrency?: number }).MaximumConcurrency, id).toBeGreaterThanOrEqual(2);
    });

    it('the HTTP API\'s stage throttles (apiThrottleRate, apiThrottleBurst), keeping the framework\'s route setting', () => {
      const [stage, ...others] = resourcesOfType(template, 'AWS::ApiGatewayV2::Stage');
      expect(others).toEqual([]);
      expect(props(stage?.[1]).StageName).toBe('$default');
      expect(props(stage?.[1]).DefaultRouteSettings).toEqual({ DetailedMetricsEnabled: false, ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 });
    });

    it('report retries twice, then sends the failed event to a queue with alarms', () => {
      expect(onFailureOf(functionId(FUNCTIONS.report))).toEqual({ queue: 'ScheduledFailuresDLQ', retries: 2 });
    });

    it('diagnose drops an event older than a minute (a throttled arrival pass is not retried for 6 hours) and retries none, to the same queue', () => {
      // Lambda retries a failed run a minute later at the earliest: with the 60 s age, no retry could run.
      expect(onFailureOf(functionId(FUNCTIONS.diagnose))).toEqual({ queue: 'ScheduledFailuresDLQ', retries: 0, maxAgeSeconds: 60 });
      // The ingest that starts an arrival pass invokes the function those settings are on.
      const ingest = props(resource(functionId(FUNCTIONS.ingestHeartbeats))) as { Environment: { Variables: Record<string, unknown> } };
      expect(logicalIdOf(ingest.Environment.Variables.DTS_DIAGNOSE_FUNCTION)).toBe(functionId(FUNCTIONS.diagnose));
    });
  });
});
