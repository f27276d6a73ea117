import { describe, expect, it } from 'vitest';
import { TARGET_LIMITS, parseSilenceTarget } from '../../lib/domain/notification/silences';
import { MAX_HOSTNAME, MAX_MAP_KEY, MAX_MAP_VALUE } from '../../lib/wire/validate';

describe('parseSilenceTarget: only targets a beat could match', () => {
  it('keeps the limits a beat is held to (lib/wire/validate.ts)', () => {
    expect(TARGET_LIMITS).toEqual({ hostnameBytes: MAX_HOSTNAME, labelKey: MAX_MAP_KEY, labelValue: MAX_MAP_VALUE });
  });

  it('takes a host name of 255 bytes and refuses 256, counted in UTF-8 bytes', () => {
    expect(parseSilenceTarget('a'.repeat(255))).toEqual({ hostname: 'a'.repeat(255) });
    expect(parseSilenceTarget('a'.repeat(256))).toBe('a host name has at most 255 bytes; this one has 256');
    expect(parseSilenceTarget('é'.repeat(128))).toBe('a host name has at most 255 bytes; this one has 256');
  });

  it('refuses control characters (C0 and C1), which no beat carries in a name', () => {
    for (const t of ['web\u00001', 'web\u001b[31m', 'web\u0085', 'role=d\u0007b']) expect(typeof parseSilenceTarget(t)).toBe('string');
  });

  it('refuses a label or a value longer than a beat may carry', () => {
    expect(parseSilenceTarget(`${'k'.repeat(128)}=v`)).toEqual({ label: 'k'.repeat(128), value: 'v' });
    expect(typeof parseSilenceTarget(`${'k'.repeat(129)}=v`)).toBe('string');
    expect(typeof parseSilenceTarget(`role=${'v'.repeat(1025)}`)).toBe('string');
  });

  it('refuses "*" as a target, a label or a value: it reads as "everything" but would match only a host named "*"', () => {
    for (const t of ['*', ' * ', '*=prod', 'env=*']) expect(parseSilenceTarget(t)).toMatch(/"\*" is not a wildcard/);
    expect(parseSilenceTarget('web-*1')).toEqual({ hostname: 'web-*1' });
  });
});
