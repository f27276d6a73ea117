/**
 * The dts console: one page over /api/v1. It asks for an API key once (kept in localStorage),
 * then refreshes itself every few seconds without a reload. Host lists are paginated on the
 * client (PAGE rows at a time), so 10,000 hosts cost 10 requests per refresh and 200 rows of DOM.
 */
import { render } from 'preact';
import { useCallback, useEffect, useMemo, useState } from 'preact/hooks';
import { all, api, ApiError, forgetKey, keyFromAddress, saveKey, storedKey, type Check, type History, type Host, type LogRecord, type Notification, type Silence } from './api';
import { countHosts, defaultGrouping, refreshPeriodMs, type Counts } from './counts';
import { Sparkline } from './sparkline';
import './app.css';

const PAGE = 200;
const ASKED_REFRESH = new URLSearchParams(location.search).get('refresh');
const refreshAfter = (hosts: number): number => refreshPeriodMs(hosts, ASKED_REFRESH);

function ago(ms: number, now: number): string {
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 90) return `${s}s`;
  if (s < 5400) return `${Math.round(s / 60)}m`;
  if (s < 172800) return `${Math.round(s / 3600)}h`;
  return `${Math.round(s / 86400)}d`;
}
const skew = (ms: number): string => (Math.abs(ms) < 1000 ? '0s' : `${ms > 0 ? '+' : '-'}${ago(0, Math.abs(ms))}`);
const describe = (s: Silence): string => ('hostname' in s.target ? s.target.hostname : `${s.target.label}=${s.target.value}`);
const stateOf = (h: Host): string => (h.overdue ? `${h.state}?` : h.state);
const RANK: Record<string, number> = { dead: 0, new: 2, alive: 3, left: 4, retired: 5 };
const rank = (h: Host): number => (h.overdue ? 0 : (RANK[h.state] ?? 6) - (Object.values(h.levels).includes('critical') ? 1.5 : Object.values(h.levels).includes('warning') ? 1 : 0));

function KeyForm({ onKey, error }: { onKey: () => void; error?: string }) {
  const [value, setValue] = useState('');
  return (
    <form class="key" onSubmit={(e) => { e.preventDefault(); saveKey(value); onKey(); }}>
      <h1>dts console</h1>
      <p>Paste an API key (<code>dts keys create --role read</code>; <code>npm start</code> prints one).</p>
      {error && <p class="error">{error}</p>}
      <input name="key" type="password" placeholder="dts_…" value={value} onInput={(e) => setValue((e.target as HTMLInputElement).value)} autoFocus />
      <button type="submit">Open</button>
    </form>
  );
}

function Resource({ name, h }: { name: 'cpu' | 'mem' | 'disk'; h: Host }) {
  const p = h[name]?.percent;
  return (
    <td class={`res ${h.levels[name]}`}>
      {h.history && <Sparkline values={h.history[name]} from={h.history.from} label={name} />}
      <span class="pct">{p === undefined ? '-' : `${p.toFixed(0)}%`}</span>
    </td>
  );
}

function HostRows({ hosts, now, onPick }: { hosts: Host[]; now: number; onPick: (h: string) => void }) {
  return (
    <>
      {hosts.map((h) => (
        <tr key={h.hostname} class={`host ${h.overdue ? 'dead' : h.state}`} data-host={h.hostname} onClick={() => onPick(h.hostname)}>
          <td class="name">{h.hostname}</td>
          <td class="state">{stateOf(h)}{h.silencedBy && <span class="mark silenced" title={`silence ${h.silencedBy}`}> silenced</span>}</td>
          <td>{ago(h.lastBeat, now)}</td>
          <Resource name="cpu" h={h} /><Resource name="mem" h={h} /><Resource name="disk" h={h} />
          <td>{skew(h.skewMs)}</td>
        </tr>
      ))}
    </>
  );
}

function Hosts({ hosts, now, onPick }: { hosts: Host[]; now: number; onPick: (h: string) => void }) {
  const [filter, setFilter] = useState('');
  // undefined until the operator picks: then the default follows the fleet as it fills.
  const [picked, setGroupBy] = useState<string>();
  const groupBy = picked ?? defaultGrouping(hosts);
  const [page, setPage] = useState(0);
  const labelKeys = useMemo(() => [...new Set(hosts.flatMap((h) => Object.keys(h.labels)))].sort(), [hosts]);
  const shown = useMemo(() => {
    const f = filter.trim();
    return hosts.filter((h) => !f || h.hostname.includes(f) || Object.entries(h.labels).some(([k, v]) => `${k}=${v}`.includes(f)))
      .sort((a, b) => rank(a) - rank(b) || a.hostname.localeCompare(b.hostname));
  }, [hosts, filter]);
  const pages = Math.max(1, Math.ceil(shown.length / PAGE));
  const current = Math.min(page, pages - 1);
  const slice = shown.slice(current * PAGE, (current + 1) * PAGE);
  const groups = new Map<string, Host[]>();
  for (const h of slice) {
    const g = groupBy === '' ? '' : h.labels[groupBy] ?? '(none)';
    groups.set(g, [...(groups.get(g) ?? []), h]);
  }
  return (
    <section class="hosts">
      <div class="toolbar">
        <input placeholder="filter: name or label=value" value={filter} onInput={(e) => { setFilter((e.target as HTMLInputElement).value); setPage(0); }} />
        <label>group by <select value={groupBy} onChange={(e) => setGroupBy((e.target as HTMLSelectElement).value)}>
          <option value="">nothing</option>
          {[...new Set(['role', ...labelKeys])].map((k) => <option value={k}>{k}</option>)}
        </select></label>
        <span class="pager">
          <button disabled={current === 0} onClick={() => setPage(current - 1)}>‹</button>
          {` ${shown.length ? current * PAGE + 1 : 0}–${current * PAGE + slice.length} of ${shown.length} `}
          <button disabled={current >= pages - 1} onClick={() => setPage(current + 1)}>›</button>
        </span>
      </div>
      <table>
        <thead><tr><th>host</th><th>state</th><th>last beat</th><th>cpu</th><th>mem</th><th>disk</th><th>skew</th></tr></thead>
        {[...groups].sort(([a], [b]) => a.localeCompare(b)).map(([g, list]) => (
          <tbody key={g}>
            {groupBy !== '' && <tr class="group"><th colSpan={7}>{groupBy}={g} <span class="dim">({list.length})</span></th></tr>}
            <HostRows hosts={list} now={now} onPick={onPick} />
          </tbody>
        ))}
      </table>
    </section>
  );
}

const CHECK_RANK: Record<Check['state'], number> = { failed: 0, late: 1, long: 2, new: 3, up: 4, paused: 5 };
const seconds = (s: number): string => (s < 90 ? `${Math.round(s)}s` : ago(0, s * 1000));

/** The checks (scheduled jobs, docs/CHECKS.md): those in trouble first. */
function Checks({ checks, now }: { checks: Check[]; now: number }) {
  const shown = [...checks].sort((a, b) => CHECK_RANK[a.state] - CHECK_RANK[b.state] || a.name.localeCompare(b.name));
  return (
    <section class="checks">
      <h2>Checks</h2>
      <table>
        <thead><tr><th>check</th><th>state</th><th>last signal</th><th>next expected</th><th>last duration</th><th>exit</th><th>schedule</th></tr></thead>
        <tbody>
          {shown.map((c) => (
            <tr key={c.name} class={`check ${c.state}`} data-check={c.name}>
              <td class="name">{c.name}</td>
              <td class="state">{c.state}{c.running && <span class="mark running"> running</span>}</td>
              <td>{c.lastPing === null ? 'never' : `${c.lastSignal ?? ''} ${ago(Date.parse(c.lastPing), now)} ago`}</td>
              <td>{c.nextExpected === null ? '-' : new Date(c.nextExpected).toLocaleString()}</td>
              <td>{c.lastDurationSeconds === null ? '-' : seconds(c.lastDurationSeconds)}</td>
              <td>{c.lastExitStatus ?? '-'}</td>
              <td class="dim">{c.schedule}</td>
            </tr>
          ))}
          {shown.length === 0 && <tr><td colSpan={7} class="dim">none: <code>dts checks add NAME --every 1h</code> makes one</td></tr>}
        </tbody>
      </table>
    </section>
  );
}

function Feed({ items, now }: { items: Notification[]; now: number }) {
  return (
    <ul class="feed">
      {items.map((n) => (
        <li key={n.id} class={`n ${n.severity}${n.suppressed ? ' held' : ''}`}>
          <span class="dim">{ago(n.at, now)}</span> <b>{n.hostname}</b> {n.kind}: {n.message}
          {n.suppressed && <span class="mark held" title="recorded, not sent"> held: {n.suppressed}</span>}
        </li>
      ))}
      {items.length === 0 && <li class="dim">none</li>}
    </ul>
  );
}

function HistoryChart({ history }: { history: History }) {
  return (
    <div class="history">
      {(['cpu', 'mem', 'disk'] as const).map((r) => (
        <div key={r}><span class="dim">{r}</span><Sparkline values={history[r]} from={history.from} label={r} width={240} height={36} /></div>
      ))}
      <span class="dim">hourly peaks, last 24 hours</span>
    </div>
  );
}

function Detail({ name, now, onClose }: { name: string; now: number; onClose: () => void }) {
  const [data, setData] = useState<{ host: Host; notifications: Notification[]; errors: LogRecord[] } | undefined>();
  const [error, setError] = useState<string>();
  useEffect(() => {
    api<{ host: Host; notifications: Notification[]; errors: LogRecord[] }>(`/hosts/${encodeURIComponent(name)}`).then(setData, (e: Error) => setError(e.message));
  }, [name, now]);
  return (
    <aside class="detail">
      <button class="close" onClick={onClose}>×</button>
      <h2>{name}</h2>
      {error && <p class="error">{error}</p>}
      {data && (
        <>
          <p>{stateOf(data.host)}{data.host.silencedBy && <span class="mark silenced"> silenced</span>} · last beat {ago(data.host.lastBeat, now)} ago · skew {skew(data.host.skewMs)}</p>
          <p>{Object.entries(data.host.labels).map(([k, v]) => <code>{k}={v} </code>)}</p>
          {data.host.history && <HistoryChart history={data.host.history} />}
          <h3>Notifications (30 days)</h3>
          <Feed items={data.notifications} now={now} />
          <h3>Errors (24 hours)</h3>
          <ul class="logs">
            {data.errors.map((r) => <li><span class="dim">{new Date(r.timestamp * 1000).toISOString()}</span> [{r.app}] {r.text}</li>)}
            {data.errors.length === 0 && <li class="dim">none</li>}
          </ul>
        </>
      )}
    </aside>
  );
}

function Silences({ items, now, onChange }: { items: Silence[]; now: number; onChange: () => void }) {
  const [target, setTarget] = useState('');
  const [minutes, setMinutes] = useState('60');
  const [reason, setReason] = useState('');
  const [error, setError] = useState<string>();
  const create = async (e: Event) => {
    e.preventDefault();
    try {
      await api('/silences', { method: 'POST', body: { target, seconds: Math.round(Number(minutes) * 60), reason } });
      setTarget('');
      setReason('');
      setError(undefined);
      onChange();
    } catch (err) {
      setError((err as Error).message);
    }
  };
  return (
    <section class="silences">
      <h2>Silences</h2>
      <ul>
        {items.map((s) => (
          <li key={s.id} data-silence={s.id}>
            <b>{describe(s)}</b> {s.inForce ? 'in force' : 'planned'}, ends in {ago(now, s.endsAt)}: {s.reason} <span class="dim">{s.createdBy ?? ''}</span>{' '}
            <button onClick={() => void api(`/silences/${s.id}`, { method: 'DELETE' }).then(onChange, (err: Error) => setError(err.message))}>end</button>
          </li>
        ))}
        {items.length === 0 && <li class="dim">none</li>}
      </ul>
      <form class="silence" onSubmit={create}>
        <input name="target" placeholder="host or label=value" value={target} onInput={(e) => setTarget((e.target as HTMLInputElement).value)} required />
        <input name="minutes" type="number" min="1" value={minutes} onInput={(e) => setMinutes((e.target as HTMLInputElement).value)} required /> min
        <input name="reason" placeholder="reason" value={reason} onInput={(e) => setReason((e.target as HTMLInputElement).value)} required />
        <button type="submit">Silence</button>
      </form>
      {error && <p class="error">{error}</p>}
    </section>
  );
}

interface Snapshot {
  counts: Counts;
  hosts: Host[];
  checks: Check[];
  feed: Notification[];
  silences: Silence[];
  report?: { html?: string; markdown?: string };
  at: number;
}

function App() {
  const [hasKey, setHasKey] = useState(storedKey() !== null);
  const [snap, setSnap] = useState<Snapshot>();
  const [error, setError] = useState<string>();
  const [picked, setPicked] = useState<string>();
  const load = useCallback(async () => {
    try {
      // One request at a time: a refresh keeps one execution environment of the function busy
      // instead of starting several (each a cold start).
      const hosts = await all<Host>('/hosts', 1000);
      const counts = countHosts(hosts);
      const checks = (await api<{ items: Check[] }>('/checks')).items;
      const feed = (await api<{ items: Notification[] }>('/notifications?limit=50')).items;
      const silences = await all<Silence>('/silences', 500);
      const report = await api<{ html?: string; markdown?: string }>('/reports/latest').catch((e: ApiError) => (e.status === 404 ? undefined : Promise.reject(e)));
      setSnap({ counts, hosts, checks, feed, silences, ...(report ? { report } : {}), at: Date.now() });
      setError(undefined);
      return hosts.length;
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) {
        forgetKey();
        setHasKey(false);
      }
      setError((e as Error).message);
      return undefined;
    }
  }, []);
  useEffect(() => {
    if (!hasKey) return undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let fleet = 0;
    let stopped = false;
    const tick = async (): Promise<void> => {
      fleet = (await load()) ?? fleet;
      if (!stopped) timer = setTimeout(() => void tick(), refreshAfter(fleet));
    };
    void tick();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [hasKey, load]);

  if (!hasKey) return <KeyForm onKey={() => setHasKey(true)} {...(error ? { error } : {})} />;
  const now = snap?.at ?? Date.now();
  return (
    <main>
      <header>
        <h1>dts</h1>
        {snap && (
          <ul class="counts">
            <li class="total"><b>{snap.counts.total}</b> hosts</li>
            {Object.entries(snap.counts.byState).map(([s, n]) => <li class={`count ${s}`} data-state={s}><b>{n}</b> {s}</li>)}
            <li class="count overdue" data-state="overdue"><b>{snap.counts.overdue}</b> overdue</li>
            <li class="count silenced" data-state="silenced"><b>{snap.counts.silenced}</b> silenced</li>
          </ul>
        )}
        <span class="updated dim">{snap ? `updated ${new Date(snap.at).toLocaleTimeString()}` : 'loading…'}</span>
        <button onClick={() => { forgetKey(); setHasKey(false); }}>forget key</button>
      </header>
      {error && <p class="error">{error}</p>}
      {snap && (
        <div class="grid">
          <div class="main">
            <Hosts hosts={snap.hosts} now={now} onPick={setPicked} />
            <Checks checks={snap.checks} now={now} />
          </div>
          <div class="side">
            {picked && <Detail name={picked} now={now} onClose={() => setPicked(undefined)} />}
            <section class="notifications"><h2>Notifications</h2><Feed items={snap.feed} now={now} /></section>
            <Silences items={snap.silences} now={now} onChange={() => void load()} />
            <section class="report">
              <h2>Latest report</h2>
              {snap.report?.html ? <iframe sandbox="" title="latest report" srcdoc={snap.report.html} /> : snap.report?.markdown ? <pre>{snap.report.markdown}</pre> : <p class="dim">none yet</p>}
            </section>
          </div>
        </div>
      )}
    </main>
  );
}

keyFromAddress();
render(<App />, document.getElementById('app') as HTMLElement);
