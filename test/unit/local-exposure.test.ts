/** Issue 20, finding 8: `npm start --host` on a non-loopback address warns that nothing there asks who is calling. */
import { describe, expect, it } from 'vitest';
import { exposureWarning } from '../../tools/local/exposure';

describe('npm start --host', () => {
  it.each(['127.0.0.1', '127.0.0.2', '::1', '[::1]', 'localhost'])('is quiet on loopback (%s)', (host) => {
    expect(exposureWarning(host, 4566)).toBeUndefined();
  });

  it.each([['0.0.0.0', 'every interface'], ['::', 'every interface'], ['192.168.1.20', '192.168.1.20'], ['devbox.lan', 'devbox.lan (a name)']])('warns on %s', (host, where) => {
    expect(exposureWarning(host, 4566)).toBe(`dts local: WARNING: listening on ${where}, port 4566: the local cloud has no authentication, so anyone who can reach it `
      + 'reads and writes every table, queue and SSM parameter (channel secrets included). Use --host 127.0.0.1 unless this network is yours alone.');
  });
});
