/**
 * Quiet by default: a function with nothing to count prints no Powertools "No application metrics
 * to publish" warning, and in tests the handlers' metrics stay out of the output, under a named
 * service (never "service_undefined").
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { publishIfAny, publishMetrics } from '../../functions/commons/metrics';

function captured(): { text: () => string } {
  const lines: string[] = [];
  const keep = (chunk: unknown): boolean => (lines.push(String(chunk)), true);
  vi.spyOn(process.stdout, 'write').mockImplementation(keep);
  vi.spyOn(process.stderr, 'write').mockImplementation(keep);
  for (const m of ['log', 'warn', 'info', 'error'] as const) vi.spyOn(console, m).mockImplementation((...a: unknown[]) => void lines.push(a.join(' ')));
  return { text: () => lines.join('') };
}

afterEach(() => vi.restoreAllMocks());

describe('metrics, quietly', () => {
  it('an invocation with nothing to count publishes nothing and warns of nothing', () => {
    const out = captured();
    publishMetrics([]);
    publishIfAny(new Metrics({ namespace: 'dts', serviceName: 'notifier' }));
    expect(out.text()).toBe('');
  });

  it('tests run with a service name and keep EMF lines out of their output', () => {
    expect(process.env.POWERTOOLS_SERVICE_NAME).toBe('dts-test');
    const out = captured();
    publishMetrics([{ name: 'HostsAlive', unit: 'Count', value: 3 }]);
    expect(out.text()).toBe('');
  });
});
