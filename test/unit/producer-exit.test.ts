/** The producer flushes when its program ends, and leaves the ending to the program. */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startFauxqs, type FauxqsServer } from 'fauxqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeBody } from '../../lib/wire/codec';

const producerModule = fileURLToPath(new URL('../../lib/producer/index.ts', import.meta.url));
let server: FauxqsServer;
let n = 0;

beforeAll(async () => {
  server = await startFauxqs({ port: 0, logger: false });
});
afterAll(async () => {
  await server?.stop();
});

/** Run `body` in a child program that has made a producer `p`; resolve with how it ended. */
function child(body: string): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string; queue: string }> {
  const queue = `exit-${++n}`;
  const { queueUrl } = server.createQueue(queue);
  const script = `
    const { createProducer } = await import(${JSON.stringify(producerModule)});
    const p = createProducer({
      logsQueueUrl: ${JSON.stringify(queueUrl)}, app: 'exit-test', lingerMs: 60000,
      endpoint: 'http://127.0.0.1:${server.port}', region: 'us-east-1', credentials: { accessKeyId: 't', secretAccessKey: 't' },
    });
    ${body}`;
  return new Promise((resolve, reject) => {
    const c = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    c.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    c.on('error', reject);
    c.on('exit', (code, signal) => resolve({ code, signal, stdout, stderr, queue }));
  });
}

function texts(queue: string): string[] {
  return (server.inspectQueue(queue)?.messages.ready ?? []).flatMap((m) => {
    const d = decodeBody('dts.LogBatch', m.body);
    return d.ok ? d.value.records.map((r) => r.text ?? '') : [];
  });
}

describe('flush on exit', () => {
  it('sends what is buffered when the program simply ends', async () => {
    const r = await child(`p.log('one'); p.log('two'); p.log('three');`);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(texts(r.queue)).toEqual(['one', 'two', 'three']);
  });

  it('on SIGTERM with no handler of the program\'s, flushes and then dies of the signal', async () => {
    const r = await child(`
      setInterval(() => {}, 1000);
      p.log('before the signal');
      setTimeout(() => process.kill(process.pid, 'SIGTERM'), 50);`);
    expect(r.signal).toBe('SIGTERM');
    expect(texts(r.queue)).toEqual(['before the signal']);
  });

  it('on SIGTERM with the program\'s own handler, flushes and lets that handler decide', async () => {
    const r = await child(`
      setInterval(() => {}, 1000);
      process.on('SIGTERM', () => { console.log('my handler'); setTimeout(() => process.exit(7), 1000); });
      p.log('mine');
      setTimeout(() => process.kill(process.pid, 'SIGTERM'), 50);`);
    expect(r.code).toBe(7);
    expect(r.stdout).toBe('my handler\n');
    expect(texts(r.queue)).toEqual(['mine']);
  });
});
