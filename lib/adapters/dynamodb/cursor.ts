/**
 * Opaque page cursors. A cursor is what the store needs to resume (a sort key, a hostname),
 * wrapped so that clients treat it as a token and a mangled one is refused with a clear error
 * instead of silently restarting the list.
 */
export function encodeCursor(position: string): string {
  return Buffer.from(JSON.stringify({ v: 1, p: position })).toString('base64url');
}

export class BadCursor extends Error {
  constructor() {
    super('the `next` cursor is not one this API gave out: start again without it');
    this.name = 'BadCursor';
  }
}

export function decodeCursor(token: string | undefined): string | undefined {
  if (token === undefined || token === '') return undefined;
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { v?: unknown; p?: unknown };
    if (parsed.v === 1 && typeof parsed.p === 'string' && parsed.p !== '') return parsed.p;
  } catch {
    // fall through
  }
  throw new BadCursor();
}

export function nextOf(position: string | undefined): string | null {
  return position === undefined ? null : encodeCursor(position);
}
