#!/usr/bin/env node
// The `dts` command. A built package (npm pack, npm install from git, or `npm run build` in a
// checkout) runs the one-file bundle dist/dts.mjs. A checkout runs the source through tsx
// instead when there is no bundle or when the source changed after it was built, so development
// needs no build step and never runs stale code. DTS_FROM_SOURCE=1 forces the source.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { URL } from 'node:url';

const argv = process.argv.slice(2);
if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) {
  // Answered before anything else loads: the version is all this needs.
  process.stdout.write(`${JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version}\n`);
} else {
  const bundle = new URL('../dist/dts.mjs', import.meta.url);
  const source = new URL('../lib/', import.meta.url);
  if (existsSync(bundle) && !process.env.DTS_FROM_SOURCE && !(existsSync(source) && changedSince(source, statSync(bundle).mtimeMs))) {
    await import(bundle.href);
  } else {
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
    const { register } = await import('tsx/esm/api');
    register();
    await import(new URL('cli/bin.ts', source).href);
  }
}

/** Whether any file under `dir` was modified after `since` (a checkout edited after its build). */
function changedSince(dir, since) {
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && statSync(`${entry.parentPath ?? entry.path}/${entry.name}`).mtimeMs > since) return true;
  }
  return false;
}
