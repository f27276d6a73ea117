import { describe, expect, it } from 'vitest';
import type { Host, HostState } from '../../lib/domain/model';
import { detectStorms, type StormRule } from '../../lib/domain/fleet/storm';

const RULE: StormRule = { share: 0.5, minHosts: 3 };

function fleet(n: number, labels: (i: number) => Record<string, string> = () => ({}), state: HostState = 'alive'): Pick<Host, 'hostname' | 'labels' | 'state'>[] {
  return Array.from({ length: n }, (_, i) => ({ hostname: `h-${String(i).padStart(2, '0')}`, labels: labels(i), state }));
}

describe('detectStorms: the whole fleet', () => {
  const hosts = fleet(10, (i) => ({ env: 'prod', ...(i < 6 ? { switch: 'sw1' } : {}) }));

  it('exactly at the share is not a storm (of the fleet, nor of switch sw1: 3 of its 6)', () => {
    expect(detectStorms(hosts, [...hosts.slice(0, 3), ...hosts.slice(6, 8)], RULE)).toEqual([]);
  });

  it('one host over the share is, with the count and the label all of them share', () => {
    const storms = detectStorms(hosts, hosts.slice(0, 6), RULE);
    expect(storms).toEqual([{ scope: 'fleet', hostnames: hosts.slice(0, 6).map((h) => h.hostname), total: 10, cause: 'switch=sw1' }]);
  });

  it('prefers the most specific shared label (rarest among the fleet) as the cause', () => {
    expect(detectStorms(hosts, hosts.slice(0, 6), RULE)[0]?.cause).toBe('switch=sw1');
    expect(detectStorms(hosts, hosts.slice(3, 9), RULE)[0]?.cause).toBe('env=prod');
  });

  it('needs at least minHosts', () => {
    const small = fleet(3);
    expect(detectStorms(small, small.slice(0, 2), RULE)).toEqual([]);
    expect(detectStorms(small, small, RULE)).toHaveLength(1);
  });

  it('counts only watched hosts: retired and departed ones are not part of the share', () => {
    const mixed = [...fleet(4), ...fleet(6, () => ({}), 'retired').map((h) => ({ ...h, hostname: `old-${h.hostname}` }))];
    expect(detectStorms(mixed, mixed.slice(0, 3), RULE)[0]).toMatchObject({ scope: 'fleet', total: 4 });
  });
});

describe('detectStorms: hosts sharing a label value', () => {
  // 20 hosts; rack r1 holds the first four.
  const hosts = fleet(20, (i) => ({ rack: i < 4 ? 'r1' : 'r2', 'dts.cpu.warning': '90' }));

  it('more than the share of a rack is a storm of that rack, though the fleet is far from it', () => {
    expect(detectStorms(hosts, hosts.slice(0, 3), RULE)).toEqual([{ scope: 'rack=r1', hostnames: ['h-00', 'h-01', 'h-02'], total: 4, cause: 'rack=r1' }]);
  });

  it('exactly half the rack is not', () => {
    expect(detectStorms(hosts, hosts.slice(0, 2), { share: 0.5, minHosts: 2 })).toEqual([]);
  });

  it('ignores threshold labels (dts.*), which every host may share', () => {
    const storms = detectStorms(hosts, [hosts[0], hosts[1], hosts[2], hosts[10]].filter((h) => h !== undefined), RULE);
    expect(storms.map((s) => s.scope)).toEqual(['rack=r1']);
  });

  it('ignores label keys that begin with checks:, whose scope would read as a storm of checks', () => {
    const odd = fleet(20, (i) => ({ 'checks:rack': i < 4 ? 'r1' : 'r2' }));
    expect(detectStorms(odd, odd.slice(0, 3), RULE)).toEqual([]);
    const storms = detectStorms(odd, odd.slice(0, 11), RULE);
    expect(storms.map((s) => [s.scope, s.cause])).toEqual([['fleet', undefined]]);
  });

  it('puts a host in one storm at most, the larger group first', () => {
    const grid = fleet(12, (i) => ({ rack: i < 4 ? 'r1' : i < 8 ? 'r2' : 'r3', row: i < 6 ? 'a' : 'b' }));
    const storms = detectStorms(grid, grid.slice(0, 4), RULE);
    expect(storms).toHaveLength(1);
    expect(storms[0]).toMatchObject({ hostnames: ['h-00', 'h-01', 'h-02', 'h-03'] });
  });

  it('no deaths, no storm', () => {
    expect(detectStorms(hosts, [], RULE)).toEqual([]);
  });
});
