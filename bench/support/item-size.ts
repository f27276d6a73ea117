/**
 * DynamoDB's item size rule (names plus values; numbers about 1 byte per 2 digits plus 1; maps
 * and lists 3 bytes plus 1 per element), which decides write units (1 KiB) and read units
 * (4 KiB). Used to check what the engine reports, and where it reports nothing.
 */
export function attributeBytes(value: unknown): number {
  if (value === null || value === undefined) return 1;
  if (typeof value === 'string') return Buffer.byteLength(value);
  if (typeof value === 'number') return Math.ceil(String(Math.abs(value)).replace(/[.-]/g, '').replace(/^0+/, '').length / 2) + 1;
  if (typeof value === 'boolean') return 1;
  // A set (number or string set) is the sum of its members.
  if (value instanceof Set) return [...value].reduce((a: number, v) => a + attributeBytes(v), 0);
  if (Array.isArray(value)) return 3 + value.reduce((a: number, v) => a + 1 + attributeBytes(v), 0);
  if (typeof value === 'object') {
    return 3 + Object.entries(value as Record<string, unknown>).reduce((a, [k, v]) => a + 1 + Buffer.byteLength(k) + attributeBytes(v), 0);
  }
  return Buffer.byteLength(String(value));
}

export function itemBytes(item: Record<string, unknown>): number {
  return Object.entries(item).reduce((a, [k, v]) => a + Buffer.byteLength(k) + attributeBytes(v), 0);
}
