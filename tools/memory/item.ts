import { createHash } from 'node:crypto';

/** An item as DynamoDB holds it: attributes by name. */
export type Item = Record<string, unknown>;

/**
 * A deep copy, so that nothing a caller holds aliases what is stored (DynamoDB marshals every
 * value on the way in and out), without undefined attributes: the document client drops them
 * (`removeUndefinedValues`, lib/adapters/clients.ts).
 */
export function copy<T>(value: T): T {
  if (value instanceof Set) return new Set([...value].map(copy)) as T;
  if (Array.isArray(value)) return value.filter((v) => v !== undefined).map(copy) as T;
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined).map(([k, v]) => [k, copy(v)])) as T;
  }
  return value;
}

/** Where a key falls in a Scan's order: stable, and spread like DynamoDB's hashing. */
export function hashOf(key: string): string {
  return createHash('md5').update(key).digest('hex');
}

/** Which of `total` scan segments a key falls in. */
export function segmentOf(key: string, total: number): number {
  return Number.parseInt(hashOf(key).slice(0, 8), 16) % total;
}
