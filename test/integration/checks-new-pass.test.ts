/**
 * `dts checks add` with no checks' watch running starts a diagnose pass by itself: the CLI is not
 * told DTS_DIAGNOSE_FUNCTION, finds the function as it finds its tables (dts-<stage>-diagnose),
 * and invokes it through the real @aws-sdk/client-lambda on the local cloud's Lambda Invoke API
 * (tools/local/lambda/invoke-api.ts), which runs the real diagnose handler against the emulators.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Context, ScheduledEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CheckWatchSummary } from '../../lib/app/diagnose/checks';
import type { DiagnoseSummary } from '../../lib/app/diagnose/pass';
import { fixedNames, statsStore } from '../../lib/compose';
import { loadConfig } from '../../lib/config';
import { startTestCloud, type TestCloud } from '../../tools/harness/cloud';
import { lambdaInvokeApi } from '../../tools/local/lambda/invoke-api';
import { cliIn } from '../support/cli';
import { lambdaContext, scheduledEvent } from '../support/events';
import { drain, expectOneLateAtFirstDeadline } from '../support/then';

type Summary = DiagnoseSummary & { checkWatch?: CheckWatchSummary };
let cloud: TestCloud;
let diagnose: (event: ScheduledEvent, context: Context) => Promise<Summary>;
let server: Server;
/** The passes the CLI started, as the local cloud ran them. */
const passes: Array<{ fn: string; event: unknown; result: Promise<Summary> }> = [];
const endpointBefore = process.env.AWS_ENDPOINT_URL_LAMBDA;

beforeAll(async () => {
  cloud = await startTestCloud();
  Object.assign(process.env, cloud.env, { DTS_WATCH_SECONDS: '8', DTS_LAG_WAIT_SECONDS: '1', DTS_GROUP_WAIT_SECONDS: '0' });
  ({ handler: diagnose } = await import('../../functions/diagnose'));
  // The stage's diagnose function, as the local cloud names it from the packaged template.
  const api = lambdaInvokeApi({
    has: (fn) => fn === 'dts-test-diagnose',
    invoke: (fn, event) => {
      const result = diagnose(event as ScheduledEvent, lambdaContext(fn, 75_000));
      passes.push({ fn, event, result });
      return result;
    },
  }, () => undefined);
  server = createServer((req, res) => {
    if (!api(req, res)) res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  // Where the SDK sends Lambda calls, as the CLI's other services go to the test cloud's edge.
  process.env.AWS_ENDPOINT_URL_LAMBDA = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  if (endpointBefore === undefined) delete process.env.AWS_ENDPOINT_URL_LAMBDA;
  else process.env.AWS_ENDPOINT_URL_LAMBDA = endpointBefore;
  await Promise.allSettled(passes.map((p) => p.result));
  await new Promise((r) => server?.close(r));
  await cloud?.stop();
});

const cli = cliIn(() => cloud.env);

describe('a check added when no checks\' watch runs', () => {
  it('starts a pass without DTS_DIAGNOSE_FUNCTION, whose watch announces it within 5 s of its first deadline', async () => {
    expect(cloud.env.DTS_DIAGNOSE_FUNCTION).toBeUndefined();
    const stats = statsStore({ config: loadConfig(cloud.env), clients: cloud.clients, names: fixedNames(cloud.names) });
    // The last scheduled pass ran and its watch is over: nothing would list a check added now.
    await diagnose(scheduledEvent(), lambdaContext('diagnose', 75_000));
    expect((await stats.monitor()).lastRun).toBeDefined();
    await drain(cloud, cloud.names.alertsQueueUrl);

    const addedAt = Date.now();
    const added = await cli('checks', 'add', 'fresh', '--every', '3s', '--grace', '2s', '--json');
    expect(added.code).toBe(0);
    expect(added.err).toBe('');
    expect(passes.map((p) => [p.fn, p.event])).toEqual([['dts-test-diagnose', { source: 'dts.arrival', reason: 'new check fresh' }]]);

    const result = await (passes[0] as { result: Promise<Summary> }).result;
    expect(result.checkWatch?.transitions).toEqual({ 'check-late': 1 });
    // Late at its creation plus 3 s plus 2 s grace, never pinged.
    await expectOneLateAtFirstDeadline(cloud, 'fresh', addedAt, 5000, result.checkWatch?.lateMs ?? []);
  });

  it('is added all the same when the invoke is refused, and says in one line that the next pass judges it', async () => {
    // The override names a function the local cloud refuses (ResourceNotFoundException), as AWS
    // refuses a caller without lambda:InvokeFunction.
    const before = passes.length;
    const refused = cliIn(() => ({ ...cloud.env, DTS_DIAGNOSE_FUNCTION: 'dts-test-elsewhere' }));
    const added = await refused('checks', 'add', 'orphan', '--every', '3s', '--grace', '2s', '--json');
    expect(added.code).toBe(0);
    expect(added.err).toMatch(/^note: no diagnose pass started for orphan \(.*dts-test-elsewhere.*\); the next scheduled pass \(within a minute\) judges it\n$/);
    expect(passes).toHaveLength(before);
    expect(JSON.parse((await cli('checks', 'show', 'orphan', '--json')).out)).toMatchObject({ name: 'orphan' });
  });
});
