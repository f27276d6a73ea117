/**
 * Where a dts deployment's queues, tables and topic are, and how to reach them. Each name comes
 * from the first of: flags, environment (DTS_*), the outputs of a deployed stack (`--stack`),
 * or the local cloud at AWS_ENDPOINT_URL (default http://127.0.0.1:4566), discovered by the
 * stage's resource names. The standard AWS environment is honoured; a local endpoint without
 * configured credentials gets dummy ones and us-east-1.
 *
 * Only the SQS client is loaded up front. CloudFormation (for a stack), DynamoDB and SNS (for
 * the local cloud's tables and topic) are imported when they are needed, so a producer that
 * only sends loads none of them, and the published package lists them as optional peers.
 */
import { GetQueueUrlCommand, ListQueuesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { RESOURCES, type ResourceKey, type ResourceNames } from '../config/resources';
import { quietSdkNodeWarning } from './sdk-warning';

export type Source = 'flag' | 'env' | 'stack' | 'local';

export const DEFAULT_LOCAL_ENDPOINT = 'http://127.0.0.1:4566';

export interface LocateOptions {
  /** Names given on the command line; they win over everything. */
  flags?: Partial<ResourceNames>;
  /** Default: process.env. */
  env?: Record<string, string | undefined>;
  /** A deployed CloudFormation stack whose outputs name the resources (default env DTS_STACK). */
  stack?: string;
  /**
   * The stage of the local cloud's names, dts-<stage>-*. Default env DTS_STAGE; otherwise the
   * stage the local cloud has queues for (`dev` when it has several and dev is one of them), or
   * the one it says it is provisioning, or `local`.
   */
  stage?: string;
  region?: string;
  profile?: string;
  /** Default env AWS_ENDPOINT_URL. */
  endpoint?: string;
  /** The names the caller will use; only these must be found. Default: all. */
  need?: readonly ResourceKey[];
  /** Look for the needed names, but require none of them (`dts doctor` reports each missing one). */
  partial?: boolean;
}

/** How to make AWS clients that reach the backend. */
export interface ClientConfig {
  region?: string;
  endpoint?: string;
  profile?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

export interface Backend {
  readonly resources: Partial<ResourceNames>;
  readonly sources: Partial<Record<ResourceKey, Source>>;
  readonly client: ClientConfig;
  /** The local cloud's endpoint when the names were discovered there. */
  readonly local?: string;
  /**
   * The diagnose function's name, for a CLI that starts a pass (`dts checks add`): the stack's
   * output DiagnoseFunctionName, else the stage's dts-<stage>-diagnose, the stage read from the
   * stats table's name as the CLI found it. Undefined when neither is known.
   */
  readonly diagnoseFunction?: string;
  /** A resource the caller needs; throws a BackendError naming how to provide it when missing. */
  require<K extends ResourceKey>(key: K): string;
}

/** A configuration problem the user can fix; its message is one line and says how. */
export class BackendError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BackendError';
  }
}

export async function locateBackend(options: LocateOptions = {}): Promise<Backend> {
  const env = options.env ?? process.env;
  quietSdkNodeWarning();
  const need = options.need ?? (Object.keys(RESOURCES) as ResourceKey[]);
  const stack = options.stack ?? nonEmpty(env.DTS_STACK);
  let stage = options.stage ?? nonEmpty(env.DTS_STAGE);
  const explicitEndpoint = options.endpoint ?? nonEmpty(env.AWS_ENDPOINT_URL);
  const client = clientConfig(options, env, explicitEndpoint);

  const resources: Partial<ResourceNames> = {};
  const sources: Partial<Record<ResourceKey, Source>> = {};
  const set = (key: ResourceKey, value: string | undefined, source: Source): void => {
    if (value && resources[key] === undefined) {
      resources[key] = value;
      sources[key] = source;
    }
  };
  for (const key of Object.keys(RESOURCES) as ResourceKey[]) {
    set(key, options.flags?.[key], 'flag');
    set(key, nonEmpty(env[RESOURCES[key].env]), 'env');
  }
  const missing = (): ResourceKey[] => need.filter((k) => resources[k] === undefined);

  let local: string | undefined;
  let diagnoseFunction: string | undefined;
  if (missing().length > 0 && stack) {
    const outputs = await stackOutputs(stack, client);
    for (const key of Object.keys(RESOURCES) as ResourceKey[]) set(key, outputs[RESOURCES[key].output], 'stack');
    diagnoseFunction = outputs[DIAGNOSE_FUNCTION_OUTPUT];
  } else if (missing().length > 0) {
    local = explicitEndpoint ?? DEFAULT_LOCAL_ENDPOINT;
    const localClient = clientConfig(options, env, local);
    stage ??= await localStage(local, localClient);
    const found = await discoverLocal(local, stage, missing(), localClient);
    for (const [key, value] of Object.entries(found)) set(key as ResourceKey, value, 'local');
    Object.assign(client, localClient);
  }

  diagnoseFunction ??= stageFunction(resources.statsTable, 'diagnose');
  const backend: Backend = {
    resources,
    sources,
    client,
    ...(local ? { local } : {}),
    ...(diagnoseFunction ? { diagnoseFunction } : {}),
    require(key) {
      const value = resources[key];
      if (value) return value;
      const spec = RESOURCES[key];
      const where = stack
        ? `stack ${stack} has no output ${spec.output}`
        : local ? `the local cloud at ${local} has no ${spec.kind} dts-${stage}-${spec.suffix}` : 'it is not configured';
      throw new BackendError(`${spec.kind === 'queue' ? 'queue' : spec.kind} ${key} not found: ${where}; set ${spec.flag} or ${spec.env}`);
    },
  };
  if (!options.partial) for (const key of need) backend.require(key);
  return backend;
}

/** The stack output that names the diagnose function (serverless/roles.yml). */
export const DIAGNOSE_FUNCTION_OUTPUT = 'DiagnoseFunctionName';

/**
 * A function of the stage a table belongs to: the framework names both dts-<stage>-<name>, so
 * dts-prod-stats gives dts-prod-diagnose. Undefined for a table named otherwise.
 */
function stageFunction(statsTable: string | undefined, name: string): string | undefined {
  const prefix = statsTable === undefined ? undefined : /^(dts-.+-)stats$/.exec(statsTable)?.[1];
  return prefix === undefined ? undefined : `${prefix}${name}`;
}

function nonEmpty(s: string | undefined): string | undefined {
  return s === undefined || s.trim() === '' ? undefined : s;
}

function clientConfig(options: LocateOptions, env: Record<string, string | undefined>, endpoint: string | undefined): ClientConfig {
  const profile = options.profile ?? nonEmpty(env.AWS_PROFILE);
  const hasCredentials = profile !== undefined || nonEmpty(env.AWS_ACCESS_KEY_ID) !== undefined;
  const region = options.region ?? nonEmpty(env.AWS_REGION) ?? nonEmpty(env.AWS_DEFAULT_REGION) ?? (endpoint ? 'us-east-1' : undefined);
  return {
    ...(region ? { region } : {}),
    ...(endpoint ? { endpoint } : {}),
    ...(profile ? { profile } : {}),
    // Emulators accept any signature; real AWS never sees these (they only go to an endpoint override).
    ...(endpoint && !hasCredentials ? { credentials: { accessKeyId: 'test', secretAccessKey: 'test' } } : {}),
  };
}

/** An SDK client that is loaded only when used; a clear error when the package is not installed. */
export async function optionalClient<T>(name: string, load: () => Promise<T>, why: string): Promise<T> {
  try {
    return await load();
  } catch (e) {
    if ((e as { code?: string }).code === 'ERR_MODULE_NOT_FOUND') throw new BackendError(`${why} needs ${name}: npm install ${name}`);
    throw e;
  }
}

async function stackOutputs(stack: string, client: ClientConfig): Promise<Record<string, string>> {
  const { CloudFormationClient, DescribeStacksCommand } = await optionalClient(
    '@aws-sdk/client-cloudformation', () => import('@aws-sdk/client-cloudformation'), `--stack ${stack}`);
  const cfn = new CloudFormationClient({ ...client, maxAttempts: 3 });
  try {
    const out = await cfn.send(new DescribeStacksCommand({ StackName: stack }));
    const outputs: Record<string, string> = {};
    for (const o of out.Stacks?.[0]?.Outputs ?? []) if (o.OutputKey && o.OutputValue) outputs[o.OutputKey] = o.OutputValue;
    return outputs;
  } catch (e) {
    const err = e as Error;
    if (/does not exist/.test(err.message)) throw new BackendError(`stack ${stack} not found in ${client.region ?? 'the default region'}`);
    throw e;
  } finally {
    cfn.destroy();
  }
}

/**
 * The stage whose queues the local cloud holds: dts-<stage>-heartbeats. A cloud with none yet asks
 * its health endpoint which stage it is provisioning (`npm start` says; LocalStack does not), so
 * that a cloud still starting is told apart from one that runs another stage.
 */
async function localStage(endpoint: string, client: ClientConfig): Promise<string> {
  const sqs = new SQSClient({ ...client, maxAttempts: 1, requestHandler: { connectionTimeout: 1500, requestTimeout: 5000 } });
  try {
    const out = await sqs.send(new ListQueuesCommand({ QueueNamePrefix: 'dts-' }));
    const stages = [...new Set((out.QueueUrls ?? []).map((u) => /\/dts-(.+)-heartbeats$/.exec(u)?.[1]).filter((s): s is string => s !== undefined))];
    // Asked even when some queues exist: while provisioning, the queues can be there before the tables.
    const health = await localHealth(endpoint);
    if (health?.ready === false) throw new BackendError(`the local cloud at ${endpoint} is still starting${health.stage ? ` (stage ${health.stage})` : ''}: try again in a few seconds`);
    if (stages.includes('dev')) return 'dev';
    if (stages.length === 1) return stages[0] as string;
    if (stages.length > 1) throw new BackendError(`the local cloud at ${endpoint} has several dts stages (${stages.sort().join(', ')}): pick one with --stage or DTS_STAGE`);
    return health?.stage ?? DEFAULT_LOCAL_STAGE;
  } catch (e) {
    if (isConnectionError(e)) throw noLocalCloud(endpoint);
    throw e;
  } finally {
    sqs.destroy();
  }
}

/** The stage `npm start` runs, and `npm run deploy:localstack` deploys. */
export const DEFAULT_LOCAL_STAGE = 'local';

/** What the local cloud's health endpoint says of itself; undefined from an emulator that does not say (LocalStack). */
async function localHealth(endpoint: string): Promise<{ stage?: string; ready: boolean } | undefined> {
  try {
    const res = await fetch(new URL('/_localstack/health', endpoint), { signal: AbortSignal.timeout(2000) });
    const body = await res.json() as { dts?: { stage?: unknown; ready?: unknown } };
    const dts = body.dts;
    if (!dts || typeof dts.ready !== 'boolean') return undefined;
    return { ready: dts.ready, ...(typeof dts.stage === 'string' ? { stage: dts.stage } : {}) };
  } catch {
    return undefined;
  }
}

function noLocalCloud(endpoint: string): BackendError {
  return new BackendError(
    `no dts backend configured and no local cloud at ${endpoint}: start it with \`npm start\`, pass --stack NAME, or set the DTS_* variables (dts --help)`,
  );
}

/** Find dts-<stage>-* queues, tables and topic at a local endpoint; a clear error when nothing answers there. */
async function discoverLocal(endpoint: string, stage: string, keys: readonly ResourceKey[], client: ClientConfig): Promise<Partial<ResourceNames>> {
  const quick = { ...client, maxAttempts: 1, requestHandler: { connectionTimeout: 1500, requestTimeout: 5000 } };
  const found: Partial<ResourceNames> = {};
  const name = (k: ResourceKey): string => `dts-${stage}-${RESOURCES[k].suffix}`;
  const kinds = new Set(keys.map((k) => RESOURCES[k].kind));
  try {
    const tasks: Promise<void>[] = [];
    if (kinds.has('queue')) {
      const sqs = new SQSClient(quick);
      tasks.push(Promise.all(keys.filter((k) => RESOURCES[k].kind === 'queue').map(async (k) => {
        try {
          const out = await sqs.send(new GetQueueUrlCommand({ QueueName: name(k) }));
          if (out.QueueUrl) found[k] = out.QueueUrl;
        } catch (e) {
          if (!/NonExistentQueue|QueueDoesNotExist/.test((e as Error).name)) throw e;
        }
      })).then(() => sqs.destroy()));
    }
    if (kinds.has('table')) {
      tasks.push((async () => {
        const { DynamoDBClient, ListTablesCommand } = await optionalClient(
          '@aws-sdk/client-dynamodb', () => import('@aws-sdk/client-dynamodb'), 'finding the local cloud\'s tables');
        const ddb = new DynamoDBClient(quick);
        const tables = new Set<string>();
        let start: string | undefined;
        do {
          const out = await ddb.send(new ListTablesCommand({ ExclusiveStartTableName: start }));
          for (const t of out.TableNames ?? []) tables.add(t);
          start = out.LastEvaluatedTableName;
        } while (start);
        for (const k of keys) if (RESOURCES[k].kind === 'table' && tables.has(name(k))) found[k] = name(k);
        ddb.destroy();
      })());
    }
    if (kinds.has('topic')) {
      tasks.push((async () => {
        const { ListTopicsCommand, SNSClient } = await optionalClient(
          '@aws-sdk/client-sns', () => import('@aws-sdk/client-sns'), 'finding the local cloud\'s topic');
        const sns = new SNSClient(quick);
        let token: string | undefined;
        do {
          const out = await sns.send(new ListTopicsCommand({ NextToken: token }));
          const arn = out.Topics?.find((t) => t.TopicArn?.endsWith(`:${name('alertsTopicArn')}`))?.TopicArn;
          if (arn) found.alertsTopicArn = arn;
          token = out.NextToken;
        } while (token && !found.alertsTopicArn);
        sns.destroy();
      })());
    }
    await Promise.all(tasks);
  } catch (e) {
    if (isConnectionError(e)) throw noLocalCloud(endpoint);
    throw e;
  }
  return found;
}

export function isConnectionError(e: unknown): boolean {
  const err = e as { code?: string; name?: string; message?: string; cause?: unknown };
  const codes = ['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EHOSTUNREACH', 'ETIMEDOUT', 'EAI_AGAIN'];
  return codes.includes(err.code ?? '') || err.name === 'TimeoutError' || codes.some((c) => err.message?.includes(c)) ||
    (err.cause !== undefined && err.cause !== e && isConnectionError(err.cause));
}
