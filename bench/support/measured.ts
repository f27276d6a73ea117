/** bench/measured.json: the counted inputs of the cost model, each part filling in its own. */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { MeasuredInputs } from '../../tools/cost/model';
import { BENCH_DIR } from './report';

export const MEASURED_FILE = path.join(BENCH_DIR, 'measured.json');

export function readMeasured(): MeasuredInputs {
  return JSON.parse(readFileSync(MEASURED_FILE, 'utf8')) as MeasuredInputs;
}

export function mergeMeasured(update: Partial<MeasuredInputs>): void {
  let current: Partial<MeasuredInputs> = {};
  try {
    current = readMeasured();
  } catch {
    // First part to run: start empty.
  }
  writeFileSync(MEASURED_FILE, `${JSON.stringify({ ...current, ...update }, null, 2)}\n`);
}
