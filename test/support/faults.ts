/**
 * Faults injected into the AWS SDK clients that a service under test uses, and only there: a
 * middleware that fails chosen calls (a table or topic unavailable, throttling), or that lets a
 * chosen call succeed and then fails every later one, as if the function had died right after it.
 */
import type { Clients } from '../../lib/adapters/clients';

export interface FaultRule {
  readonly service: 'dynamodb' | 'sns' | 'sqs';
  /** `PutItemCommand`, `PublishCommand`, …; any when absent. */
  readonly command?: string;
  /** Only calls on this table. */
  readonly table?: string;
  /** Only calls whose input satisfies this. */
  readonly when?: (input: Record<string, unknown>) => boolean;
}

type Middleware = Parameters<Clients['sns']['middlewareStack']['add']>[0];
type Stack = { add(m: Middleware, o: { step: 'initialize'; name: string }): void };

function injected(name: string, message: string): Error {
  return Object.assign(new Error(`injected: ${message}`), { name, $fault: 'server', $metadata: { httpStatusCode: 503 } });
}

export class Faults {
  private failing: { rule: FaultRule; error: () => Error }[] = [];
  private killAfterRule: FaultRule | undefined;
  /** True once the "function" died: every call fails until `revive`. */
  dead = false;
  /** How many calls the faults refused. */
  refused = 0;
  /** The input of the call after which the function died. */
  killedAfter: Record<string, unknown> | undefined;

  /** Every matching call fails, with a server error or throttling. */
  fail(rule: FaultRule, kind: 'unavailable' | 'throttling' = 'unavailable'): this {
    const error = kind === 'throttling'
      ? () => injected('ThrottlingException', `throttled ${rule.command ?? rule.service}`)
      : () => injected('ServiceUnavailable', `${rule.table ?? rule.service} unavailable`);
    this.failing.push({ rule, error });
    return this;
  }

  /** The first matching call succeeds, then the function dies: every later call fails. */
  killAfter(rule: FaultRule): this {
    this.killAfterRule = rule;
    return this;
  }

  revive(): this {
    this.dead = false;
    return this;
  }

  clear(): this {
    this.failing = [];
    this.killAfterRule = undefined;
    this.dead = false;
    return this;
  }

  /** Clients whose every call goes through the faults first. */
  attach(clients: Clients): Clients {
    (clients.ddb.middlewareStack as unknown as Stack).add(this.middleware('dynamodb'), { step: 'initialize', name: 'testFaults' });
    (clients.sns.middlewareStack as unknown as Stack).add(this.middleware('sns'), { step: 'initialize', name: 'testFaults' });
    (clients.sqs.middlewareStack as unknown as Stack).add(this.middleware('sqs'), { step: 'initialize', name: 'testFaults' });
    return clients;
  }

  private middleware(service: FaultRule['service']): Middleware {
    const matches = (rule: FaultRule, command: string, input: Record<string, unknown>) =>
      rule.service === service
      && (rule.command === undefined || rule.command === command)
      && (rule.table === undefined || input.TableName === rule.table)
      && (rule.when === undefined || rule.when(input));
    return ((next: (args: { input: Record<string, unknown> }) => Promise<unknown>, context: { commandName?: string }) =>
      async (args: { input: Record<string, unknown> }) => {
        const command = context.commandName ?? '';
        if (this.dead) {
          this.refused++;
          throw injected('ECONNRESET', 'the function died');
        }
        const failing = this.failing.find((f) => matches(f.rule, command, args.input));
        if (failing) {
          this.refused++;
          throw failing.error();
        }
        const out = await next(args);
        if (this.killAfterRule && matches(this.killAfterRule, command, args.input)) {
          this.killAfterRule = undefined;
          this.killedAfter = args.input;
          this.dead = true;
        }
        return out;
      }) as unknown as Middleware;
  }
}
