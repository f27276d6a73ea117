import type { Log } from '../app/log';
import type { Context } from './context';

/**
 * Where the services a command runs (diagnose, report) report: warnings and errors on stderr,
 * and with `verbose` their progress too. Stdout stays the command's own output.
 */
export function stderrLog(ctx: Context, verbose = false): Log {
  const line = (prefix: string) => (message: string, ...extra: Record<string, unknown>[]) => {
    const details = Object.assign({}, ...extra) as Record<string, unknown>;
    ctx.io.err(`${prefix}${message}${Object.keys(details).length ? ` ${JSON.stringify(details)}` : ''}\n`);
  };
  return {
    // A pass in which nothing changed logs at DEBUG; --verbose still shows it.
    debug: verbose ? line('') : () => {},
    info: verbose ? line('') : () => {},
    warn: line('warning: '),
    error: line('error: '),
  };
}
