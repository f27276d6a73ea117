/**
 * deploy/install-agent.sh in a throwaway root (--root): it places the one-file agent, the unit and
 * the env file; a second run changes nothing; --uninstall leaves the root as it found it. The unit
 * itself is checked by systemd-analyze where systemd is installed, and for its hardening.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from './support/local-cloud-process';

const exec = promisify(execFile);
const SCRIPT = path.join(ROOT, 'deploy', 'install-agent.sh');
const UNIT = path.join(ROOT, 'deploy', 'dts-agent.service');
let work: string;
let root: string;
let agent: string;
let envFile: string;

/** Every path under `dir` with its mode, size and mtime: what "changed nothing" compares. */
async function tree(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const out = await Promise.all(entries.map(async (e) => {
    const p = path.join(e.parentPath, e.name);
    const s = await stat(p);
    return `${path.relative(dir, p)} ${s.mode.toString(8)} ${e.isFile() ? `${s.size} ${s.mtimeMs}` : 'dir'}`;
  }));
  return out.sort();
}

function install(...args: string[]): Promise<{ stdout: string; stderr: string }> {
  return exec('bash', [SCRIPT, '--root', root, ...args]);
}

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'dts-install-'));
  root = path.join(work, 'root');
  // A host's root as the script finds it: /etc/systemd/system and /opt exist, dts is not there.
  await mkdir(path.join(root, 'etc', 'systemd', 'system'), { recursive: true });
  await mkdir(path.join(root, 'opt'), { recursive: true });
  // The bundle is whatever `npm run build` made; a stand-in with its first line is enough here.
  agent = path.join(work, 'dts-agent.mjs');
  await writeFile(agent, '#!/usr/bin/env node\nconsole.log("agent");\n');
  envFile = path.join(work, 'agent.env');
  await writeFile(envFile, 'DTS_HEARTBEATS_QUEUE_URL=https://sqs.eu-west-1.amazonaws.com/123456789012/dts-prod-heartbeats\nAWS_REGION=eu-west-1\nDTS_AGENT_ARGS=--interval 30 --label role=web\n');
});

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe('install-agent.sh --root', () => {
  let before: string[];
  let installed: string[];

  it('places the agent, the unit and the env file (root-only), and reports it', async () => {
    before = await tree(root);
    const { stdout } = await install('--agent', agent, '--unit', UNIT, '--env', envFile);
    expect(stdout).toMatch(/installed .*dts-agent\.mjs/);
    expect(await readFile(path.join(root, 'opt', 'dts', 'dts-agent.mjs'), 'utf8')).toBe(await readFile(agent, 'utf8'));
    expect(await readFile(path.join(root, 'etc', 'systemd', 'system', 'dts-agent.service'), 'utf8')).toBe(await readFile(UNIT, 'utf8'));
    expect((await stat(path.join(root, 'etc', 'dts', 'agent.env'))).mode & 0o777).toBe(0o600);
    expect((await stat(path.join(root, 'opt', 'dts', 'dts-agent.mjs'))).mode & 0o777).toBe(0o644);
    installed = await tree(root);
  });

  it('changes nothing when run again with the same files', async () => {
    const { stdout } = await install('--agent', agent, '--unit', UNIT, '--env', envFile);
    expect(stdout).toMatch(/nothing changed/);
    expect(await tree(root)).toEqual(installed);
  });

  it('replaces only what differs: a new agent file', async () => {
    await writeFile(agent, '#!/usr/bin/env node\nconsole.log("agent v2");\n');
    const { stdout } = await install('--agent', agent, '--unit', UNIT, '--env', envFile);
    expect(stdout).toMatch(/installed/);
    expect(await readFile(path.join(root, 'opt', 'dts', 'dts-agent.mjs'), 'utf8')).toContain('v2');
  });

  it('refuses an env file that names no queue, and a file that is not the agent', async () => {
    const bad = path.join(work, 'bad.env');
    await writeFile(bad, 'AWS_REGION=eu-west-1\n');
    await expect(install('--agent', agent, '--unit', UNIT, '--env', bad)).rejects.toMatchObject({ stderr: expect.stringMatching(/neither DTS_HEARTBEATS_QUEUE_URL nor DTS_STACK/) });
    await expect(install('--agent', envFile, '--unit', UNIT, '--env', envFile)).rejects.toMatchObject({ stderr: expect.stringMatching(/not the dts agent bundle/) });
  });

  it('--uninstall leaves the root as it was, and a second uninstall is harmless', async () => {
    await install('--uninstall');
    expect(await tree(root)).toEqual(before);
    expect(existsSync(path.join(root, 'opt', 'dts'))).toBe(false);
    const { stdout } = await install('--uninstall');
    expect(stdout).toMatch(/0 file\(s\) removed/);
  });
});

describe('the unit', () => {
  it('is hardened: a dynamic user, a read-only system, no new privileges, logs read-only', async () => {
    const unit = await readFile(UNIT, 'utf8');
    const settings = new Set(unit.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#')));
    for (const s of ['DynamicUser=yes', 'ProtectSystem=strict', 'ProtectHome=yes', 'NoNewPrivileges=yes', 'ReadOnlyPaths=/var/log', 'CapabilityBoundingSet=', 'PrivateTmp=yes']) {
      expect(settings, s).toContain(s);
    }
    expect([...settings].filter((l) => l.startsWith('ReadWritePaths'))).toEqual([]);
  });

  it.runIf(existsSync('/usr/bin/systemd-analyze'))('passes systemd-analyze verify', async () => {
    const { stderr } = await exec('systemd-analyze', ['verify', UNIT]);
    expect(stderr).toBe('');
  });
});
