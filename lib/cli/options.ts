/** Option parsers that several commands (and the standalone agent) share. */
import { InvalidArgumentError } from 'commander';
import type { LogLevel } from '../domain/model';
import { parseLevel } from '../producer/record';
import { usage } from './errors';

/** A repeatable option: each use appends. */
export const collect = (value: string, previous: string[]): string[] => [...previous, value];

export const seconds = (text: string): number => {
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a number of seconds above 0.');
  return n;
};

/** A level as typed (`warning`, `ERROR`, `30`); a usage error otherwise. */
export function levelFloor(text: string): LogLevel {
  const level = parseLevel(text);
  if (level === undefined) throw usage(`bad level ${JSON.stringify(text)}: use debug, info, warning, error, critical or a number`);
  return level;
}
