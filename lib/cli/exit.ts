/**
 * How a dts program ends: once stdout and stderr have drained (a pipe is written
 * asynchronously), and without waiting for an idle keep-alive socket to let go.
 */
export function exitWhenDrained(code: number): void {
  process.exitCode = code;
  process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
}

export { quietSdkNodeWarning } from '../producer/sdk-warning';
