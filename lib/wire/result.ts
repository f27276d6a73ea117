/** A typed failure that names the field at fault and why. Errors at the edge are values. */
export interface WireError {
  readonly field: string;
  readonly reason: string;
}

export type Result<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: WireError };

export const ok = <T>(value: T): Result<T> => ({ ok: true, value });
export const fail = (field: string, reason: string): { ok: false; error: WireError } => ({ ok: false, error: { field, reason } });

export function describe(error: WireError): string {
  return `${error.field}: ${error.reason}`;
}
