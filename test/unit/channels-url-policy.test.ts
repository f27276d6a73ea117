/**
 * Issue 20, finding 5: a channel URL names a public host. Each refused class is tried at add time
 * (the text), and at send time through a stubbed resolver, with loopback receivers only: no test
 * sends anything to a non-loopback address.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendWithRetry, type SendOptions } from '../../lib/adapters/http/send';
import { channelUrlProblem, resolvedUrlProblem, type Resolve } from '../../lib/adapters/http/url-policy';
import { notifyAllowsLoopback } from '../../lib/config/notify';

const deployed = { allowLoopback: false };
const local = { allowLoopback: true };

describe('at add time', () => {
  it.each([
    ['the metadata service', 'https://169.254.169.254/latest/meta-data/', /link-local/],
    ['the metadata service, IPv4-mapped', 'https://[::ffff:169.254.169.254]/', /link-local/],
    ['the metadata service, IPv4-mapped in hex', 'https://[::ffff:a9fe:a9fe]/', /link-local/],
    ['the metadata service, decimal', 'https://2852039166/', /link-local/],
    ['the metadata service, octal', 'https://0251.0376.0251.0376/', /link-local/],
    ['the metadata service, hex', 'https://0xa9fea9fe/', /link-local/],
    ['the metadata service, IPv6', 'https://[fd00:ec2::254]/', /unique local/],
    ['the metadata service, by name', 'https://metadata.google.internal/computeMetadata/v1/', /metadata/],
    ['a private address', 'https://10.0.0.1/hook', /private/],
    ['a private address, 192.168', 'https://192.168.1.10/hook', /private/],
    ['a private address, 172.16', 'https://172.16.0.1/hook', /private/],
    ['a link-local IPv6 address', 'https://[fe80::1]/', /link-local/],
    ['a shared address', 'https://100.64.0.1/', /shared/],
    ['the unspecified address', 'https://0.0.0.0/', /unspecified/],
    ['NAT64 of the metadata service', 'https://[64:ff9b::a9fe:a9fe]/', /reserved/],
    ['a loopback address outside the local cloud', 'http://127.0.0.1:9001/2018-06-01/runtime/invocation/next', /loopback/],
    ['a loopback address, short form', 'https://127.1/', /loopback/],
    ['a loopback IPv6 address', 'http://[::1]:9000/', /loopback/],
    ['a loopback name', 'http://localhost:9000/', /loopback/],
    ['userinfo', 'https://user:pass@hooks.example.com/x', /no user or password/],
    ['userinfo that disguises the host', 'https://hooks.slack.com@169.254.169.254/', /no user or password/],
    ['http to a public host', 'http://hooks.example.com/x', /https/],
  ])('refuses %s', (_what, url, why) => {
    expect(channelUrlProblem(url, deployed)).toMatch(why);
  });

  it('takes public https hosts, by name or address', () => {
    expect(channelUrlProblem('https://hooks.slack.com/services/T/B/x', deployed)).toBeUndefined();
    expect(channelUrlProblem('https://203.0.114.7/hook', deployed)).toBeUndefined();
    expect(channelUrlProblem('https://[2606:4700::1111]/hook', deployed)).toBeUndefined();
  });

  it('takes loopback on the local cloud, and nothing else private there either', () => {
    expect(channelUrlProblem('http://127.0.0.1:9000/x', local)).toBeUndefined();
    expect(channelUrlProblem('http://localhost:9000/x', local)).toBeUndefined();
    expect(channelUrlProblem('https://169.254.169.254/', local)).toMatch(/link-local/);
    expect(channelUrlProblem('https://10.0.0.1/', local)).toMatch(/private/);
  });

  it('never shows the URL\'s secret part', () => {
    expect(channelUrlProblem('https://u:secretpass@10.0.0.1/services/SECRETPATH', deployed)).not.toMatch(/secret|SECRET/);
    expect(channelUrlProblem('http://10.0.0.1/services/SECRETPATH', deployed)).not.toMatch(/SECRETPATH/);
  });

  it('the notifier allows loopback only on the local cloud or when told', () => {
    expect(notifyAllowsLoopback({})).toBe(false);
    expect(notifyAllowsLoopback({ AWS_ENDPOINT_URL: 'https://sqs.us-east-1.amazonaws.com' })).toBe(false);
    expect(notifyAllowsLoopback({ AWS_ENDPOINT_URL: 'http://127.0.0.1:4566' })).toBe(true);
    expect(notifyAllowsLoopback({ DTS_NOTIFY_ALLOW_LOOPBACK: 'true' })).toBe(true);
  });
});

describe('at send time, after DNS', () => {
  let server: Server;
  let port = 0;
  let hits = 0;
  beforeAll(async () => {
    server = createServer((req, res) => {
      hits++;
      req.resume();
      res.writeHead(200).end('ok');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  /** A resolver that answers what the test says, for any name. */
  const answering = (...addresses: string[]): Resolve => async () => addresses;

  it.each([
    ['the metadata service', ['169.254.169.254'], /resolves to 169\.254\.169\.254, a link-local/],
    ['the metadata service, IPv4-mapped', ['::ffff:169.254.169.254'], /link-local/],
    ['a private address among public ones', ['203.0.114.7', '10.1.2.3'], /resolves to 10\.1\.2\.3, a private/],
    ['loopback (a rebinding to the runtime API)', ['127.0.0.1'], /loopback/],
    ['a unique local IPv6 address', ['fd00:ec2::254'], /unique local/],
  ])('refuses a name that now resolves to %s, finally, without connecting', async (_what, addresses, why) => {
    expect(await resolvedUrlProblem('https://hooks.example.com/x', deployed, answering(...addresses))).toMatch(why);
    // Sent for real, with the stub for DNS: refused before any connection, so nothing goes out.
    const before = hits;
    const o: SendOptions = { attempts: 3, baseDelayMs: 1, maxWaitMs: 10, timeoutMs: 2000, sleep: async () => {}, urlPolicy: deployed, resolve: answering(...addresses) };
    const result = await sendWithRetry({ url: 'https://hooks.example.test/x', headers: {}, body: '{}' }, o);
    expect(result).toMatchObject({ ok: false, retryable: false, attempts: 1 });
    expect(result.error).toMatch(/^refused by the channel URL policy: hooks\.example\.test resolves to /);
    expect(hits).toBe(before);
  });

  it('sends when the policy allows what the name resolves to', async () => {
    const o: SendOptions = { attempts: 1, baseDelayMs: 1, maxWaitMs: 10, timeoutMs: 2000, urlPolicy: local, resolve: answering('127.0.0.1') };
    const result = await sendWithRetry({ url: `http://localhost:${port}/x`, headers: {}, body: '{}' }, o);
    expect(result).toMatchObject({ ok: true, status: 200 });
  });

  /** A resolver that answers a public address to the first question, and `then` to every later one. */
  const rebinding = (then: string): Resolve & { asked: number } => {
    const r = Object.assign(async () => (r.asked++ === 0 ? ['203.0.114.7'] : [then]), { asked: 0 });
    return r;
  };

  it.each([['127.0.0.1', /loopback/], ['169.254.169.254', /link-local/], ['::ffff:127.0.0.1', /loopback/]])(
    'refuses a name rebound to %s between the check and the connection, without connecting',
    async (then, why) => {
      let connections = 0;
      const count = (): void => { connections++; };
      server.on('connection', count);
      const resolve = rebinding(then);
      const o: SendOptions = { attempts: 3, baseDelayMs: 1, maxWaitMs: 10, timeoutMs: 2000, sleep: async () => {}, urlPolicy: deployed, resolve };
      const result = await sendWithRetry({ url: `https://rebind.example.test:${port}/x`, headers: {}, body: '{}' }, o);
      server.off('connection', count);
      // Asked twice: once by the check before the first try, once by the connection's own lookup.
      expect(resolve.asked).toBe(2);
      expect(result).toMatchObject({ ok: false, retryable: false, attempts: 1 });
      expect(result.error).toMatch(new RegExp(`^refused by the channel URL policy: rebind\\.example\\.test resolves to ${then.replace(/\./g, '\\.')}, `));
      expect(result.error).toMatch(why);
      expect(connections).toBe(0);
    },
  );

  it('connects to the address its own lookup checked', async () => {
    const before = hits;
    const resolve = Object.assign(async () => { resolve.asked++; return ['127.0.0.1']; }, { asked: 0 });
    const o: SendOptions = { attempts: 1, baseDelayMs: 1, maxWaitMs: 10, timeoutMs: 2000, urlPolicy: local, resolve };
    // A name no DNS knows: the request reaches the receiver only through the stub's answer.
    const result = await sendWithRetry({ url: `http://receiver.localhost:${port}/x`, headers: { 'x-test': '1' }, body: '{"a":1}' }, o);
    expect(result).toMatchObject({ ok: true, status: 200 });
    expect(resolve.asked).toBe(2);
    expect(hits).toBe(before + 1);
  });

  it('checks a literal address without asking DNS', async () => {
    const never: Resolve = async () => { throw new Error('asked DNS'); };
    expect(await resolvedUrlProblem(`http://127.0.0.1:${port}/x`, deployed, never)).toMatch(/loopback/);
    expect(await resolvedUrlProblem(`http://127.0.0.1:${port}/x`, local, never)).toBeUndefined();
  });
});
