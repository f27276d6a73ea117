import type { LogLevel } from '../domain/model';

const WORD = /\b(DEBUG|INFO|NOTICE|WARN|WARNING|ERROR|ERR|CRITICAL|CRIT|FATAL|EMERG|ALERT)\b/i;
const LEVELS: Record<string, LogLevel> = {
  debug: 10, info: 20, notice: 20, warn: 30, warning: 30, error: 40, err: 40, critical: 50, crit: 50, fatal: 50, emerg: 50, alert: 50,
};

/**
 * The level a plain-text line announces about itself, from the first level word in its first
 * 80 characters (where timestamps and level columns live); undefined when it names none.
 */
export function levelOfLine(line: string): LogLevel | undefined {
  const m = WORD.exec(line.slice(0, 80));
  return m?.[1] ? LEVELS[m[1].toLowerCase()] : undefined;
}
