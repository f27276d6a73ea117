/**
 * Issue 20, finding 7: the console's page gets a real Content-Security-Policy (its inline script
 * and style by hash, nothing else), and every API answer carries `nosniff`.
 * test/e2e/console.test.ts runs the page under this policy in Chromium.
 */
import { createHash } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildApi } from '../../lib/api/app';
import type { ApiDeps } from '../../lib/api/deps';
import { loadConfig } from '../../lib/config';
import { PAGE_ASSETS } from '../../lib/console/generated/assets';
import { MemoryHosts, MemoryKeys, MemoryLogs, MemoryNotifications, MemoryReports, MemorySilences, MemoryStats } from '../../tools/memory';

const NOW = Date.parse('2026-11-20T10:00:00Z');
const keys = new MemoryKeys();
const hosts = new MemoryHosts(5);
const reports = new MemoryReports();
const deps: ApiDeps = {
  keys, hosts, hostPages: hosts, notifications: new MemoryNotifications(), logs: new MemoryLogs(), silences: new MemorySilences(),
  reports, reportPages: reports, liveness: loadConfig({}).liveness, hostCounts: new MemoryStats(), extraOrigins: [], now: () => NOW,
};
const app = buildApi(deps, PAGE_ASSETS);
let read = '';
beforeAll(async () => {
  read = (await keys.create('read', 'reader', NOW)).token;
});

const get = (path: string, key?: string) => app.request(path, { headers: { host: 'console.example', ...(key ? { authorization: `Bearer ${key}` } : {}) } });

describe('the console page\'s policy', () => {
  it('runs only the page\'s own inline script and style, by hash', async () => {
    const res = await get('/');
    const html = await res.text();
    const csp = res.headers.get('content-security-policy') ?? '';
    const directive = (name: string): string[] => csp.split(';').map((d) => d.trim().split(/\s+/)).find((d) => d[0] === name)?.slice(1) ?? [];
    const script = /<script\b[^>]*>([^]*?)<\/script>/.exec(html)?.[1] ?? '';
    expect(script.length).toBeGreaterThan(1000);
    expect(directive('script-src')).toEqual(["'self'", `'sha256-${createHash('sha256').update(script).digest('base64')}'`]);
    expect(directive('default-src')).toEqual(["'none'"]);
    expect(directive('object-src')).toEqual(["'none'"]);
    expect(directive('base-uri')).toEqual(["'none'"]);
    expect(directive('connect-src')).toEqual(["'self'"]);
    expect(directive('frame-ancestors')).toEqual(["'none'"]);
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|\*/);
  });
});

describe('nosniff', () => {
  it.each([
    ['a JSON answer', '/api/v1/hosts', true, 200],
    ['a refusal without a key', '/api/v1/hosts', false, 401],
    ['an unknown route', '/api/v1/nowhere', true, 404],
    ['the OpenAPI document', '/api/v1/openapi.json', true, 200],
    ['the page', '/', false, 200],
  ] as const)('is on %s', async (_what, path, withKey, status) => {
    const res = await get(path, withKey ? read : undefined);
    expect(res.status).toBe(status);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  });
});
