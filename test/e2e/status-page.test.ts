/**
 * A status page in a real browser: Debian's chromium driven by playwright-core against the
 * local cloud process (`npm start`), which serves the page through the packaged template's HTTP
 * API route as Lambda receives it. The page has no script: each look is a fresh load, as a
 * viewer's reload. A browser that cannot start fails the test: there is no skip.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliIn } from '../support/cli';
import { ROOT, startCloudProcess, type CloudProcess } from './support/local-cloud-process';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = path.join(ROOT, 'test', 'artifacts');
const FLEET: Record<string, string> = { 'web-a': 'web', 'web-b': 'web', 'db-a': 'db', 'db-b': 'db' };
const VICTIM = 'web-b';

let cloud: CloudProcess;
let browser: BrowserContext;
let page: Page;
let sqs: SQSClient;
let beating: NodeJS.Timeout | undefined;
let dirs: string[] = [];
const silent = new Set<string>();

async function beat(queueUrl: string): Promise<void> {
  await sqs.send(new SendMessageBatchCommand({
    QueueUrl: queueUrl,
    Entries: Object.entries(FLEET).filter(([h]) => !silent.has(h)).map(([hostname, role], i) => ({
      Id: String(i), MessageBody: JSON.stringify({ hostname, timestamp: Date.now() / 1000, interval: 5, labels: { role } }),
    })),
  }));
}

/** Generous: each new execution environment of the API function is a cold start, seconds on a loaded machine. */
async function until<T>(what: string, probe: () => Promise<T | undefined | false>, ms = 90_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v) return v;
    if (Date.now() > deadline) {
      await mkdir(ARTIFACTS, { recursive: true });
      await page?.screenshot({ path: path.join(ARTIFACTS, 'status-page-failure.png'), fullPage: true }).catch(() => undefined);
      throw new Error(`timed out waiting for ${what}; the page is in test/artifacts/status-page-failure.png, the cloud said:\n${cloud?.output().slice(-3000)}`);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** Load the page afresh and read each group's state. */
async function states(): Promise<Record<string, string | null>> {
  await page.goto(`${cloud.endpoint}/status/public`, { waitUntil: 'domcontentloaded' });
  const groups = page.locator('section.group');
  const out: Record<string, string | null> = {};
  for (let i = 0; i < await groups.count(); i++) out[await groups.nth(i).getAttribute('data-group') as string] = await groups.nth(i).getAttribute('data-state');
  return out;
}

beforeAll(async () => {
  const data = await mkdtemp(path.join(tmpdir(), 'dts-status-'));
  const profile = await mkdtemp(path.join(tmpdir(), 'dts-chromium-'));
  dirs = [data, profile];
  browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1000, height: 900 },
    javaScriptEnabled: false,
  });
  browser.setDefaultTimeout(90_000);
  cloud = await startCloudProcess({ dataDir: data, inMemory: true, tick: 1, extraArgs: ['--quiet'] });
  const queueUrl = /(http:\/\/\S+\/000000000000\/dts-local-heartbeats)\s/.exec(cloud.output())?.[1] as string;
  sqs = new SQSClient({ endpoint: cloud.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  await beat(queueUrl);
  beating = setInterval(() => void beat(queueUrl).catch(() => undefined), 2500);
  page = browser.pages()[0] ?? await browser.newPage();
}, 120_000);

afterAll(async () => {
  if (beating) clearInterval(beating);
  sqs?.destroy();
  await browser?.close();
  await cloud?.stop();
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe('a status page in a browser', () => {
  it('is made with the CLI and shows both groups operational, with 90 bars each, without a script', { timeout: 180_000 }, async () => {
    const env = { AWS_ENDPOINT_URL: cloud.endpoint, AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' };
    Object.assign(process.env, env);
    const dts = cliIn(() => env);
    await until('every host stored', async () => {
      const r = await dts('hosts', '--json');
      return r.code === 0 && (JSON.parse(r.out) as unknown[]).length === Object.keys(FLEET).length;
    });
    const made = await dts('status-pages', 'add', 'public', '--title', 'Acme status', '--group', 'Web=role=web', '--group', 'Database=role=db');
    expect(made.code, made.err).toBe(0);
    // Today's bar has a figure once the page has counted some time (the view speaks for whole minutes).
    await until('both groups operational, with a figure for today', async () => {
      const s = await states();
      const today = await page.locator('section[data-group="web"] ol.bars li').last().getAttribute('title');
      return s.web === 'operational' && s.database === 'operational' && /%$/.test(today ?? '');
    });
    expect(await page.locator('h1').textContent()).toBe('Acme status');
    expect(await page.locator('script').count()).toBe(0);
    for (const g of ['web', 'database']) {
      const bars = page.locator(`section[data-group="${g}"] ol.bars li`);
      expect(await bars.count()).toBe(90);
      expect(await bars.last().getAttribute('title')).toMatch(/^\d{4}-\d{2}-\d{2}: 100%$/);
      expect(await bars.first().getAttribute('title')).toMatch(/: no data$/);
    }
    expect(await page.locator('[role=status]').textContent()).toBe('All systems operational');
  });

  it('turns the web group degraded after a member dies, the database group still operational', { timeout: 180_000 }, async () => {
    silent.add(VICTIM);
    await until('the web group degraded', async () => {
      const s = await states();
      return s.web === 'degraded' && s.database === 'operational';
    });
    expect(await page.locator('section[data-group="web"] .state').textContent()).toBe('Degraded');
    expect(await page.locator('[role=status]').textContent()).toBe('Some systems degraded');
    expect(await page.locator('ul.incidents li').first().textContent()).toMatch(/^Web degraded from .* UTC, ongoing$/);
    expect(await page.content()).not.toContain(VICTIM);
    // The view speaks for whole minutes: today's bar loses the dead member's time from the next one.
    await until("today's web bar under 100%", async () => {
      await page.reload({ waitUntil: 'domcontentloaded' });
      const today = await page.locator('section[data-group="web"] ol.bars li').last().getAttribute('title');
      return Number(/: ([\d.]+)%$/.exec(today ?? '')?.[1]) < 100;
    });
    expect(await page.locator('section[data-group="database"] ol.bars li').last().getAttribute('title')).toMatch(/: 100%$/);
    const badge = await fetch(`${cloud.endpoint}/badge/public/web.svg`);
    expect(badge.headers.get('content-type')).toMatch(/^image\/svg\+xml/);
    expect(await badge.text()).toContain('aria-label="Web: degraded"');
  });

  it('follows the viewer\'s light or dark preference', { timeout: 60_000 }, async () => {
    const background = async (scheme: 'light' | 'dark') => {
      await page.emulateMedia({ colorScheme: scheme });
      return page.locator('body').evaluate((body) => (globalThis as unknown as { getComputedStyle(e: unknown): { backgroundColor: string } }).getComputedStyle(body).backgroundColor);
    };
    expect(await background('light')).toBe('rgb(255, 255, 255)');
    expect(await background('dark')).toBe('rgb(13, 17, 23)');
    await mkdir(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS, 'status-page-dark.png'), fullPage: true });
    await page.emulateMedia({ colorScheme: 'light' });
    await page.screenshot({ path: path.join(ARTIFACTS, 'status-page.png'), fullPage: true });
  });
});
