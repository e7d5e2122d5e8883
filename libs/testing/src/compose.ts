import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';

/**
 * Static checks of docker-compose.yml and the Dockerfiles, for machines without a Docker engine:
 * a reader that resolves the file the way `docker compose` does (YAML anchors and `<<` merge keys,
 * `${VAR:-default}` interpolation), small parsers for the parts the apps depend on (environment,
 * ports, healthcheck URL, depends_on, Redpanda's Kafka listeners, Dockerfile stages), and checks that
 * return a list of problems (empty when consistent) so a failing assertion names what is wrong.
 */

export const WORKSPACE_ROOT = path.resolve(__dirname, '../../..');
const COMPOSE_FILE = path.join(WORKSPACE_ROOT, 'docker-compose.yml');

export type ComposeDependsOn = string[] | Record<string, { condition?: string; restart?: boolean; required?: boolean }>;
export type ComposePort = string | number | { target: number | string; published?: number | string; host_ip?: string; protocol?: string };

export interface ComposeService {
  image?: string;
  build?: string | { context?: string; dockerfile?: string; args?: Record<string, string | number | null> | string[] };
  command?: string | string[];
  environment?: Record<string, string | number | boolean | null> | string[];
  ports?: ComposePort[];
  healthcheck?: { test?: string | string[]; disable?: boolean; [key: string]: unknown };
  depends_on?: ComposeDependsOn;
  restart?: string;
  hostname?: string;
  [key: string]: unknown;
}

export interface ComposeFile {
  name?: string;
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
  [key: string]: unknown;
}

/** Variables as the shell would provide them to `docker compose`; unset ones take the file's defaults. */
export type ComposeVariables = Record<string, string | undefined>;

/**
 * What a deployment's shell must set for `docker compose up`: docker-compose.yml refuses to start
 * without them (`${VAR:?message}`), so the checks read the file as such a shell would.
 */
export const REQUIRED_COMPOSE_VARIABLES: ComposeVariables = {
  JWT_SECRET: 'a-deployment-secret-set-in-the-shell-0123456789',
};

/**
 * Compose interpolation of one string: `$$` is a literal `$`; `${VAR}` / `$VAR`, `${VAR:-default}`,
 * `${VAR-default}`, `${VAR:?error}`, `${VAR?error}`, `${VAR:+alternative}`, `${VAR+alternative}`.
 * With no `vars`, every variable is unset: the result is what a fresh shell gets.
 */
export function interpolate(value: string, vars: ComposeVariables = {}): string {
  return value.replace(
    /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
    (match, braced: string | undefined, operator: string | undefined, operand: string | undefined, bare: string | undefined) => {
      if (match === '$$') return '$';
      const name = braced ?? bare ?? '';
      const current = vars[name];
      const isSet = current !== undefined;
      const isNonEmpty = isSet && current !== '';
      switch (operator) {
        case undefined:
          return current ?? '';
        case ':-':
          return isNonEmpty ? current : (operand ?? '');
        case '-':
          return isSet ? current : (operand ?? '');
        case ':?':
        case '?':
          if (operator === ':?' ? isNonEmpty : isSet) return current as string;
          throw new Error(`required variable ${name} is missing a value${operand ? `: ${operand}` : ''}`);
        case ':+':
          return isNonEmpty ? (operand ?? '') : '';
        case '+':
          return isSet ? (operand ?? '') : '';
        default:
          return match;
      }
    },
  );
}

function interpolateTree(node: unknown, vars: ComposeVariables): unknown {
  if (typeof node === 'string') return interpolate(node, vars);
  if (Array.isArray(node)) return node.map((item) => interpolateTree(item, vars));
  if (node !== null && typeof node === 'object') {
    return Object.fromEntries(Object.entries(node).map(([key, value]) => [key, interpolateTree(value, vars)]));
  }
  return node;
}

/** Parses compose YAML (anchors and `<<` merge keys resolved) and interpolates every string value. */
export function parseCompose(text: string, vars: ComposeVariables = {}): ComposeFile {
  const raw = parse(text, { merge: true }) as unknown;
  if (raw === null || typeof raw !== 'object' || !('services' in raw)) throw new Error('not a compose file: no `services`');
  return interpolateTree(raw, vars) as ComposeFile;
}

/** Reads docker-compose.yml (or `file`) as `docker compose` would resolve it with the given variables. */
export function loadCompose({ file = COMPOSE_FILE, vars = {} }: { file?: string; vars?: ComposeVariables } = {}): ComposeFile {
  return parseCompose(readFileSync(file, 'utf8'), vars);
}

export function composeService(compose: ComposeFile, name: string): ComposeService {
  const service = compose.services[name];
  if (!service) throw new Error(`docker-compose.yml has no service "${name}" (services: ${Object.keys(compose.services).join(', ')})`);
  return service;
}

/**
 * The environment a service's container gets from compose, as strings (map or `KEY=value` list form).
 * A key without a value is passed through from `vars` (the shell) and left out when unset there.
 */
export function serviceEnv(compose: ComposeFile, name: string, vars: ComposeVariables = {}): Record<string, string> {
  const environment = composeService(compose, name).environment ?? {};
  const entries: [string, string | undefined][] = Array.isArray(environment)
    ? environment.map((item) => {
        const at = item.indexOf('=');
        return at < 0 ? [item, vars[item]] : [item.slice(0, at), item.slice(at + 1)];
      })
    : Object.entries(environment).map(([key, value]) => [key, value === null ? vars[key] : String(value)]);
  return Object.fromEntries(entries.filter((entry): entry is [string, string] => entry[1] !== undefined));
}

/** `ports:` entries in either syntax; `published` is undefined when Docker picks the host port. */
export function publishedPorts(service: ComposeService): { hostIp?: string; published?: number; target: number; protocol: string }[] {
  return (service.ports ?? []).map((port) => {
    if (typeof port === 'object') {
      return {
        hostIp: port.host_ip,
        published: port.published === undefined ? undefined : Number(port.published),
        target: Number(port.target),
        protocol: port.protocol ?? 'tcp',
      };
    }
    const [spec = '', protocol = 'tcp'] = String(port).split('/');
    // [host_ip:][published:]target, host_ip possibly a bracketed IPv6 address
    const match = /^(?:(\[[^\]]+\]|[^:]+):)??(?:(\d+(?:-\d+)?):)?(\d+(?:-\d+)?)$/.exec(spec);
    if (!match) throw new Error(`unreadable port mapping "${port}"`);
    const [, hostIp, published, target] = match;
    return { hostIp, published: published === undefined ? undefined : Number(published), target: Number(target), protocol };
  });
}

/** The first http(s) URL in the healthcheck command, or undefined when there is none. */
export function healthcheckUrl(service: ComposeService): URL | undefined {
  const test = service.healthcheck?.test;
  const command = Array.isArray(test) ? test.join(' ') : (test ?? '');
  const found = /https?:\/\/[^\s'"`)]+/.exec(command);
  return found ? new URL(found[0]) : undefined;
}

export function urlPort(url: URL): number {
  return Number(url.port || (url.protocol === 'https:' ? 443 : url.protocol.startsWith('postgres') ? 5432 : 80));
}

/** depends_on as service → condition (the short list form means `service_started`). */
export function dependsOn(service: ComposeService): Record<string, string> {
  const deps = service.depends_on ?? [];
  if (Array.isArray(deps)) return Object.fromEntries(deps.map((name) => [name, 'service_started']));
  return Object.fromEntries(Object.entries(deps).map(([name, options]) => [name, options?.condition ?? 'service_started']));
}

export interface KafkaListener {
  /** listener name (`internal`, `external`, …); '' when unnamed */
  name: string;
  host: string;
  port: number;
}

function parseListeners(value: string): KafkaListener[] {
  return value
    .split(',')
    .filter(Boolean)
    .map((item) => {
      const match = /^(?:([A-Za-z0-9_-]+):\/\/)?(.*):(\d+)$/.exec(item.trim());
      if (!match) throw new Error(`unreadable Kafka address "${item}"`);
      return { name: match[1] ?? '', host: match[2] ?? '', port: Number(match[3]) };
    });
}

/** The service's command split into words (list items may hold several words, e.g. `--smp 1`). */
function commandWords(service: ComposeService): string[] {
  const command = Array.isArray(service.command) ? service.command.join(' ') : (service.command ?? '');
  return command.split(/\s+/).filter(Boolean);
}

/** Value of `--flag value` or `--flag=value` in the service's command. */
function commandFlag(service: ComposeService, flag: string): string | undefined {
  const words = commandWords(service);
  for (let i = 0; i < words.length; i++) {
    if (words[i] === flag) return words[i + 1];
    if (words[i]?.startsWith(`${flag}=`)) return words[i]?.slice(flag.length + 1);
  }
  return undefined;
}

/** Redpanda's Kafka API listeners (`--kafka-addr`) and what it advertises for each (`--advertise-kafka-addr`). */
function kafkaListeners(service: ComposeService): { listeners: KafkaListener[]; advertised: KafkaListener[] } {
  return {
    listeners: parseListeners(commandFlag(service, '--kafka-addr') ?? ''),
    advertised: parseListeners(commandFlag(service, '--advertise-kafka-addr') ?? ''),
  };
}

const ANY_ADDRESS = new Set(['0.0.0.0', '::', '[::]', '']);

function serviceByHost(compose: ComposeFile, host: string): [string, ComposeService] | undefined {
  return Object.entries(compose.services).find(([name, service]) => name === host || service.hostname === host);
}

/**
 * Problems with a KAFKA_BROKERS list as seen from inside the compose network: each `host:port` must be a
 * service with a Kafka listener on that port, and that listener must advertise the same `host:port`
 * (a client bootstraps from the address, then connects to what the broker advertises).
 */
export function kafkaBrokerProblems(compose: ComposeFile, brokers: readonly string[]): string[] {
  if (brokers.length === 0) return ['no brokers'];
  return brokers.flatMap((broker) => {
    const match = /^([^:\s]+):(\d+)$/.exec(broker);
    if (!match) return [`${broker}: not host:port`];
    const host = match[1] as string;
    const port = Number(match[2]);
    const found = serviceByHost(compose, host);
    if (!found) return [`${broker}: "${host}" is not a service in the compose file`];
    const [name, service] = found;
    const { listeners, advertised } = kafkaListeners(service);
    if (listeners.length === 0) return [`${broker}: service "${name}" declares no Kafka listener (--kafka-addr)`];
    const listener = listeners.find((l) => l.port === port && (ANY_ADDRESS.has(l.host) || l.host === host));
    if (!listener) {
      return [
        `${broker}: "${name}" has no Kafka listener on port ${port} (it listens on ${listeners.map((l) => `${l.name}://${l.host}:${l.port}`).join(', ')})`,
      ];
    }
    const advert = advertised.find((a) => a.name === listener.name);
    if (!advert) return [`${broker}: "${name}" advertises no address for listener "${listener.name}"`];
    if (advert.host !== host || advert.port !== port) {
      return [
        `${broker}: listener "${listener.name}" of "${name}" advertises ${advert.host}:${advert.port}, so clients inside the network are sent elsewhere`,
      ];
    }
    return [];
  });
}

/**
 * Problems with a DATABASE_URL as seen from inside the compose network: the host must be a Postgres
 * service, the port the one it listens on in the container (5432, or its PGPORT), and user, password and
 * database those the image creates from POSTGRES_USER / POSTGRES_PASSWORD / POSTGRES_DB.
 */
export function databaseUrlProblems(compose: ComposeFile, databaseUrl: string | undefined): string[] {
  if (!databaseUrl) return ['DATABASE_URL is not set'];
  let url: URL;
  try {
    url = new URL(databaseUrl);
  } catch {
    return [`${databaseUrl}: not a URL`];
  }
  if (!/^postgres(ql)?:$/.test(url.protocol)) return [`${databaseUrl}: not a postgresql:// URL`];
  const found = serviceByHost(compose, url.hostname);
  if (!found) return [`${databaseUrl}: "${url.hostname}" is not a service in the compose file`];
  const [name, service] = found;
  if (!/(^|\/)postgres(:|@|$)/.test(service.image ?? ''))
    return [`${databaseUrl}: service "${name}" is not a postgres image (${service.image ?? 'built'})`];
  const env = serviceEnv(compose, name);
  const user = env['POSTGRES_USER'] || 'postgres';
  const expected = { port: Number(env['PGPORT'] || 5432), user, password: env['POSTGRES_PASSWORD'], database: env['POSTGRES_DB'] || user };
  const actual = {
    port: urlPort(url),
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
    database: decodeURIComponent(url.pathname.replace(/^\//, '')),
  };
  const problems: string[] = [];
  if (actual.port !== expected.port) problems.push(`port ${actual.port}, but "${name}" listens on ${expected.port}`);
  if (actual.user !== expected.user) problems.push(`user "${actual.user}", but "${name}" creates "${expected.user}" (POSTGRES_USER)`);
  if (actual.password !== expected.password) problems.push(`password differs from "${name}"'s POSTGRES_PASSWORD`);
  if (actual.database !== expected.database)
    problems.push(`database "${actual.database}", but "${name}" creates "${expected.database}" (POSTGRES_DB)`);
  return problems.map((problem) => `DATABASE_URL: ${problem}`);
}

/** Keys of `env` that the app's schema does not know (typos, stale variables): the app would ignore them. */
export function unknownEnvKeys(env: Record<string, unknown>, known: Iterable<string>): string[] {
  const knownKeys = new Set(known);
  return Object.keys(env).filter((key) => !knownKeys.has(key));
}

// ---- Dockerfiles

export interface DockerInstruction {
  keyword: string;
  args: string;
}

export interface DockerStage {
  base: string;
  name?: string;
  instructions: DockerInstruction[];
}

/** `docker build --build-arg` values, by name. */
export type BuildArgs = Record<string, string | undefined>;

/** Instructions whose arguments Docker expands `${VAR}` in; RUN gets the same from its shell, which sees ARG and ENV. */
const EXPANDED = new Set(['ADD', 'COPY', 'ENV', 'EXPOSE', 'FROM', 'LABEL', 'STOPSIGNAL', 'USER', 'VOLUME', 'WORKDIR', 'RUN']);

/**
 * Splits a Dockerfile into stages of instructions (comments dropped, `\` continuations joined), with the
 * `${VAR}` references of each instruction resolved as `docker build` would with `buildArgs`: an ARG before
 * the first FROM is global (FROM lines and a stage that declares it again see it), a stage sees the ARGs it
 * declares (the build argument, else the declared default) and the ENV set before. CMD, ENTRYPOINT and
 * HEALTHCHECK are left as written: they are expanded, if at all, when the container runs.
 */
export function parseDockerfile(text: string, buildArgs: BuildArgs = {}): DockerStage[] {
  const logical: string[] = [];
  let pending = '';
  for (const line of text.split(/\r?\n/)) {
    if (/^\s*#/.test(line)) continue;
    const continued = /\\\s*$/.test(line);
    pending += `${continued ? line.replace(/\\\s*$/, '') : line} `;
    if (!continued) {
      if (pending.trim()) logical.push(pending.trim().replace(/\s+/g, ' '));
      pending = '';
    }
  }
  if (pending.trim()) logical.push(pending.trim());

  const declared = (args: string, defaults: BuildArgs): [string, string | undefined] => {
    const [name = '', ...value] = args.split('=');
    return [name, buildArgs[name] ?? (value.length > 0 ? value.join('=') : defaults[name])];
  };
  const globalArgs: BuildArgs = {};
  let vars: BuildArgs = {};
  const stages: DockerStage[] = [];
  for (const line of logical) {
    const [keyword = '', ...rest] = line.split(' ');
    const upper = keyword.toUpperCase();
    const raw = rest.join(' ');
    const args = EXPANDED.has(upper) ? interpolate(raw, upper === 'FROM' ? globalArgs : vars) : raw;
    const instruction = { keyword: upper, args };
    if (upper === 'FROM') {
      const words = args.split(' ').filter((word) => !word.startsWith('--'));
      const as = words.findIndex((word) => word.toUpperCase() === 'AS');
      stages.push({ base: words[0] ?? '', name: as >= 0 ? words[as + 1] : undefined, instructions: [] });
      vars = {};
    } else if (stages.length === 0) {
      if (upper !== 'ARG') throw new Error(`${upper} before the first FROM`);
      const [name, value] = declared(raw, {});
      globalArgs[name] = value;
    } else {
      stages[stages.length - 1]?.instructions.push(instruction);
      if (upper === 'ARG') {
        const [name, value] = declared(raw, globalArgs);
        vars[name] = value;
      } else if (upper === 'ENV') {
        Object.assign(vars, envOf(args));
      }
    }
  }
  return stages;
}

export function readDockerfile(relativePath: string, buildArgs: BuildArgs = {}): DockerStage[] {
  return parseDockerfile(readFileSync(path.join(WORKSPACE_ROOT, relativePath), 'utf8'), buildArgs);
}

/** The Dockerfile a compose service builds from (relative to the workspace root) and its build arguments. */
export function serviceBuild(compose: ComposeFile, name: string): { dockerfile: string; args: BuildArgs } {
  const build = composeService(compose, name).build;
  if (build === undefined) throw new Error(`service "${name}" has no build`);
  if (typeof build === 'string') return { dockerfile: path.join(build, 'Dockerfile'), args: {} };
  const list = build.args ?? {};
  const entries: [string, string | undefined][] = Array.isArray(list)
    ? list.map((item) => {
        const at = item.indexOf('=');
        return at < 0 ? [item, undefined] : [item.slice(0, at), item.slice(at + 1)];
      })
    : Object.entries(list).map(([key, value]) => [key, value === null ? undefined : String(value)]);
  return { dockerfile: path.join(build.context ?? '.', build.dockerfile ?? 'Dockerfile'), args: Object.fromEntries(entries) };
}

export function finalStage(stages: DockerStage[]): DockerStage {
  const last = stages[stages.length - 1];
  if (!last) throw new Error('Dockerfile has no FROM');
  return last;
}

export function instructionsOf(stage: DockerStage, keyword: string): string[] {
  return stage.instructions.filter((i) => i.keyword === keyword.toUpperCase()).map((i) => i.args);
}

/** The user the stage's process runs as (its last USER), or undefined when it stays the base image's (root for node images). */
export function stageUser(stage: DockerStage): string | undefined {
  return instructionsOf(stage, 'USER').at(-1);
}

export function isRootUser(user: string | undefined): boolean {
  return user === undefined || /^(root|0)(:.*)?$/.test(user);
}

/** Variables one `ENV` instruction sets: `ENV K=V K2="v 2"` or the legacy `ENV K V`. */
function envOf(args: string): Record<string, string> {
  if (!/^[A-Za-z_][A-Za-z0-9_]*=/.test(args)) {
    const [key = '', ...value] = args.split(' ');
    return { [key]: value.join(' ') };
  }
  const env: Record<string, string> = {};
  for (const match of args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("([^"]*)"|'([^']*)'|\S*)/g)) {
    env[match[1] as string] = match[3] ?? match[4] ?? match[2] ?? '';
  }
  return env;
}

/** `ENV` of a stage, both `ENV K=V K2="v 2"` and the legacy `ENV K V` form. */
export function stageEnv(stage: DockerStage): Record<string, string> {
  return Object.assign({}, ...instructionsOf(stage, 'ENV').map(envOf));
}

const INSTALL = /\bnpm\s+(ci|install|i)\b|\byarn\s+install\b|\bpnpm\s+install\b/;
const PRODUCTION_ONLY = /--omit[= ]dev\b|--production\b|--only[= ]prod(uction)?\b|--prod\b/;

/**
 * Problems with how the final stage gets its node_modules: every package install in the final stage, or in
 * the stage its node_modules are copied from, must leave devDependencies out (`--omit=dev` or equivalent).
 */
export function productionInstallProblems(stages: DockerStage[]): string[] {
  const last = finalStage(stages);
  const installsIn = (stage: DockerStage) => instructionsOf(stage, 'RUN').filter((run) => INSTALL.test(run));
  const problems: string[] = [];
  const sources: DockerStage[] = [];
  if (installsIn(last).length > 0) sources.push(last);
  for (const copy of instructionsOf(last, 'COPY')) {
    const from = /--from=(\S+)/.exec(copy)?.[1];
    if (!from || !/node_modules/.test(copy)) continue;
    const source = stages.find((stage) => stage.name === from) ?? stages[Number(from)];
    if (!source) {
      problems.push(`node_modules copied from "${from}", which is not a stage of this Dockerfile`);
      continue;
    }
    if (installsIn(source).length === 0) problems.push(`node_modules copied from stage "${from}", which installs no packages`);
    sources.push(source);
  }
  if (sources.length === 0) problems.push('the final stage neither installs packages nor copies node_modules');
  for (const stage of sources) {
    for (const run of installsIn(stage)) {
      if (!PRODUCTION_ONLY.test(run)) problems.push(`stage "${stage.name ?? stage.base}" installs devDependencies: ${run}`);
    }
  }
  return problems;
}
