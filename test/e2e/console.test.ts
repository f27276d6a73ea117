/**
 * The console in a real browser: Debian's chromium driven by playwright-core against `npm start`
 * (the local cloud, which runs the API function from the packaged template's HTTP API as Lambda
 * receives it). A browser that cannot start fails the test: there is no skip.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { SendMessageBatchCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, startCloudProcess, type CloudProcess } from './support/local-cloud-process';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = path.join(ROOT, 'test', 'artifacts');
const FLEET = Array.from({ length: 12 }, (_, i) => `web-${String(i).padStart(2, '0')}`);
const VICTIM = 'web-03';

let cloud: CloudProcess;
let key: string;
let browser: BrowserContext;
let page: Page;
let sqs: SQSClient;
let beating: NodeJS.Timeout | undefined;
const silent = new Set<string>();
/** What Chromium said the page's Content-Security-Policy blocked: nothing, or the page is broken. */
const violations: string[] = [];
let dirs: string[] = [];

async function beat(queueUrl: string): Promise<void> {
  const hosts = FLEET.filter((h) => !silent.has(h));
  for (let i = 0; i < hosts.length; i += 10) {
    await sqs.send(new SendMessageBatchCommand({
      QueueUrl: queueUrl,
      Entries: hosts.slice(i, i + 10).map((hostname, j) => ({
        Id: String(j),
        MessageBody: JSON.stringify({
          hostname, timestamp: Date.now() / 1000, interval: 5, labels: { role: Number(hostname.slice(4)) % 3 === 0 ? 'db' : 'web' },
          cpu: { percent: 10 + (j * 7) % 80 }, mem: { percent: 40 }, disk: { percent: hostname === 'web-07' ? 93 : 50 },
          // As the agent does: its running peaks of the hour (the 24-hour sparklines show them).
          ...(hostname === 'web-07' ? { hourPeaks: { hour: Math.floor(Date.now() / 3_600_000), disk: 97 } } : {}),
        }),
      })),
    }));
  }
}

/** Generous: each new execution environment of the API function is a cold start, seconds on a loaded machine. */
async function until<T>(what: string, probe: () => Promise<T | undefined | false>, ms = 90_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v) return v;
    if (Date.now() > deadline) {
      // What the page showed, for the failure's artifact.
      await mkdir(ARTIFACTS, { recursive: true });
      await page?.screenshot({ path: path.join(ARTIFACTS, 'console-failure.png'), fullPage: true }).catch(() => undefined);
      throw new Error(`timed out waiting for ${what}; the page is in test/artifacts/console-failure.png, the cloud said:\n${cloud?.output().slice(-3000)}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

beforeAll(async () => {
  const data = await mkdtemp(path.join(tmpdir(), 'dts-console-'));
  const profile = await mkdtemp(path.join(tmpdir(), 'dts-chromium-'));
  dirs = [data, profile];
  // Start the browser first: if it cannot start, the test fails here, before anything else.
  browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1400, height: 900 },
  });
  browser.setDefaultTimeout(90_000);
  cloud = await startCloudProcess({ dataDir: data, inMemory: true, tick: 1, extraArgs: ['--quiet'] });
  key = await until('the printed key', async () => /key\s+(dts_\S+)/.exec(cloud.output())?.[1]);
  const queueUrl = /(http:\/\/\S+\/000000000000\/dts-local-heartbeats)\s/.exec(cloud.output())?.[1] as string;
  sqs = new SQSClient({ endpoint: cloud.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  await beat(queueUrl);
  beating = setInterval(() => void beat(queueUrl).catch(() => undefined), 2500);
  page = browser.pages()[0] ?? await browser.newPage();
  browser.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) violations.push(m.text());
  });
}, 120_000);

afterAll(async () => {
  if (beating) clearInterval(beating);
  sqs?.destroy();
  await browser?.close();
  await cloud?.stop();
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe('the console page', () => {
  it('asks for a key, then shows the fleet', { timeout: 180_000 }, async () => {
    await page.goto(`${cloud.endpoint}/?refresh=1`, { waitUntil: 'domcontentloaded' });
    await page.fill('input[name=key]', key);
    await page.click('button[type=submit]');
    await until('every host on the page', async () => (await page.locator('tr.host').count()) >= FLEET.length);
    for (const h of FLEET) expect(await page.locator(`tr[data-host="${h}"]`).count()).toBe(1);
    expect(await page.locator('tr.group').allTextContents()).toEqual(expect.arrayContaining([expect.stringMatching(/^role=db/), expect.stringMatching(/^role=web/)]));
    expect(await page.locator('tr[data-host="web-07"] td.res.critical .pct').textContent()).toBe('93%');
    // Its sparkline, from the hour ring: this hour (the host's first) drawn across the whole box
    // as a step at the agent's peak (97 %, not the last reading), not a dot at its edge.
    const spark = page.locator('tr[data-host="web-07"] svg.spark.disk');
    expect(Number(await spark.getAttribute('data-points'))).toBe(1);
    expect(await spark.locator('path').getAttribute('d')).toBe(`M0.0 ${(1 + 12 * 0.03).toFixed(1)}H48.0`);
    const box = await spark.locator('path').boundingBox();
    expect(box?.width).toBeGreaterThanOrEqual(44);
    expect(await spark.getAttribute('aria-label')).toMatch(/^disk, last 1 h: peak 97% at /);
    // Marks the document: a reload would lose it.
    await page.evaluate(() => { (globalThis as unknown as { loadedOnce: boolean }).loadedOnce = true; });
  });

  it('shows a host die without a reload', { timeout: 120_000 }, async () => {
    silent.add(VICTIM);
    await until('the victim to turn dead on the page', async () => {
      const cls = await page.locator(`tr[data-host="${VICTIM}"]`).getAttribute('class');
      return cls?.includes('dead') ?? false;
    });
    await until('the dead count', async () => Number(await page.locator('.count[data-state="dead"] b').textContent()) >= 1);
    expect(await page.evaluate(() => (globalThis as unknown as { loadedOnce?: boolean }).loadedOnce)).toBe(true);
    await until('the host-down notification in the feed', async () => (await page.locator('.feed li', { hasText: `${VICTIM} host-down` }).count()) > 0);
  });

  it('creates a silence from the form, and the host shows as silenced', { timeout: 120_000 }, async () => {
    await page.fill('form.silence input[name=target]', VICTIM);
    await page.fill('form.silence input[name=minutes]', '30');
    await page.fill('form.silence input[name=reason]', 'browser test');
    await page.click('form.silence button[type=submit]');
    await until('the silence in the list', async () => (await page.locator('.silences li', { hasText: 'browser test' }).count()) === 1);
    await until('the silenced mark on the host', async () => (await page.locator(`tr[data-host="${VICTIM}"] .mark.silenced`).count()) === 1);
    await until('the silenced count', async () => (await page.locator('.count[data-state="silenced"] b').textContent()) === '1');
    // The API agrees: the silence is stored and covers the host.
    const res = await fetch(`${cloud.endpoint}/api/v1/hosts/${VICTIM}`, { headers: { authorization: `Bearer ${key}` } });
    expect(((await res.json()) as { host: { silencedBy?: string } }).host.silencedBy).toMatch(/^[0-9a-f]{10}$/);
    expect(await page.evaluate(() => (globalThis as unknown as { loadedOnce?: boolean }).loadedOnce)).toBe(true);

    await mkdir(ARTIFACTS, { recursive: true });
    const shot = path.join(ARTIFACTS, 'console.png');
    await page.screenshot({ path: shot, fullPage: true });
    expect((await import('node:fs')).statSync(shot).size).toBeGreaterThan(10_000);
  });

  it('shows a check and its state: a job that exited 3 turns failed, with its exit status', { timeout: 120_000 }, async () => {
    const env = { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('DTS_'))), AWS_ENDPOINT_URL: cloud.endpoint, NO_COLOR: '1' };
    const added = await promisify(execFile)(process.execPath, [path.join(ROOT, 'bin', 'dts.js'), 'checks', 'add', 'nightly-backup', '--every', '1h', '--grace', '10m', '--json'], { cwd: tmpdir(), env });
    const { key: pingKey } = JSON.parse(added.stdout) as { key: string };
    await until('the new check on the page', async () => (await page.locator('tr[data-check="nightly-backup"]').count()) === 1);
    expect(await page.locator('tr[data-check="nightly-backup"] td.state').textContent()).toBe('new');
    expect(await page.locator('tr[data-check="nightly-backup"]').textContent()).toContain('never');

    const ping = await fetch(`${cloud.endpoint}/ping/${pingKey}/3`, { method: 'POST', body: 'disk full' });
    expect(ping.status).toBe(200);
    // Judged by the next diagnose pass (one a second here), then shown without a reload.
    await until('the check failed on the page', async () => (await page.locator('tr[data-check="nightly-backup"]').getAttribute('class'))?.includes('failed') ?? false);
    const cells = await page.locator('tr[data-check="nightly-backup"] td').allTextContents();
    expect(cells.slice(0, 3)).toEqual(['nightly-backup', 'failed', expect.stringMatching(/^fail \d+s ago$/)]);
    expect(cells[5]).toBe('3');
    expect(await page.locator('section.checks tbody tr').first().getAttribute('data-check')).toBe('nightly-backup');
    expect(await page.evaluate(() => (globalThis as unknown as { loadedOnce?: boolean }).loadedOnce)).toBe(true);
  });

  it('lists a log rule, and shows it firing once its app logs enough errors', { timeout: 180_000 }, async () => {
    const made = await fetch(`${cloud.endpoint}/api/v1/rules`, {
      method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'shop-errors', app: 'shop', level: 'error', count: 3, within: '1m' }),
    });
    expect(made.status).toBe(201);
    await until('the rule in the list', async () => (await page.locator('.rules li[data-rule="shop-errors"]').count()) === 1);
    expect(await page.locator('.rules li[data-rule="shop-errors"] .mark.firing').count()).toBe(0);
    // Errors on the logs queue, as a producer sends them, a batch every few seconds until ingest
    // (which reads the rules again within 30 s) has counted them and a pass has judged.
    const logsUrl = /(http:\/\/\S+\/000000000000\/dts-local-logs)\s/.exec(cloud.output())?.[1] as string;
    let sentAt = 0;
    await until('the rule firing on the page', async () => {
      if (Date.now() - sentAt > 5_000) {
        sentAt = Date.now();
        await sqs.send(new SendMessageCommand({
          QueueUrl: logsUrl,
          MessageBody: JSON.stringify({ records: [1, 2, 3].map((i) => ({ app: 'shop', hostname: 'web-01', timestamp: sentAt / 1000, level: 40, text: `checkout ${i} failed` })) }),
          MessageAttributes: { 'dts-type': { DataType: 'String', StringValue: 'dts.LogBatch' } },
        }));
      }
      return (await page.locator('.rules li[data-rule="shop-errors"] .mark.firing').count()) === 1;
    }, 150_000);
  });

  it('has a favicon, linked from the page and at /favicon.ico', async () => {
    const res = await fetch(`${cloud.endpoint}/favicon.ico`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/svg+xml');
    expect(await res.text()).toMatch(/^<svg /);
    expect(await page.locator('link[rel=icon]').getAttribute('href')).toBe('/favicon.ico');
  });

  it('groups by nothing once no label is on half the hosts', { timeout: 120_000 }, async () => {
    // Thirteen hosts without labels beside the twelve with a role: role is on fewer than half.
    await sqs.send(new SendMessageBatchCommand({
      QueueUrl: /(http:\/\/\S+\/000000000000\/dts-local-heartbeats)\s/.exec(cloud.output())?.[1] as string,
      Entries: Array.from({ length: 10 }, (_, i) => ({ Id: String(i), MessageBody: JSON.stringify({ hostname: `bare-${i}`, timestamp: Date.now() / 1000, interval: 3600 }) })),
    }));
    await sqs.send(new SendMessageBatchCommand({
      QueueUrl: /(http:\/\/\S+\/000000000000\/dts-local-heartbeats)\s/.exec(cloud.output())?.[1] as string,
      Entries: Array.from({ length: 3 }, (_, i) => ({ Id: String(i), MessageBody: JSON.stringify({ hostname: `bare-${10 + i}`, timestamp: Date.now() / 1000, interval: 3600 }) })),
    }));
    await until('the unlabelled hosts on the page', async () => (await page.locator('tr.host').count()) >= FLEET.length + 13);
    await until('no group rows', async () => (await page.locator('tr.group').count()) === 0);
    expect(await page.locator('.toolbar select').inputValue()).toBe('');
  });

  it('refuses a wrong key and asks again', { timeout: 120_000 }, async () => {
    // The profile's storage is shared by its tabs, and a tab that meets a 401 forgets the key:
    // the first tab is closed, and this one holds the wrong key before any of its scripts runs
    // (a key changed under a running page could be forgotten by its refresh before a reload).
    await page.close();
    const other = await browser.newPage();
    await other.addInitScript((wrong) => (globalThis as unknown as { localStorage: { setItem(k: string, v: string): void } }).localStorage.setItem('dts.apiKey', wrong),
      'dts_000000000000_' + 'x'.repeat(43));
    await other.goto(`${cloud.endpoint}/`);
    await until('the key form again', async () => (await other.locator('input[name=key]').count()) === 1 && (await other.locator('.error').count()) === 1);
    expect(await other.locator('.error').textContent()).toMatch(/unknown or revoked/);
    await other.close();
  });

  it('signs in with #key= in the address, and takes the key out of the address bar and the history', { timeout: 120_000 }, async () => {
    const tab = await browser.newPage();
    await tab.goto(`${cloud.endpoint}/?refresh=1#key=${encodeURIComponent(key)}`);
    await until('the fleet, without the key form', async () => (await tab.locator('tr.host').count()) >= FLEET.length);
    expect(await tab.locator('input[name=key]').count()).toBe(0);
    expect(tab.url()).toBe(`${cloud.endpoint}/?refresh=1`);
    expect(await tab.evaluate(() => (globalThis as unknown as { location: { hash: string } }).location.hash)).toBe('');
    // The entry was replaced, not pushed: Back goes to the page before, never to the key's address.
    await tab.goBack();
    expect(tab.url()).not.toContain('key=');
    await tab.close();
  });

  it('runs under its Content-Security-Policy and breaks none of it', async () => {
    const res = await fetch(`${cloud.endpoint}/`);
    expect(res.headers.get('content-security-policy')).toMatch(/script-src 'self' 'sha256-[^;]+; style-src/);
    expect(violations).toEqual([]);
  });
});
