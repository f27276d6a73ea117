/**
 * The `dts` program. bin/dts.js runs the bundle of this file (dist/dts.cjs) when the package is
 * built, and this file through tsx in a checkout. `--version` answers before the commands, and
 * the AWS SDK they carry, are loaded: in the bundle they are evaluated only when imported.
 */
import { exitWhenDrained, quietSdkNodeWarning } from './exit';
import { VERSION } from './version';

quietSdkNodeWarning();
const argv = process.argv.slice(2);
if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) {
  process.stdout.write(`${VERSION}\n`);
} else {
  void import('./main').then(async ({ main }) => exitWhenDrained(await main(argv)));
}
