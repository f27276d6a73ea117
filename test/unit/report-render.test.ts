import { describe, expect, it } from 'vitest';
import type { Host } from '../../lib/domain/model';
import { buildReport } from '../../lib/domain/report/report';
import { notification } from '../../lib/domain/notification/notifications';
import { renderHtml, renderMarkdown, reportSubject, wellFormed } from '../../lib/domain/report/render';

const H = 3_600_000;
const UNTIL = Date.UTC(2026, 10, 25, 8, 0, 0);
const host = (hostname: string, over: Partial<Host> = {}): Host => ({
  hostname, state: 'alive', stateSince: 0, lastBeat: UNTIL, sentAt: UNTIL, skewMs: 0, interval: 60, labels: {},
  levels: { cpu: 'ok', mem: 'ok', disk: 'ok' }, cpuStreak: 0, firstSeen: 0, ...over,
});
const { report } = buildReport({
  since: UNTIL - 24 * H, until: UNTIL, generatedAt: UNTIL,
  hosts: [host('web-<1>', { dailyPeaks: { '2026-11-25': { cpu: 91, mem: 40 } } }), host('quiet-1'), host('lone\uD800')],
  notifications: [
    notification('web-<1>', 'host-down', 'critical', UNTIL - 3 * H, '', { lastBeat: new Date(UNTIL - 3 * H - 180_000).toISOString() }),
    notification('web-<1>', 'host-recovered', 'info', UNTIL - 2 * H, '', { outageStart: new Date(UNTIL - 3 * H - 180_000).toISOString() }),
  ],
  appCounts: [{ app: 'a|b', day: '2026-11-25', error: 3, critical: 1 }],
});
const withLocation = { ...report, detail: { ...report.detail, location: 'the reports table, partition REPORT#2026-11-25T08:00Z' } };

describe('report renderings', () => {
  it('Markdown: a title with the period, a table per section, values past a threshold in bold', () => {
    const md = renderMarkdown(report);
    expect(md).toMatch(/^# dts fleet report 2026-11-25T08:00Z\n\nPeriod: 2026-11-24T08:00:00Z to 2026-11-25T08:00:00Z \(1d\)/);
    expect(md).toContain('3 host(s) known at 2026-11-25T08:00:00Z: 3 alive.');
    expect(md).toContain('| outage | web-<1> | 2026-11-25T04:57:00Z | 2026-11-25T06:00:00Z | 1h 3m | 1h 3m |');
    expect(md).toContain('| a\\|b | **3** | **1** |');
    expect(md).toContain('| web-<1> | **91%** | 40% | – |');
    expect(md).toContain('| web-<1> | **95.62%** | 1h 3m |');
    expect(md).toMatch(/Fleet: 98\.54% of the time hosts were expected up \(target 99\.9%\)/);
  });

  it('never lists every host: the alive ones are counted, not named', () => {
    expect(renderMarkdown(report)).not.toContain('quiet-1');
  });

  it('HTML: self-contained (inline style, no script, no external resource), escaped, thresholds coloured', () => {
    const html = renderHtml(report);
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain('<style>');
    expect(html).not.toMatch(/<script|<link|src=|href=/i);
    expect(html).toContain('web-&lt;1&gt;');
    expect(html).not.toContain('web-<1>');
    expect(html).toContain('<td class="warn">91%</td><td>40%</td>');
    expect(html).toContain('<td class="bad">95.62%</td>');
    expect(html).toContain('<td class="warn">3</td><td class="bad">1</td>');
  });

  it('says where the full detail is', () => {
    expect(renderMarkdown(withLocation)).toContain('is stored in the reports table, partition REPORT#2026-11-25T08:00Z. `dts report --detail` prints it');
  });

  it('a name with a lone surrogate renders as well-formed text', () => {
    const broken = { ...report, hosts: { ...report.hosts, byState: { ...report.hosts.byState, dead: 1 }, downNow: [{ hostname: 'lone\uD800', since: UNTIL - H }] } };
    for (const out of [renderMarkdown(broken), renderHtml(broken)]) {
      expect(out).toContain('lone\uFFFD');
      expect(out).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/);
    }
    expect(wellFormed('a\uDC00b\uD83D\uDE00')).toBe('a\uFFFDb\uD83D\uDE00');
  });

  it('a subject with the figures that matter', () => {
    expect(reportSubject(report)).toBe('[dts report] 2026-11-25: 3 hosts, 98.54% up, 0 down now, 1 incident(s), 4 errors');
  });
});
