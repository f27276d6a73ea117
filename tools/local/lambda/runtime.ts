/**
 * Invokes functions as Lambda does. Each function has a pool of execution environments (worker
 * threads, see worker.ts): an invocation takes an idle one or starts a new one (a cold start),
 * and gets the function's resolved Environment and a deadline from its Timeout. When the deadline
 * passes, the invocation fails with Lambda's "Task timed out" and its environment is destroyed,
 * as Lambda abandons a timed-out sandbox.
 */
import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';
import { Worker } from 'node:worker_threads';
import type { FunctionPlan } from '../template/plan';
import { handlerSource, type FunctionBundles } from './bundles';
import type { InitData, Invocation, SerializedError, WorkerReply } from './protocol';

export class InvocationError extends Error {
  constructor(
    readonly functionName: string,
    readonly kind: 'timeout' | 'init' | 'handler' | 'crash',
    message: string,
    readonly remoteStack?: string,
  ) {
    super(message);
    this.name = 'InvocationError';
  }
}

export interface RuntimeOptions {
  /** Where handler paths (functions/x.handler) are resolved from. */
  readonly serviceDir: string;
  readonly endpoint: string;
  readonly region: string;
  /** Environments per function, at most. Lambda scales out; this bounds it on a laptop. */
  readonly maxConcurrency?: number;
  /** Where function output goes, one line at a time. */
  readonly log: (functionName: string, line: string) => void;
  /**
   * The functions' bundles (bundles.ts), which environments load. Environments wait for them, so
   * a cloud is ready while a changed source is still being bundled; a failed build is every
   * function's init error.
   */
  readonly bundles: Promise<FunctionBundles>;
}

interface Environment {
  readonly worker: Worker;
  /** The access key id this environment signs with: how the edge knows which worker made a call. */
  readonly accessKeyId: string;
  readonly ready: Promise<void>;
  busy: boolean;
  readonly pending: Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>;
  dead: boolean;
}

/** Numbers every environment of the process, so that each worker's access key id is its own. */
let environmentsStarted = 0;

class FunctionPool {
  private readonly environments: Environment[] = [];
  private readonly waiters: Array<() => void> = [];
  private nextId = 1;

  constructor(
    readonly plan: FunctionPlan,
    private readonly options: RuntimeOptions,
  ) {}

  /** Environments started and not yet ended. */
  get size(): number {
    return this.environments.length;
  }

  /** Starts one environment ahead of the first invocation, so that its init errors show at start-up. */
  async warm(): Promise<void> {
    const bundles = await this.bundles();
    if (this.environments.length === 0) await this.spawn(bundles).ready;
  }

  async invoke(event: unknown): Promise<unknown> {
    const env = await this.acquire();
    const id = this.nextId++;
    const requestId = randomUUID();
    try {
      // As in Lambda, the init phase (a cold start) does not count against the timeout.
      await env.ready;
      const deadline = Date.now() + this.plan.timeoutSeconds * 1000;
      return await new Promise<unknown>((resolve, reject) => {
        const timer = setTimeout(() => {
          env.pending.delete(id);
          this.destroy(env);
          reject(new InvocationError(this.plan.name, 'timeout', `${requestId} Task timed out after ${this.plan.timeoutSeconds.toFixed(2)} seconds`));
        }, Math.max(0, deadline - Date.now()));
        env.pending.set(id, {
          resolve: (v) => { clearTimeout(timer); resolve(v); },
          reject: (e) => { clearTimeout(timer); reject(e); },
        });
        const invocation: Invocation = { id, requestId, event, deadline };
        env.worker.postMessage(invocation);
      });
    } finally {
      this.release(env);
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.environments.map((e) => e.worker.terminate()));
    this.environments.length = 0;
  }

  owns(accessKeyId: string): boolean {
    return this.environments.some((e) => e.accessKeyId === accessKeyId);
  }

  /**
   * Kills the environment that signs with this key, as a crash of the sandbox: its invocation
   * fails at once (the event source then treats it as any failed invocation) and the next
   * invocation gets a fresh environment.
   */
  async kill(accessKeyId: string, reason: string): Promise<boolean> {
    const env = this.environments.find((e) => e.accessKeyId === accessKeyId && !e.dead);
    if (!env) return false;
    const error = new InvocationError(this.plan.name, 'crash', `environment killed (${reason})`);
    const terminated = env.worker.terminate();
    this.destroy(env);
    for (const p of env.pending.values()) p.reject(error);
    env.pending.clear();
    await terminated;
    return true;
  }

  /** The bundles, or the init error every environment of this function fails with. */
  private async bundles(): Promise<FunctionBundles> {
    try {
      return await this.options.bundles;
    } catch (e) {
      throw new InvocationError(this.plan.name, 'init', `init failed: the functions' bundle did not build: ${(e as Error).message}`);
    }
  }

  private async acquire(): Promise<Environment> {
    const bundles = await this.bundles();
    for (;;) {
      const idle = this.environments.find((e) => !e.busy && !e.dead);
      if (idle) {
        idle.busy = true;
        return idle;
      }
      if (this.environments.length < (this.options.maxConcurrency ?? 10)) {
        const env = this.spawn(bundles);
        env.busy = true;
        return env;
      }
      await new Promise<void>((r) => this.waiters.push(r));
    }
  }

  private release(env: Environment): void {
    env.busy = false;
    this.waiters.shift()?.();
  }

  private destroy(env: Environment): void {
    env.dead = true;
    const i = this.environments.indexOf(env);
    if (i >= 0) this.environments.splice(i, 1);
    void env.worker.terminate();
    this.waiters.shift()?.();
  }

  private spawn(bundles: FunctionBundles): Environment {
    const { plan, options } = this;
    const dot = plan.handler.lastIndexOf('.');
    const source = handlerSource(options.serviceDir, plan.handler);
    const modulePath = bundles.modules.get(source);
    if (!modulePath) throw new InvocationError(plan.name, 'init', `init failed: no bundle for ${source}`);
    const workerData: InitData = {
      modulePath, exportName: plan.handler.slice(dot + 1), functionName: plan.name, functionArn: plan.arn, memoryMb: plan.memoryMb,
    };
    const accessKeyId = `LOCALWORKER${String(++environmentsStarted).padStart(9, '0')}`;
    const worker = new Worker(bundles.worker, {
      workerData, env: this.environmentVariables(accessKeyId), execArgv: runtimeArgs(process.execArgv), stdout: true, stderr: true,
    });
    for (const stream of [worker.stdout, worker.stderr]) {
      createInterface({ input: stream }).on('line', (line) => options.log(plan.name, line));
    }
    let readyResolve: () => void = () => undefined;
    let readyReject: (e: Error) => void = () => undefined;
    const ready = new Promise<void>((res, rej) => { readyResolve = res; readyReject = rej; });
    ready.catch(() => undefined);
    const env: Environment = { worker, accessKeyId, ready, busy: false, pending: new Map(), dead: false };
    const failAll = (error: InvocationError): void => {
      readyReject(error);
      for (const p of env.pending.values()) p.reject(error);
      env.pending.clear();
      if (!env.dead) this.destroy(env);
    };
    worker.on('message', (reply: WorkerReply) => {
      switch (reply.type) {
        case 'ready':
          readyResolve();
          break;
        case 'init-error':
          failAll(new InvocationError(plan.name, 'init', `init failed: ${describe(reply.error)}`, reply.error.stack));
          break;
        case 'result':
          env.pending.get(reply.id)?.resolve(reply.result);
          env.pending.delete(reply.id);
          break;
        case 'error':
          env.pending.get(reply.id)?.reject(new InvocationError(plan.name, 'handler', describe(reply.error), reply.error.stack));
          env.pending.delete(reply.id);
          break;
      }
    });
    worker.on('error', (e) => failAll(new InvocationError(plan.name, 'crash', `environment crashed: ${e.message}`, e.stack)));
    worker.on('exit', (code) => {
      if (!env.dead) failAll(new InvocationError(plan.name, 'crash', `environment exited with code ${code}`));
    });
    this.environments.push(env);
    return env;
  }

  /** What Lambda puts in a function's environment: its own variables plus the runtime's. */
  private environmentVariables(accessKeyId: string): Record<string, string> {
    const { plan, options } = this;
    return {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      ...(process.env.HOME ? { HOME: process.env.HOME } : {}),
      LANG: 'en_US.UTF-8',
      // The functions run on nodejs22.x in Lambda; this Node's version is the local machine's business.
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      LAMBDA_TASK_ROOT: options.serviceDir,
      AWS_EXECUTION_ENV: `AWS_Lambda_${plan.runtime}`,
      AWS_LAMBDA_FUNCTION_NAME: plan.name,
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(plan.memoryMb),
      AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${plan.name}`,
      AWS_REGION: options.region,
      AWS_DEFAULT_REGION: options.region,
      // Any key works locally; each environment gets its own so that fault injection can tell
      // which one made a call (the product never looks at it).
      AWS_ACCESS_KEY_ID: accessKeyId,
      AWS_SECRET_ACCESS_KEY: 'test',
      // The one difference from the cloud: every AWS SDK call goes to the local edge.
      AWS_ENDPOINT_URL: options.endpoint,
      ...plan.environment,
    };
  }
}

function describe(error: SerializedError): string {
  return `${error.name}: ${error.message}`;
}

export class LambdaRuntime {
  private readonly pools = new Map<string, FunctionPool>();

  constructor(functions: readonly FunctionPlan[], options: RuntimeOptions) {
    for (const fn of functions) this.pools.set(fn.name, new FunctionPool(fn, options));
  }

  has(functionName: string): boolean {
    return this.pools.has(functionName);
  }

  plan(functionName: string): FunctionPlan {
    return this.pool(functionName).plan;
  }

  /** Starts one environment per function and reports the functions whose init failed. */
  async warm(): Promise<Array<{ functionName: string; error: Error }>> {
    const results = await Promise.all(
      [...this.pools.values()].map((p) => p.warm().then(() => undefined, (error: Error) => ({ functionName: p.plan.name, error }))),
    );
    return results.filter((r): r is { functionName: string; error: Error } => r !== undefined);
  }

  invoke(functionName: string, event: unknown): Promise<unknown> {
    return this.pool(functionName).invoke(event);
  }

  async close(): Promise<void> {
    await Promise.all([...this.pools.values()].map((p) => p.close()));
  }

  /** How many environments each function has now. */
  environments(): Record<string, number> {
    return Object.fromEntries([...this.pools.values()].map((p) => [p.plan.name, p.size]));
  }

  /** The function whose environment signs with this access key id, if any. */
  functionOf(accessKeyId: string): string | undefined {
    return [...this.pools.values()].find((p) => p.owns(accessKeyId))?.plan.name;
  }

  /** Kills the environment that signs with this access key id (fault injection). */
  async kill(accessKeyId: string, reason: string): Promise<boolean> {
    for (const pool of this.pools.values()) if (pool.owns(accessKeyId)) return pool.kill(accessKeyId, reason);
    return false;
  }

  private pool(functionName: string): FunctionPool {
    const pool = this.pools.get(functionName);
    if (!pool) throw new Error(`no function named ${functionName}`);
    return pool;
  }
}

/**
 * The node flags an environment starts with: the cloud's own, less the module loaders it was
 * started with (`--import tsx`). A bundle is plain JavaScript, as in Lambda; through tsx's hooks
 * every environment paid about a second of CPU to have its bundle parsed and transformed again.
 */
export function runtimeArgs(execArgv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < execArgv.length; i++) {
    const a = execArgv[i] as string;
    if (/^--(import|require|loader|experimental-loader)$/.test(a) || a === '-r') { i++; continue; }
    if (/^--(import|require|loader|experimental-loader)=/.test(a)) continue;
    out.push(a);
  }
  return out;
}
