/** Where each part writes its figures, and how it prints them. */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { machine, describeMachine, type Machine } from './machine';

export const BENCH_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** DTS_BENCH_RESULTS_DIR elsewhere: a test that runs a documented command leaves the recorded figures alone. */
export const RESULTS_DIR = process.env.DTS_BENCH_RESULTS_DIR ?? path.join(BENCH_DIR, 'results');

export interface PartResult<T> {
  readonly part: string;
  readonly command: string;
  readonly machine: Machine;
  readonly quick: boolean;
  readonly figures: T;
}

/** Write a part's figures to bench/results/<part>.json and return them. */
export function saveResult<T>(part: string, command: string, quick: boolean, figures: T): PartResult<T> {
  const result = { part, command, machine: machine(), quick, figures };
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(path.join(RESULTS_DIR, `${part}.json`), `${JSON.stringify(result, null, 2)}\n`);
  return result;
}

export function loadResult<T>(part: string): PartResult<T> | undefined {
  try {
    return JSON.parse(readFileSync(path.join(RESULTS_DIR, `${part}.json`), 'utf8')) as PartResult<T>;
  } catch {
    return undefined;
  }
}

export function header(title: string): void {
  console.log(`\n== ${title}\n   ${describeMachine()}\n`);
}

/** A plain text table: the first row is the header. */
export function table(rows: readonly (readonly (string | number)[])[]): string {
  const cells = rows.map((r) => r.map(String));
  const widths = cells[0]?.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length))) ?? [];
  const line = (r: readonly string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  return [line(cells[0] ?? []), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

export const isQuick = (argv: readonly string[] = process.argv): boolean => argv.includes('--quick');
