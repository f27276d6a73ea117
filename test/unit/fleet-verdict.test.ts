/**
 * The soak's judge (bench/support/fleet-verdict.ts): what it calls a false page, a missed or
 * unnamed death, a duplicate, and how it times detection and recovery. Hosts beat every 10 s
 * with tolerance 3, so a deadline is 30 s after the last acknowledged send.
 */
import { describe, expect, it } from 'vitest';
import type { ReceivedAlert } from '../../bench/support/alert-subscriber';
import type { SimHost } from '../../bench/support/fleet';
import { judgeFleet } from '../../bench/support/fleet-verdict';

const S = 1000;
const D = 30 * S;

/** A host that sent every 10 s from `from` to `to` (inclusive), each acknowledged 50 ms later. */
function host(hostname: string, ...spans: Array<[from: number, to: number]>): SimHost {
  const sends = spans.flatMap(([from, to]) => Array.from({ length: Math.floor((to - from) / (10 * S)) + 1 }, (_, i) => ({ start: from + i * 10 * S, ack: from + i * 10 * S + 50 })));
  return { hostname, rack: 'r0', interval: 10, sends, failed: 0, silentAtEnd: true };
}

let n = 0;
function alert(kind: string, hostname: string, receivedAt: number, body: Record<string, string> = {}, id = `n${++n}`): ReceivedAlert {
  const message = [`${hostname} ${kind}`, '', `host:     ${hostname}`, `kind:     ${kind}`, ...Object.entries(body).map(([k, v]) => `${k}: ${v}`), '', `id: ${id}`].join('\n');
  return { receivedAt, snsMessageId: `sns-${n}-${Math.random()}`, id, kind, hostname, subject: kind, message };
}

const options = { tolerance: 3, graceMs: 75 * S, observedUntil: 600 * S };

describe('judging a fleet\'s pages against what it sent', () => {
  it('calls a host-down false when its host had begun a beat within its deadline, and times a true one from the deadline', () => {
    const alive = host('a', [0, 600 * S]);
    const dead = host('d', [0, 100 * S]);
    const v = judgeFleet([alive, dead], [alert('host-down', 'a', 205 * S), alert('host-down', 'd', 131 * S)], options);
    expect(v).toMatchObject({ hostDownPages: 2, falsePages: 1, falsePageHosts: ['a'], deaths: 1, deathsToName: 1, missed: [], unnamed: [] });
    expect(v.falsePageBeatAgeMs).toMatchObject({ n: 1, max: 5 * S });
    // The deadline is the last send's acknowledgement plus 30 s: 130.05 s.
    expect(v.detectionMs).toMatchObject({ n: 1, p50: 131 * S - (100 * S + 50 + D) });
  });

  it('counts a death that no message named as missed, or as unnamed when dts recorded it', () => {
    const hosts = [host('x', [0, 100 * S]), host('y', [0, 100 * S])];
    const v = judgeFleet(hosts, [], { ...options, recordedDown: (h, from, until) => h === 'y' && from === 100 * S && until === 600 * S });
    expect(v).toMatchObject({ deaths: 2, deathsToName: 2, missed: ['x'], unnamed: ['y'] });
  });

  it('takes the silence of a host the run ended rather than the script stopped for no death', () => {
    const v = judgeFleet([{ ...host('e', [0, 100 * S]), silentAtEnd: false }], [], options);
    expect(v).toMatchObject({ deaths: 0, missed: [] });
  });

  it('does not require a name for a death that ended within the grace after its deadline', () => {
    // Silent from 100 s to 150 s: the deadline passed at 130 s, and the host was back 20 s later.
    const v = judgeFleet([host('s', [0, 100 * S], [150 * S, 600 * S])], [], options);
    expect(v).toMatchObject({ deaths: 1, deathsToName: 0, missed: [], unnamed: [] });
  });

  it('names storm members by the storm message, and flags members that were beating', () => {
    const hosts = [host('r1', [0, 100 * S]), host('r2', [0, 100 * S]), host('r3', [0, 100 * S]), host('ok', [0, 600 * S])];
    const storm = alert('fleet-storm', '@fleet', 140 * S, { scope: 'rack=r0', hosts: 'r1 r2 ok' });
    const v = judgeFleet(hosts, [storm], options);
    expect(v).toMatchObject({ falsePages: 0, falseStormNames: 1, deathsToName: 3, missed: ['r3'] });
  });

  it('times a recovery from the first beat back, by host-recovered or by the storm\'s own recovery notice', () => {
    const hosts = [host('h', [0, 100 * S], [300 * S, 600 * S]), host('m', [0, 100 * S], [310 * S, 600 * S])];
    const alerts = [
      alert('host-down', 'h', 131 * S),
      alert('fleet-storm', '@fleet', 132 * S, { scope: 'rack=r0', hosts: 'm' }),
      alert('host-recovered', 'h', 302 * S),
      alert('fleet-storm-over', '@fleet', 315 * S, { scope: 'rack=r0' }),
    ];
    const v = judgeFleet(hosts, alerts, options);
    expect(v.recoveryMs).toMatchObject({ n: 2, p50: 2 * S, max: 5 * S });
    expect(v).toMatchObject({ incidentsLeftOpen: 0, recoveriesWithoutPage: 0 });
  });

  it('counts recoveries sent for downs no one was sent, incidents left open, double pages and duplicates', () => {
    const hosts = [host('q', [0, 100 * S], [300 * S, 600 * S]), host('p', [0, 100 * S], [300 * S, 600 * S])];
    const down = alert('host-down', 'p', 131 * S, {}, 'same');
    const again = { ...down, snsMessageId: 'another', receivedAt: 132 * S };
    const v = judgeFleet(hosts, [alert('host-recovered', 'q', 301 * S), down, again], options);
    expect(v).toMatchObject({ recoveriesWithoutPage: 1, incidentsLeftOpen: 1, pagedTwice: 1, duplicates: 1, missed: ['q'] });
  });

  it('counts a false page as retracted once a host-down-retracted follows it', () => {
    const v = judgeFleet([host('a', [0, 600 * S])], [alert('host-down', 'a', 205 * S), alert('host-down-retracted', 'a', 207 * S)], options);
    expect(v).toMatchObject({ falsePages: 1, retractedFalsePages: 1, recoveriesWithoutPage: 0 });
  });
});
