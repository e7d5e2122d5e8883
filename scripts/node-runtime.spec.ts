import { execFileSync, spawnSync, type SpawnSyncOptionsWithStringEncoding } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readDockerfile } from '@orderline/testing';
import { parse } from 'yaml';

/**
 * One Node everywhere: the major of .nvmrc is the one of package.json's engines, of the version
 * scripts/runtime/node.sh pins, of every Docker image and of the GitHub workflow, and these tests run on it.
 * scripts/runtime/node.sh itself: a node of that major on PATH is used as it is, with nothing downloaded.
 */
const root = path.resolve(__dirname, '..');
const read = (file: string) => readFileSync(path.join(root, file), 'utf8');
const major = read('.nvmrc').trim();
const nodeScript = path.join(root, 'scripts', 'runtime', 'node.sh');
const onMajor = process.versions.node.split('.')[0] === major;
const bash = execFileSync('bash', ['-c', 'command -v bash'], { encoding: 'utf8' }).trim();

describe('the Node version', () => {
  it('.nvmrc names a major', () => {
    expect(major).toMatch(/^\d+$/);
  });

  it('is the engines range of package.json: that major only', () => {
    expect(JSON.parse(read('package.json')).engines).toEqual({ node: `>=${major} <${Number(major) + 1}` });
  });

  it('is the one scripts/runtime/node.sh pins', () => {
    expect(read('scripts/runtime/node.sh')).toMatch(new RegExp(`^ORDERLINE_NODE_VERSION=${major}\\.\\d+\\.\\d+$`, 'm'));
  });

  it('is the base of every stage of the Docker images', () => {
    for (const file of ['docker/app.Dockerfile', 'docker/tools.Dockerfile']) {
      const bases = readDockerfile(file, { APP: 'gateway' }).map((stage) => stage.base);
      expect(bases.length).toBeGreaterThan(0);
      for (const base of bases) expect(base).toMatch(new RegExp(`^node:${major}-`));
    }
  });

  it('is the one the GitHub workflow sets up (from .nvmrc)', () => {
    const workflow = parse(read('.github/workflows/ci.yml')) as {
      jobs: Record<string, { steps?: Array<{ uses?: string; with?: Record<string, unknown> }> }>;
    };
    const setups = Object.values(workflow.jobs).flatMap((job) =>
      (job.steps ?? []).filter((step) => step.uses?.startsWith('actions/setup-node')),
    );
    expect(setups.length).toBeGreaterThan(0);
    for (const step of setups) expect(step.with).toMatchObject({ 'node-version-file': '.nvmrc' });
  });

  it('runs these tests (npm test puts it first on PATH; see scripts/runtime/node.sh)', () => {
    expect(onMajor).toBe(true);
  });
});

describe('scripts/runtime/node.sh', () => {
  // a copy in a directory of its own: whatever it would install lands in that directory's .runtime/
  let copyRoot: string;
  let copy: string;
  beforeEach(() => {
    copyRoot = mkdtempSync(path.join(tmpdir(), 'orderline-node-'));
    copy = path.join(copyRoot, 'scripts', 'runtime', 'node.sh');
    mkdirSync(path.dirname(copy), { recursive: true });
    cpSync(nodeScript, copy);
  });
  afterEach(() => rmSync(copyRoot, { recursive: true, force: true }));

  // stdin not a socket: else `bash -c` takes itself for a remote shell and reads ~/.bashrc
  const spawnOptions = (PATH: string): SpawnSyncOptionsWithStringEncoding => ({
    encoding: 'utf8',
    env: { PATH },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const run = (args: string[], PATH: string) => spawnSync(bash, [copy, ...args], spawnOptions(PATH));
  /** a PATH with a `node` that answers --version with `version`, the tools the script uses, and no npm */
  const pathWithNode = (version: string) => {
    const dir = path.join(copyRoot, 'bin');
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'node'), `#!/bin/sh\necho ${version}\n`);
    chmodSync(path.join(dir, 'node'), 0o755);
    for (const tool of ['dirname', 'uname', 'mkdir']) {
      symlinkSync(execFileSync(bash, ['-c', `command -v ${tool}`], { encoding: 'utf8' }).trim(), path.join(dir, tool));
    }
    return dir;
  };

  it(`uses a node ${major}.x already on PATH, downloads nothing, and runs commands with it`, () => {
    expect(onMajor).toBe(true); // else it would install one
    const nodeDir = path.dirname(process.execPath);
    const PATH = `${nodeDir}:${process.env['PATH']}`;
    expect(run([], PATH)).toMatchObject({ status: 0, stdout: `${nodeDir}\n`, stderr: '' });
    const inside = run(['node', '-p', 'process.execPath'], PATH);
    expect(inside).toMatchObject({ status: 0, stdout: `${process.execPath}\n` });
    expect(existsSync(path.join(copyRoot, '.runtime'))).toBe(false);
  });

  it(`fails, naming what is missing, when the node on PATH is not ${major} and there is no npm to fetch it with`, () => {
    const result = run([], pathWithNode('v20.20.2'));
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`the node on PATH is v20.20.2, not ${major}, and there is no npm to fetch Node ${major} with`);
    expect(existsSync(path.join(copyRoot, '.runtime'))).toBe(false);
  });

  it('refuses what npm fetched when it is not the pinned tarball, also sourced under set -e (.ci/run), and keeps no runtime', () => {
    // an npm whose `pack` writes a tarball of the requested name with other contents
    const dir = pathWithNode('v20.20.2');
    writeFileSync(
      path.join(dir, 'npm'),
      '#!/bin/sh\n[ "$1" = pack ] || exit 0\nshift\nfor arg; do case $arg in -*) ;; *@*) echo tampered > "$(echo "$arg" | tr @ -).tgz" ;; esac; done\n',
    );
    chmodSync(path.join(dir, 'npm'), 0o755);
    const PATH = `${dir}:${process.env['PATH']}`;
    const sourced = spawnSync(bash, ['-c', 'set -euo pipefail; . "$1"; echo "not reached"', 'bash', copy], spawnOptions(PATH));
    for (const result of [run([], PATH), sourced]) {
      expect(result.status).toBe(1);
      expect(result.stdout).toBe('');
      expect(result.stderr).toMatch(/node-linux-\w+-\d+\.\d+\.\d+\.tgz does not match its pinned integrity/);
      expect(result.stderr).toContain('failed');
    }
    expect(readdirSync(path.join(copyRoot, '.runtime'))).toEqual([]);
  });

  it('accepts a tarball whose sha512 is its pinned integrity and refuses any other', () => {
    expect(onMajor).toBe(true); // else sourcing it would install one
    const file = path.join(copyRoot, 'package.tgz');
    writeFileSync(file, 'the tarball');
    const integrity = `sha512-${createHash('sha512').update('the tarball').digest('base64')}`;
    const other = `sha512-${createHash('sha512').update('another tarball').digest('base64')}`;
    // sourced with the node of these tests first on PATH: it defines the functions and installs nothing
    const check = (sri: string) =>
      spawnSync(
        bash,
        ['-c', '. "$1" && check_integrity "$2" "$3"', 'bash', copy, file, sri],
        spawnOptions(`${path.dirname(process.execPath)}:${process.env['PATH']}`),
      );
    expect(check(integrity)).toMatchObject({ status: 0, stderr: '' });
    expect(check(other)).toMatchObject({ status: 1, stderr: expect.stringContaining('does not match its pinned integrity') });
  });
});
