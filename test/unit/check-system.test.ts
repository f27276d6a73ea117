/**
 * `npm test` on a fresh machine: its system needs are checked first, and what is missing is said
 * in one line with the command that installs it; as root it is installed, as .ci/run does.
 */
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs script, without declarations.
import { checkSystem, machine, NEEDS } from '../../scripts/check-system.mjs';
import { readFileSync } from 'node:fs';

interface Probe {
  exists(file: string): boolean;
  onPath(cmd: string): boolean;
  javaMajor(): number;
  pythonImports(module: string): boolean;
  isRoot(): boolean;
  hasAptGet(): boolean;
}

/** A machine with nothing but Node on it: the state of a fresh one. */
function bare(over: Partial<Probe> = {}): Probe {
  return { exists: () => false, onPath: () => false, javaMajor: () => 0, pythonImports: () => false, isRoot: () => false, hasAptGet: () => true, ...over };
}

function run(probe: Probe, env: Record<string, string> = {}, install: (pkgs: string[]) => void = () => {}): { code: number; lines: string[] } {
  const lines: string[] = [];
  const code = checkSystem(probe, { say: (l: string) => lines.push(l), install, env }) as number;
  return { code, lines };
}

describe('npm test\'s system check', () => {
  it('on a fresh machine says in one line what is missing and the command that installs it', () => {
    const { code, lines } = run(bare());
    expect(code).toBe(1);
    expect(lines).toEqual(['dts: npm test needs Java 17+, chromium, protoc, python3-boto3, python3-protobuf, which this machine lacks: '
      + 'sudo apt-get update && sudo apt-get install -y openjdk-17-jre-headless chromium protobuf-compiler python3-boto3 python3-protobuf']);
  });

  it('names only what is missing; Java 11 is not enough', () => {
    const { lines } = run(bare({ exists: () => true, onPath: () => true, pythonImports: () => true, javaMajor: () => 11 }));
    expect(lines).toEqual(['dts: npm test needs Java 17+, which this machine lacks: sudo apt-get update && sudo apt-get install -y openjdk-17-jre-headless']);
  });

  it('as root installs what is missing, then passes', () => {
    const installed = new Set<string>();
    const probe = bare({
      isRoot: () => true, javaMajor: () => 17, onPath: () => installed.has('protobuf-compiler'), exists: () => true, pythonImports: () => true,
    });
    const { code, lines } = run(probe, {}, (pkgs) => pkgs.forEach((p) => installed.add(p)));
    expect([...installed]).toEqual(['protobuf-compiler']);
    expect(code).toBe(0);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/installing what npm test needs \(protobuf-compiler\)/);
  });

  it('as root with DTS_NO_INSTALL only checks', () => {
    let called = false;
    const { code } = run(bare({ isRoot: () => true }), { DTS_NO_INSTALL: '1' }, () => { called = true; });
    expect(called).toBe(false);
    expect(code).toBe(1);
  });

  it('this machine has everything, and says nothing', () => {
    const { code, lines } = run(machine as Probe, { DTS_NO_INSTALL: '1' });
    expect(lines).toEqual([]);
    expect(code).toBe(0);
  });
});

describe('the README\'s set-up', () => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  it('lists every package npm test needs, and the exports set AWS_DEFAULT_REGION too', () => {
    for (const n of NEEDS as { pkg: string }[]) expect(readme).toContain(n.pkg);
    expect(readme).toMatch(/export AWS_ENDPOINT_URL=\S+ AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1/);
  });
});
