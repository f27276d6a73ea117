/**
 * The local cloud runs each function from an esbuild bundle made with the deploy's options
 * (tools/local/lambda/bundles.ts): built once, reused while every input is unchanged, rebuilt
 * when one changes, and never half-written for a cloud that starts beside the builder.
 */
import { copyFile, mkdir, mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEPLOY_TARGET, deployBuildOptions, functionBundles, handlerSource } from '../../tools/local/lambda/bundles';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
let service: string;

beforeAll(async () => {
  service = await mkdtemp(path.join(tmpdir(), 'dts-bundles-'));
  await mkdir(path.join(service, 'scripts'));
  await mkdir(path.join(service, 'functions'));
  await copyFile(path.join(ROOT, 'scripts', 'esbuild-plugins.cjs'), path.join(service, 'scripts', 'esbuild-plugins.cjs'));
  await writeFile(path.join(service, 'package.json'), '{"name":"fixture","private":true}');
  await writeFile(path.join(service, 'functions', 'greeting.ts'), "export const greeting = (who: string): string => `hello ${who}`;\n");
  await writeFile(path.join(service, 'functions', 'hello.ts'), "import { greeting } from './greeting';\nexport const handler = async (event: { who: string }) => greeting(event.who);\n");
});
afterAll(async () => {
  await rm(service, { recursive: true, force: true });
});

async function run(file: string, who: string): Promise<unknown> {
  // A copy under a new name: Node caches a module by its path, and each build is a new file anyway.
  const copy = `${file}.${Math.random().toString(36).slice(2)}.cjs`;
  await copyFile(file, copy);
  const mod = (await import(copy)) as { default: { handler: (e: { who: string }) => Promise<unknown> } };
  return mod.default.handler({ who });
}

describe('the functions as the local cloud runs them', () => {
  it('uses serverless.yml\'s esbuild options, but for the target', async () => {
    const yml = await readFile(path.join(ROOT, 'serverless.yml'), 'utf8');
    const block = /^ {2}esbuild:\n((?: {4}.*\n|\s*\n)+)/m.exec(yml)?.[1] ?? '';
    const setting = (name: string): string | undefined => new RegExp(`^ {4}${name}: (.+)$`, 'm').exec(block)?.[1]?.trim();
    const options = deployBuildOptions(ROOT);
    expect(setting('bundle')).toBe(String(options.bundle));
    expect(setting('minify')).toBe(String(options.minify));
    expect(setting('sourcemap')).toBe(options.sourcemap);
    expect(setting('sourcesContent')).toBe(String(options.sourcesContent));
    expect(setting('platform')).toBe(options.platform);
    expect(setting('format')).toBe(options.format);
    expect(setting('keepNames')).toBe(String(options.keepNames));
    expect(setting('mainFields')).toBe(`[${options.mainFields?.join(', ')}]`);
    expect(setting('plugins')).toBe('scripts/esbuild-plugins.cjs');
    expect(options.plugins?.map((p) => p.name)).toEqual(['zod-english-only']);
    expect(setting('target')).toBe(DEPLOY_TARGET);
    // Only these keys: one added to serverless.yml must be added to the local bundles too.
    expect([...block.matchAll(/^ {4}(\w+):/gm)].map((m) => m[1]).sort()).toEqual(
      ['bundle', 'exclude', 'format', 'keepNames', 'mainFields', 'minify', 'packager', 'platform', 'plugins', 'sourcemap', 'sourcesContent', 'target'],
    );
  });

  it('builds once, reuses the bundle while nothing changed, and rebuilds when a source changes', async () => {
    const cacheDir = path.join(service, '.cache');
    const entry = handlerSource(service, 'functions/hello.handler');
    expect(entry).toBe(path.join(service, 'functions', 'hello.ts'));

    const first = await functionBundles({ serviceDir: service, cacheDir, entries: [entry] });
    expect(first.fromCache).toBe(false);
    const bundle = first.modules.get(entry) as string;
    expect(bundle).toMatch(/hello\.cjs$/);
    expect(await run(bundle, 'dts')).toBe('hello dts');

    const again = await functionBundles({ serviceDir: service, cacheDir, entries: [entry] });
    expect(again).toMatchObject({ fromCache: true, worker: first.worker });
    expect(again.modules.get(entry)).toBe(bundle);

    // An imported file, not the entry, changes: the bundle is rebuilt and runs the new code.
    const greeting = path.join(service, 'functions', 'greeting.ts');
    await writeFile(greeting, "export const greeting = (who: string): string => `bonjour ${who}`;\n");
    const later = new Date(Date.now() + 5_000);
    await utimes(greeting, later, later);
    const rebuilt = await functionBundles({ serviceDir: service, cacheDir, entries: [entry] });
    expect(rebuilt.fromCache).toBe(false);
    expect(rebuilt.modules.get(entry)).not.toBe(bundle);
    expect(await run(rebuilt.modules.get(entry) as string, 'dts')).toBe('bonjour dts');
  }, 60_000);

  it('builds once for clouds that start at the same time', async () => {
    const cacheDir = path.join(service, '.cache-concurrent');
    const entry = handlerSource(service, 'functions/hello.handler');
    const results = await Promise.all(Array.from({ length: 3 }, () => functionBundles({ serviceDir: service, cacheDir, entries: [entry] })));
    expect(results.filter((r) => !r.fromCache)).toHaveLength(1);
    expect(new Set(results.map((r) => r.modules.get(entry))).size).toBe(1);
  }, 60_000);

  it('fails with esbuild\'s own message when a source does not compile', async () => {
    const broken = path.join(service, 'functions', 'broken.ts');
    await writeFile(broken, 'export const handler = async () => {\n');
    await expect(functionBundles({ serviceDir: service, cacheDir: path.join(service, '.cache-broken'), entries: [broken] })).rejects.toThrow(/broken\.ts.*Unexpected end of file/s);
  }, 60_000);
});
