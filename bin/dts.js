#!/usr/bin/env node
// The `dts` command: runs lib/cli/main.ts through tsx's loader, so it works from a fresh clone
// after `npm install`, from any directory, with no build step.
import { register } from 'tsx/esm/api';
import { URL } from 'node:url';

// The lockfile pins SDK versions that run on this Node; the SDK's notice about future releases
// needing Node 22 is noise on every command.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

register();
const { main } = await import(new URL('../lib/cli/main.ts', import.meta.url).href);
const code = await main(process.argv.slice(2));
// Exit once stdout and stderr have drained (a pipe is written asynchronously); an idle
// keep-alive socket must not hold a finished command open.
process.exitCode = code;
process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
