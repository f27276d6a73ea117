/**
 * The diagnose function the CLI starts a pass with (`dts checks add`), found as its tables are:
 * the stack's output DiagnoseFunctionName, else the stage's dts-<stage>-diagnose read from the
 * stats table's name. The stack is a small CloudFormation Query endpoint the real SDK talks to.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { locateBackend } from '../../lib/producer/locate';

let server: Server;
let endpoint: string;
const output = (k: string, v: string): string => `<member><OutputKey>${k}</OutputKey><OutputValue>${v}</OutputValue></member>`;

beforeAll(async () => {
  server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'text/xml' });
      res.end(`<DescribeStacksResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><DescribeStacksResult><Stacks><member>
        <StackName>monitor</StackName><StackStatus>UPDATE_COMPLETE</StackStatus><CreationTime>2026-01-01T00:00:00Z</CreationTime>
        <Outputs>${output('StatsTableName', 'monitor-stats-renamed')}${output('ChecksTableName', 'monitor-checks')}${output('DiagnoseFunctionName', 'dts-prod-diagnose')}</Outputs>
      </member></Stacks></DescribeStacksResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></DescribeStacksResponse>`);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => new Promise((r) => server?.close(r)));

describe('the diagnose function, found with the tables', () => {
  it('is the stack\'s output DiagnoseFunctionName', async () => {
    const b = await locateBackend({ stack: 'monitor', endpoint, env: {}, need: ['checksTable', 'statsTable'] });
    expect(b.resources.statsTable).toBe('monitor-stats-renamed');
    expect(b.diagnoseFunction).toBe('dts-prod-diagnose');
  });

  it('is the stage\'s dts-<stage>-diagnose, from the stats table\'s name, when no stack names it', async () => {
    const b = await locateBackend({ env: { DTS_STATS_TABLE: 'dts-prod-eu-stats', DTS_CHECKS_TABLE: 'dts-prod-eu-checks' }, need: ['checksTable', 'statsTable'] });
    expect(b.diagnoseFunction).toBe('dts-prod-eu-diagnose');
  });

  it('is not guessed from a table named otherwise', async () => {
    const b = await locateBackend({ env: { DTS_STATS_TABLE: 'monitor-stats', DTS_CHECKS_TABLE: 'monitor-checks' }, need: ['checksTable', 'statsTable'] });
    expect(b.diagnoseFunction).toBeUndefined();
  });
});
