/**
 * The Python client's region and exit, with Debian's /usr/bin/python3 (apt-get install
 * python3-boto3 python3-protobuf; the codec comes from `npm run build`): either AWS_REGION or
 * AWS_DEFAULT_REGION is enough (Debian's botocore reads only the second), and a handler that
 * could not be made says why and leaves nothing that fails at exit.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const CLIENT = path.join(ROOT, 'clients', 'python');

function python(code: string, env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const inherited = Object.entries(process.env).filter(([k]) => !k.startsWith('AWS_') && !k.startsWith('DTS_'));
  return new Promise((resolve) => {
    const child = execFile('/usr/bin/python3', ['-c', code], {
      env: { ...Object.fromEntries(inherited), PYTHONPATH: CLIENT, AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_CONFIG_FILE: '/nonexistent', ...env },
      timeout: 30_000,
    }, (_e, stdout, stderr) => resolve({ code: child.exitCode, stdout, stderr }));
  });
}

const MAKE = `
import logging
from dts_client import DtsHandler
h = DtsHandler("region-test", queue_url="https://sqs.example.invalid/000000000000/q")
logging.getLogger().addHandler(h)
print(h._sqs.meta.region_name)
`;

describe('the Python client and the region', () => {
  it.each([['AWS_REGION'], ['AWS_DEFAULT_REGION']])('works with %s alone', async (variable) => {
    const run = await python(MAKE, { [variable]: 'eu-west-3' });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout.trim()).toBe('eu-west-3');
  });

  it('without any region says which variables to set, and nothing raises at exit', async () => {
    const run = await python(MAKE, {});
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('ValueError: dts: no AWS region: set AWS_REGION or AWS_DEFAULT_REGION');
    expect(run.stderr).not.toMatch(/AttributeError|Exception ignored/);
  });
});

describe('the Python client\'s heartbeat name', () => {
  it('is <app>@<machine> (python@<machine> without an app) unless a name is given: never the agent\'s', async () => {
    const run = await python(`
import socket
from dts_client import heartbeat_message
print(heartbeat_message(app="billing").hostname == "billing@" + socket.gethostname())
print(heartbeat_message().hostname == "python@" + socket.gethostname())
print(heartbeat_message("web-1", app="billing").hostname)
`, { AWS_REGION: 'us-east-1' });
    expect(run.stderr).toBe('');
    expect(run.stdout.split('\n')).toEqual(['True', 'True', 'web-1', '']);
  });
});
