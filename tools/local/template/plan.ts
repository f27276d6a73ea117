/**
 * Turns a packaged CloudFormation template into what the local cloud provisions and runs: tables,
 * queues, topics, subscriptions, functions, SQS event source mappings and schedules. Every property
 * that the local engines cannot honour becomes a notice, so nothing is dropped silently.
 */
import { ACCOUNT_ID, TemplateError, resolve, type LocalIdentity, type ResolveContext } from './intrinsics';

export interface CloudFormationTemplate {
  readonly Parameters?: Record<string, { Default?: unknown }>;
  readonly Conditions?: Record<string, unknown>;
  readonly Resources: Record<string, { Type: string; Properties?: Record<string, unknown>; Condition?: string }>;
  readonly Outputs?: Record<string, { Value: unknown; Condition?: string }>;
}

export interface TablePlan {
  readonly logicalId: string;
  readonly name: string;
  /** A DynamoDB CreateTable request. */
  readonly createTable: Record<string, unknown>;
}

export interface QueuePlan {
  readonly logicalId: string;
  readonly name: string;
  readonly url: string;
  readonly arn: string;
  /** SQS CreateQueue attributes, as strings. */
  readonly attributes: Record<string, string>;
  readonly visibilityTimeout: number;
}

export interface TopicPlan {
  readonly logicalId: string;
  readonly name: string;
  readonly arn: string;
  readonly attributes: Record<string, string>;
}

export interface SubscriptionPlan {
  readonly logicalId: string;
  readonly topicArn: string;
  readonly protocol: string;
  readonly endpoint: string;
  readonly attributes: Record<string, string>;
}

export interface FunctionPlan {
  readonly logicalId: string;
  readonly name: string;
  readonly arn: string;
  /** `path/to/module.export`, relative to the service directory. */
  readonly handler: string;
  readonly runtime: string;
  readonly timeoutSeconds: number;
  readonly memoryMb: number;
  readonly environment: Record<string, string>;
}

export interface SqsMappingPlan {
  readonly logicalId: string;
  readonly functionName: string;
  readonly queueArn: string;
  readonly batchSize: number;
  readonly batchingWindowSeconds: number;
  readonly reportBatchItemFailures: boolean;
}

export interface ScheduleTarget {
  readonly functionName: string;
  /** The constant event the rule sends instead of the Scheduled Event, when set. */
  readonly input?: string;
}

export interface SchedulePlan {
  readonly logicalId: string;
  readonly ruleName: string;
  readonly ruleArn: string;
  readonly expression: string;
  readonly targets: readonly ScheduleTarget[];
}

export interface LocalPlan {
  readonly stackName: string;
  readonly region: string;
  readonly tables: TablePlan[];
  readonly queues: QueuePlan[];
  readonly topics: TopicPlan[];
  readonly subscriptions: SubscriptionPlan[];
  readonly functions: FunctionPlan[];
  readonly sqsMappings: SqsMappingPlan[];
  readonly schedules: SchedulePlan[];
  readonly outputs: Record<string, string>;
  /** What the local engines cannot honour, one line each. */
  readonly notices: string[];
}

export interface PlanOptions {
  readonly region: string;
  readonly stackName: string;
  /** Base of queue URLs, e.g. http://127.0.0.1:4566. */
  readonly endpoint: string;
  readonly parameters?: Record<string, string>;
}

/** Resource types that exist only to serve the cloud deployment, with why they do not matter here. */
const NOT_NEEDED_LOCALLY: Record<string, string> = {
  'AWS::S3::Bucket': 'deployment artifacts are not uploaded locally',
  'AWS::S3::BucketPolicy': 'deployment artifacts are not uploaded locally',
  'AWS::Lambda::Version': 'functions run from source; versions are not published',
  'AWS::Lambda::Permission': 'the local scheduler and pollers invoke functions directly',
  'AWS::Logs::LogGroup': 'function output goes to this terminal',
  'AWS::IAM::Role': 'IAM is not enforced locally: every function may call every API',
  'AWS::IAM::Policy': 'IAM is not enforced locally',
  'AWS::IAM::ManagedPolicy': 'IAM is not enforced locally',
  'AWS::SQS::QueuePolicy': 'queue policies are not enforced locally',
  'AWS::SNS::TopicPolicy': 'topic policies are not enforced locally',
  'AWS::CloudWatch::Alarm': 'CloudWatch alarms are evaluated on AWS only; here nothing watches the metrics',
  'AWS::Lambda::EventInvokeConfig': 'a failed scheduled invocation is logged here, not retried nor sent to its on-failure destination; nothing throttles an event here, so none waits to expire (MaximumEventAgeInSeconds)',
};

const TABLE_CREATE_KEYS = new Set([
  'TableName', 'AttributeDefinitions', 'KeySchema', 'GlobalSecondaryIndexes', 'LocalSecondaryIndexes',
  'BillingMode', 'ProvisionedThroughput',
]);

/** CloudFormation queue properties that SQS takes as attributes and fauxqs honours. */
const QUEUE_HONOURED = new Set([
  'VisibilityTimeout', 'DelaySeconds', 'MaximumMessageSize', 'ReceiveMessageWaitTimeSeconds', 'RedrivePolicy',
  'FifoQueue', 'ContentBasedDeduplication',
]);
/** Properties fauxqs stores but does not act on. */
const QUEUE_STORED_ONLY: Record<string, string> = {
  MessageRetentionPeriod: 'messages are never expired locally',
  KmsMasterKeyId: 'messages are not encrypted locally',
  KmsDataKeyReusePeriodSeconds: 'messages are not encrypted locally',
};

export function planFromTemplate(template: CloudFormationTemplate, options: PlanOptions): LocalPlan {
  const { region, stackName } = options;
  const notices: string[] = [];
  const resources = template.Resources;
  const parameters: Record<string, string> = {};
  for (const [name, p] of Object.entries(template.Parameters ?? {})) {
    const value = options.parameters?.[name] ?? p.Default;
    if (value !== undefined) parameters[name] = String(value);
  }

  const identities = new Map<string, LocalIdentity>();
  const resolving = new Set<string>();
  const ctx: ResolveContext = {
    region,
    stackName,
    parameters,
    conditions: template.Conditions ?? {},
    identityOf: (id) => {
      const known = identities.get(id);
      if (known) return known;
      const resource = resources[id];
      if (!resource) return undefined;
      if (resolving.has(id)) throw new TemplateError(`Resources.${id}`, 'circular reference');
      resolving.add(id);
      const identity = identityOf(id, resource.Type, resource.Properties ?? {});
      resolving.delete(id);
      identities.set(id, identity);
      return identity;
    },
  };
  const prop = (props: Record<string, unknown>, key: string, path: string): unknown => resolve(props[key], ctx, `${path}.${key}`);
  const nameOf = (id: string, props: Record<string, unknown>, key: string, fallback: string): string => {
    const v = prop(props, key, `Resources.${id}.Properties`);
    return v === undefined ? fallback : String(v);
  };

  function identityOf(id: string, type: string, props: Record<string, unknown>): LocalIdentity {
    const generated = `${stackName}-${id}`;
    switch (type) {
      case 'AWS::DynamoDB::Table': {
        const name = nameOf(id, props, 'TableName', generated);
        const arn = `arn:aws:dynamodb:${region}:${ACCOUNT_ID}:table/${name}`;
        return { ref: name, attributes: { Arn: arn, StreamArn: `${arn}/stream/local` } };
      }
      case 'AWS::SQS::Queue': {
        const fifo = String(prop(props, 'FifoQueue', `Resources.${id}.Properties`)) === 'true';
        const name = nameOf(id, props, 'QueueName', fifo ? `${generated}.fifo` : generated);
        const url = `${options.endpoint}/${ACCOUNT_ID}/${name}`;
        return { ref: url, attributes: { Arn: `arn:aws:sqs:${region}:${ACCOUNT_ID}:${name}`, QueueName: name, QueueUrl: url } };
      }
      case 'AWS::SNS::Topic': {
        const name = nameOf(id, props, 'TopicName', generated);
        const arn = `arn:aws:sns:${region}:${ACCOUNT_ID}:${name}`;
        return { ref: arn, attributes: { TopicArn: arn, TopicName: name } };
      }
      case 'AWS::Lambda::Function': {
        const name = nameOf(id, props, 'FunctionName', generated);
        return { ref: name, attributes: { Arn: `arn:aws:lambda:${region}:${ACCOUNT_ID}:function:${name}` } };
      }
      case 'AWS::IAM::Role': {
        const name = nameOf(id, props, 'RoleName', generated);
        return { ref: name, attributes: { Arn: `arn:aws:iam::${ACCOUNT_ID}:role/${name}`, RoleId: `LOCAL${id}` } };
      }
      case 'AWS::S3::Bucket': {
        const name = nameOf(id, props, 'BucketName', generated.toLowerCase());
        return { ref: name, attributes: { Arn: `arn:aws:s3:::${name}`, DomainName: `${name}.s3.amazonaws.com` } };
      }
      case 'AWS::Logs::LogGroup': {
        const name = nameOf(id, props, 'LogGroupName', generated);
        return { ref: name, attributes: { Arn: `arn:aws:logs:${region}:${ACCOUNT_ID}:log-group:${name}:*` } };
      }
      case 'AWS::Events::Rule': {
        const name = nameOf(id, props, 'Name', generated);
        return { ref: name, attributes: { Arn: `arn:aws:events:${region}:${ACCOUNT_ID}:rule/${name}` } };
      }
      default:
        return { ref: generated, attributes: {} };
    }
  }

  const plan: LocalPlan = {
    stackName, region, tables: [], queues: [], topics: [], subscriptions: [], functions: [], sqsMappings: [], schedules: [],
    outputs: {}, notices,
  };
  const conditionHolds = (name: string | undefined): boolean => {
    if (name === undefined) return true;
    return resolve({ 'Fn::If': [name, true, false] }, ctx) === true;
  };

  for (const [id, resource] of Object.entries(resources)) {
    if (!conditionHolds(resource.Condition)) continue;
    const path = `Resources.${id}.Properties`;
    const props = (resolve(resource.Properties ?? {}, ctx, path) ?? {}) as Record<string, unknown>;
    const identity = ctx.identityOf(id) as LocalIdentity;
    const unsupported = (key: string, why: string): void => {
      notices.push(`${id}.${key}: ${why}`);
    };
    switch (resource.Type) {
      case 'AWS::DynamoDB::Table': {
        const createTable: Record<string, unknown> = { TableName: identity.ref };
        for (const [key, value] of Object.entries(props)) {
          if (TABLE_CREATE_KEYS.has(key)) createTable[key] = numbersIn(value);
          else if (key === 'TimeToLiveSpecification') unsupported(key, `dynalite has no TTL: items with an expired ${String((value as { AttributeName?: unknown }).AttributeName)} stay until deleted`);
          else if (key === 'StreamSpecification') unsupported(key, 'dynalite has no streams');
          else if (key === 'PointInTimeRecoverySpecification') unsupported(key, 'no backups locally');
          else if (key === 'SSESpecification') unsupported(key, 'tables are not encrypted locally');
          else if (key === 'Tags') unsupported(key, 'tags are not applied locally');
          else unsupported(key, 'not honoured by dynalite');
        }
        plan.tables.push({ logicalId: id, name: identity.ref, createTable });
        break;
      }
      case 'AWS::SQS::Queue': {
        const attributes: Record<string, string> = {};
        for (const [key, value] of Object.entries(props)) {
          if (key === 'QueueName') continue;
          if (key === 'RedrivePolicy') {
            const policy = value as { deadLetterTargetArn?: string; maxReceiveCount?: unknown };
            attributes[key] = JSON.stringify({ deadLetterTargetArn: policy.deadLetterTargetArn, maxReceiveCount: Number(policy.maxReceiveCount) });
          } else if (QUEUE_HONOURED.has(key)) {
            attributes[key] = String(value);
          } else if (Object.hasOwn(QUEUE_STORED_ONLY, key)) {
            attributes[key] = String(value);
            unsupported(key, QUEUE_STORED_ONLY[key] as string);
          } else {
            unsupported(key, 'not honoured by fauxqs');
          }
        }
        plan.queues.push({
          logicalId: id, name: identity.attributes.QueueName as string, url: identity.ref, arn: identity.attributes.Arn as string,
          attributes, visibilityTimeout: Number(attributes.VisibilityTimeout ?? 30),
        });
        break;
      }
      case 'AWS::SNS::Topic': {
        const attributes: Record<string, string> = {};
        for (const [key, value] of Object.entries(props)) {
          if (key === 'TopicName') continue;
          if (key === 'DisplayName' || key === 'FifoTopic' || key === 'ContentBasedDeduplication') attributes[key] = String(value);
          else if (key === 'Subscription' && Array.isArray(value)) {
            value.forEach((s: { Protocol: string; Endpoint: string }, i) =>
              plan.subscriptions.push({ logicalId: `${id}.Subscription[${i}]`, topicArn: identity.ref, protocol: s.Protocol, endpoint: s.Endpoint, attributes: {} }));
          } else unsupported(key, 'not honoured by fauxqs');
        }
        plan.topics.push({ logicalId: id, name: identity.attributes.TopicName as string, arn: identity.ref, attributes });
        break;
      }
      case 'AWS::SNS::Subscription': {
        const attributes: Record<string, string> = {};
        for (const key of ['RawMessageDelivery', 'FilterPolicy', 'FilterPolicyScope', 'RedrivePolicy']) {
          const v = props[key];
          if (v !== undefined) attributes[key] = typeof v === 'string' ? v : JSON.stringify(v);
        }
        plan.subscriptions.push({ logicalId: id, topicArn: String(props.TopicArn), protocol: String(props.Protocol), endpoint: String(props.Endpoint), attributes });
        break;
      }
      case 'AWS::Lambda::Function': {
        const env = ((props.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables) ?? {};
        const environment = Object.fromEntries(Object.entries(env).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]));
        reportUnknown(props, FUNCTION_KEYS, unsupported, 'not emulated by the local runtime');
        const nodeMajor = /^nodejs(\d+)/.exec(String(props.Runtime ?? ''))?.[1];
        if (nodeMajor && nodeMajor !== process.versions.node.split('.')[0]) {
          notices.push(`${id}.Runtime: ${String(props.Runtime)} in the cloud; here the function runs on this machine's Node ${process.versions.node}`);
        }
        const arch = (props.Architectures as string[] | undefined)?.[0];
        if (arch && arch !== ({ arm64: 'arm64', x64: 'x86_64' } as Record<string, string>)[process.arch]) {
          notices.push(`${id}.Architectures: ${arch} in the cloud; here it runs on ${process.arch}`);
        }
        if (props.MemorySize !== undefined) notices.push(`${id}.MemorySize: not enforced locally (${String(props.MemorySize)} MB)`);
        if (environment.NODE_OPTIONS) notices.push(`${id}.Environment.NODE_OPTIONS: not applied; functions run on this Node with its own flags`);
        if (typeof props.Handler !== 'string') throw new TemplateError(`${path}.Handler`, 'only handler-based functions can run locally');
        const fn: FunctionPlan = {
          logicalId: id, name: identity.ref, arn: identity.attributes.Arn as string, handler: props.Handler,
          runtime: String(props.Runtime ?? 'nodejs'), timeoutSeconds: Number(props.Timeout ?? 3), memoryMb: Number(props.MemorySize ?? 128),
          environment,
        };
        plan.functions.push(fn);
        break;
      }
      case 'AWS::Lambda::EventSourceMapping': {
        const arn = String(props.EventSourceArn);
        if (!arn.startsWith('arn:aws:sqs:')) {
          notices.push(`${id}: event source ${arn} is not an SQS queue; not polled locally`);
          break;
        }
        if (props.Enabled === false || props.Enabled === 'false') {
          notices.push(`${id}: disabled in the template; not polled`);
          break;
        }
        reportUnknown(props, MAPPING_KEYS, unsupported, 'not emulated by the local poller');
        const types = (props.FunctionResponseTypes as string[] | undefined) ?? [];
        plan.sqsMappings.push({
          logicalId: id, functionName: lastSegment(String(props.FunctionName)), queueArn: arn,
          batchSize: Number(props.BatchSize ?? 10), batchingWindowSeconds: Number(props.MaximumBatchingWindowInSeconds ?? 0),
          reportBatchItemFailures: types.includes('ReportBatchItemFailures'),
        });
        break;
      }
      case 'AWS::Events::Rule': {
        if (props.ScheduleExpression === undefined) {
          notices.push(`${id}: event-pattern rules are not emulated locally`);
          break;
        }
        if (props.State === 'DISABLED') {
          notices.push(`${id}: disabled in the template; not scheduled`);
          break;
        }
        reportUnknown(props, RULE_KEYS, unsupported, 'not emulated by the local scheduler');
        const targets: ScheduleTarget[] = [];
        for (const t of (props.Targets as Array<Record<string, unknown>> | undefined) ?? []) {
          const arn = String(t.Arn);
          if (!arn.startsWith('arn:aws:lambda:')) {
            notices.push(`${id}: target ${arn} is not a Lambda function; not invoked locally`);
            continue;
          }
          if (t.InputPath !== undefined || t.InputTransformer !== undefined) notices.push(`${id}: InputPath/InputTransformer not emulated; the Scheduled Event is sent`);
          targets.push({ functionName: lastSegment(arn), ...(t.Input !== undefined ? { input: String(t.Input) } : {}) });
        }
        plan.schedules.push({ logicalId: id, ruleName: identity.ref, ruleArn: identity.attributes.Arn as string, expression: String(props.ScheduleExpression), targets });
        break;
      }
      default: {
        const why = NOT_NEEDED_LOCALLY[resource.Type];
        notices.push(why ? `${id} (${resource.Type}): ${why}` : `${id} (${resource.Type}): not emulated locally`);
      }
    }
  }
  for (const [name, output] of Object.entries(template.Outputs ?? {})) {
    if (!conditionHolds(output.Condition)) continue;
    try {
      plan.outputs[name] = String(resolve(output.Value, ctx, `Outputs.${name}`));
    } catch (e) {
      notices.push(`Outputs.${name}: ${(e as Error).message}`);
    }
  }
  for (const mapping of plan.sqsMappings) {
    if (!plan.functions.some((f) => f.name === mapping.functionName)) throw new TemplateError(mapping.logicalId, `unknown function ${mapping.functionName}`);
    if (!plan.queues.some((q) => q.arn === mapping.queueArn)) throw new TemplateError(mapping.logicalId, `queue ${mapping.queueArn} is not in the template`);
  }
  return plan;
}

/** Properties the local runtime acts on, or that have no local meaning (Code: it runs from source). */
const FUNCTION_KEYS = new Set(['FunctionName', 'Handler', 'Runtime', 'Timeout', 'MemorySize', 'Environment', 'Role', 'Code', 'Description', 'Architectures', 'Tags']);
const MAPPING_KEYS = new Set(['BatchSize', 'MaximumBatchingWindowInSeconds', 'EventSourceArn', 'FunctionName', 'Enabled', 'FunctionResponseTypes']);
const RULE_KEYS = new Set(['ScheduleExpression', 'State', 'Description', 'Targets', 'Name']);

function reportUnknown(props: Record<string, unknown>, known: ReadonlySet<string>, report: (key: string, why: string) => void, why: string): void {
  for (const key of Object.keys(props)) if (!known.has(key)) report(key, why);
}

/** CloudFormation accepts numbers as strings ('5'); DynamoDB's API does not. */
function numbersIn(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(numbersIn);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, /CapacityUnits$/.test(k) ? Number(v) : numbersIn(v)]));
  }
  return value;
}

function lastSegment(arnOrName: string): string {
  return arnOrName.startsWith('arn:') ? (arnOrName.split(':')[6] ?? arnOrName) : arnOrName;
}
