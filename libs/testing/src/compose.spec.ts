import { existsSync } from 'node:fs';
import path from 'node:path';
import {
  WORKSPACE_ROOT,
  composeService,
  databaseUrlProblems,
  dependsOn,
  finalStage,
  healthcheckUrl,
  instructionsOf,
  interpolate,
  isRootUser,
  kafkaBrokerProblems,
  loadCompose,
  parseCompose,
  parseDockerfile,
  productionInstallProblems,
  publishedPorts,
  readDockerfile,
  REQUIRED_COMPOSE_VARIABLES,
  serviceBuild,
  serviceEnv,
  stageEnv,
  stageUser,
  unknownEnvKeys,
  type DockerStage,
} from './compose';

const fixture = `
x-env: &env
  A: one
  B: \${B_VAR:-two}
x-db: &db
  B: loses-to-env
  C: three
services:
  kafka:
    image: docker.redpanda.com/redpandadata/redpanda:v24.2.18
    command:
      - redpanda
      - start
      - --kafka-addr internal://0.0.0.0:9092,external://0.0.0.0:19092
      - --advertise-kafka-addr=internal://kafka:9092,external://127.0.0.1:19092
  db:
    image: postgres:16-alpine
    environment:
      POSTGRES_USER: shop
      POSTGRES_PASSWORD: "p@ss word"
      POSTGRES_DB: orders
    ports: ["127.0.0.1:\${PG_PORT:-5432}:5432"]
  job:
    image: busybox
    restart: "no"
  app:
    image: app
    environment:
      <<: [*env, *db]
      PORT: 3000
      EMPTY: ""
      FROM_SHELL:
    ports:
      - "3000:3000"
      - 9000
      - target: 8080
        published: "18080"
        host_ip: 127.0.0.1
    healthcheck:
      test: ["CMD", "node", "-e", "fetch('http://127.0.0.1:3000/health/ready').then(r=>process.exit(r.ok?0:1))"]
    depends_on:
      kafka:
        condition: service_healthy
      job:
        condition: service_completed_successfully
  listed:
    image: app
    environment: ["X=1", "Y=a=b", "Z"]
    depends_on: [db]
`;

describe('compose reader', () => {
  it('interpolates like docker compose', () => {
    expect(interpolate('${A:-x} ${A-x} $A ${A}')).toBe('x x  ');
    expect(interpolate('${A:-x} ${A-x}', { A: '' })).toBe('x ');
    expect(interpolate('${A:-x} $A $$A ${A:+set}', { A: 'v' })).toBe('v v $A set');
    expect(() => interpolate('${SECRET:?set it}')).toThrow(/SECRET.*set it/);
    expect(interpolate('${SECRET:?set it}', { SECRET: 's' })).toBe('s');
  });

  it('resolves anchors and merge keys and interpolates values', () => {
    const compose = parseCompose(fixture);
    // YAML merge: in `<<: [*env, *db]` the EARLIER map wins a shared key; the service's own keys win over both
    expect(serviceEnv(compose, 'app')).toEqual({ A: 'one', B: 'two', C: 'three', PORT: '3000', EMPTY: '' });
    expect(serviceEnv(compose, 'app', { FROM_SHELL: 'x' })).toMatchObject({ FROM_SHELL: 'x' });
    expect(serviceEnv(compose, 'listed', { Z: 'z' })).toEqual({ X: '1', Y: 'a=b', Z: 'z' });
    expect(serviceEnv(parseCompose(fixture, { PG_PORT: '6543' }), 'db')).toMatchObject({ POSTGRES_DB: 'orders' });
    expect(publishedPorts(composeService(parseCompose(fixture, { PG_PORT: '6543' }), 'db'))).toEqual([
      { hostIp: '127.0.0.1', published: 6543, target: 5432, protocol: 'tcp' },
    ]);
    expect(() => composeService(compose, 'nope')).toThrow(/no service "nope"/);
  });

  it('reads ports, healthcheck URL and depends_on in their different forms', () => {
    const compose = parseCompose(fixture);
    expect(publishedPorts(composeService(compose, 'app'))).toEqual([
      { hostIp: undefined, published: 3000, target: 3000, protocol: 'tcp' },
      { hostIp: undefined, published: undefined, target: 9000, protocol: 'tcp' },
      { hostIp: '127.0.0.1', published: 18080, target: 8080, protocol: 'tcp' },
    ]);
    expect(healthcheckUrl(composeService(compose, 'app'))?.href).toBe('http://127.0.0.1:3000/health/ready');
    expect(healthcheckUrl(composeService(compose, 'db'))).toBeUndefined();
    expect(dependsOn(composeService(compose, 'app'))).toEqual({ kafka: 'service_healthy', job: 'service_completed_successfully' });
    expect(dependsOn(composeService(compose, 'listed'))).toEqual({ db: 'service_started' });
  });

  it('accepts brokers the compose network can reach and that advertise themselves', () => {
    const compose = parseCompose(fixture);
    expect(kafkaBrokerProblems(compose, ['kafka:9092'])).toEqual([]);
  });

  it.each([
    [['kafka:5672'], /no Kafka listener on port 5672/],
    [['kafka:19092'], /advertises 127\.0\.0\.1:19092/],
    [['redpanda:9092'], /"redpanda" is not a service/],
    [['db:5432'], /declares no Kafka listener/],
    [['kafka'], /not host:port/],
    [[], /no brokers/],
  ])('refuses KAFKA_BROKERS %j', (brokers, problem) => {
    expect(kafkaBrokerProblems(parseCompose(fixture), brokers).join('\n')).toMatch(problem);
  });

  it('accepts a DATABASE_URL that matches the Postgres service', () => {
    expect(databaseUrlProblems(parseCompose(fixture), 'postgresql://shop:p%40ss%20word@db:5432/orders')).toEqual([]);
    expect(databaseUrlProblems(parseCompose(fixture), 'postgres://shop:p%40ss%20word@db/orders')).toEqual([]);
  });

  it.each([
    ['postgresql://shop:p%40ss%20word@postgres:5432/orders', /"postgres" is not a service/],
    ['postgresql://shop:p%40ss%20word@db:5433/orders', /port 5433, but "db" listens on 5432/],
    ['postgresql://orderline:p%40ss%20word@db:5432/orders', /user "orderline"/],
    ['postgresql://shop:secret@db:5432/orders', /password/],
    ['postgresql://shop:p%40ss%20word@db:5432/shop', /database "shop", but "db" creates "orders"/],
    ['postgresql://shop:p%40ss%20word@kafka:5432/orders', /not a postgres image/],
    ['mysql://shop@db/orders', /not a postgresql:\/\/ URL/],
    [undefined, /not set/],
  ])('refuses DATABASE_URL %s', (url, problem) => {
    expect(databaseUrlProblems(parseCompose(fixture), url).join('\n')).toMatch(problem);
  });

  it('names env keys a schema does not know', () => {
    expect(unknownEnvKeys({ PORT: '1', KAFKA_BROKER: 'x' }, ['PORT', 'KAFKA_BROKERS'])).toEqual(['KAFKA_BROKER']);
  });
});

const multiStage = `
# syntax=docker/dockerfile:1
ARG NODE=node:22-bookworm-slim
FROM \${NODE} AS build
RUN npm ci
FROM --platform=linux/amd64 \${NODE} AS deps
RUN --mount=type=cache,target=/root/.npm \\
    npm ci --omit=dev --no-audit
FROM \${NODE}
ENV NODE_ENV=production HOST=0.0.0.0 \\
    QUOTED="a b"
ENV LEGACY value with spaces
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
USER node
`;

describe('Dockerfile reader', () => {
  it('splits stages and reads ENV and USER', () => {
    const stages = parseDockerfile(multiStage);
    expect(stages.map((stage) => [stage.base, stage.name])).toEqual([
      ['node:22-bookworm-slim', 'build'],
      ['node:22-bookworm-slim', 'deps'],
      ['node:22-bookworm-slim', undefined],
    ]);
    expect(stageEnv(finalStage(stages))).toEqual({ NODE_ENV: 'production', HOST: '0.0.0.0', QUOTED: 'a b', LEGACY: 'value with spaces' });
    expect(stageUser(finalStage(stages))).toBe('node');
    expect(isRootUser('node')).toBe(false);
    expect(isRootUser('1000:1000')).toBe(false);
    expect([undefined, 'root', '0', '0:0', 'root:root'].every(isRootUser)).toBe(true);
  });

  it('resolves ARG and ENV references as docker build does with the given build arguments', () => {
    const parameterised = `
ARG BASE=node:22
FROM \${BASE} AS build
ARG APP
RUN npx nx run \${APP}:build
FROM \${BASE}
ARG APP
ARG PORT_VARIABLE=HEALTH_PORT
ARG PORT
ENV HOME_DIR=/app \${PORT_VARIABLE}=\${PORT}
WORKDIR \${HOME_DIR}/apps/\${APP}
COPY --from=build /app/apps/\${APP}/dist ./dist
CMD ["node", "\${APP}"]
`;
    const stages = parseDockerfile(parameterised, { APP: 'gateway', PORT_VARIABLE: 'PORT', PORT: '3000' });
    expect(stages.map((stage) => stage.base)).toEqual(['node:22', 'node:22']);
    expect(instructionsOf(stages[0] as DockerStage, 'RUN')).toEqual(['npx nx run gateway:build']);
    const last = finalStage(stages);
    expect(stageEnv(last)).toEqual({ HOME_DIR: '/app', PORT: '3000' });
    expect(instructionsOf(last, 'WORKDIR')).toEqual(['/app/apps/gateway']);
    expect(instructionsOf(last, 'COPY')).toEqual(['--from=build /app/apps/gateway/dist ./dist']);
    expect(instructionsOf(last, 'CMD')).toEqual(['["node", "${APP}"]']); // run time, not build time
    expect(stageEnv(finalStage(parseDockerfile(parameterised, { APP: 'order-management', PORT: '3001' })))).toEqual({
      HOME_DIR: '/app',
      HEALTH_PORT: '3001',
    });
  });

  it('accepts node_modules from a production-only install', () => {
    expect(productionInstallProblems(parseDockerfile(multiStage))).toEqual([]);
    expect(productionInstallProblems(parseDockerfile('FROM node\nRUN npm install --production\n'))).toEqual([]);
  });

  it.each([
    [
      'node_modules from the full install',
      multiStage.replace('--from=deps /app/node_modules', '--from=build /app/node_modules'),
      /stage "build" installs devDependencies/,
    ],
    ['a full install in the final stage', 'FROM node AS b\nFROM node\nRUN npm ci\n', /installs devDependencies: npm ci/],
    [
      'no install at all',
      'FROM node AS b\nFROM node\nCOPY --from=b /app/dist ./dist\n',
      /neither installs packages nor copies node_modules/,
    ],
    ['an unknown source stage', 'FROM node\nCOPY --from=nope /app/node_modules ./node_modules\n', /not a stage/],
  ])('refuses %s', (_case, dockerfile, problem) => {
    expect(productionInstallProblems(parseDockerfile(dockerfile)).join('\n')).toMatch(problem);
  });
});

// The services no app spec owns: the migrate job, the console and the build files compose points at.
describe('docker-compose.yml (services shared by the apps)', () => {
  const compose = loadCompose({ vars: REQUIRED_COMPOSE_VARIABLES });

  it('refuses to start without the required variables (JWT_SECRET), naming them', () => {
    expect(() => loadCompose()).toThrow(
      /required variable JWT_SECRET is missing a value: set JWT_SECRET to a random secret of at least 32 bytes/,
    );
    expect(() => loadCompose({ vars: { ...REQUIRED_COMPOSE_VARIABLES, JWT_SECRET: '' } })).toThrow(/JWT_SECRET/);
  });

  it('migrate job: DATABASE_URL points at the postgres service, and it waits for Postgres to be healthy', () => {
    const migrate = composeService(compose, 'migrate');
    expect(databaseUrlProblems(compose, serviceEnv(compose, 'migrate')['DATABASE_URL'])).toEqual([]);
    expect(dependsOn(migrate)).toEqual({ postgres: 'service_healthy' });
    expect(migrate.restart).toBe('no');
    expect(composeService(compose, 'postgres').healthcheck?.test).toBeDefined();
  });

  it('the cluster profile: the apps get all three Redpanda nodes, each joining the first and advertising itself', () => {
    const cluster = loadCompose({
      vars: { ...REQUIRED_COMPOSE_VARIABLES, ORDERLINE_KAFKA_BROKERS: 'redpanda:9092,redpanda-1:9092,redpanda-2:9092' },
    });
    const brokers = (serviceEnv(cluster, 'gateway')['KAFKA_BROKERS'] ?? '').split(',');
    expect(brokers).toHaveLength(3);
    expect(kafkaBrokerProblems(cluster, brokers)).toEqual([]);
    for (const node of ['redpanda-1', 'redpanda-2']) {
      const service = composeService(cluster, node) as { profiles?: string[]; command?: string[] };
      expect(service.profiles).toEqual(['cluster']);
      expect(service.command).toContain('--seeds redpanda:33145');
      expect(dependsOn(composeService(cluster, node))).toEqual({ redpanda: 'service_healthy' });
    }
    // without the profile's variable: the one node, as before
    expect(serviceEnv(compose, 'gateway')['KAFKA_BROKERS']).toBe('redpanda:9092');
  });

  it('Redpanda Console reaches the broker', () => {
    const brokers = (serviceEnv(compose, 'redpanda-console')['KAFKA_BROKERS'] ?? '').split(',');
    expect(kafkaBrokerProblems(compose, brokers)).toEqual([]);
  });

  it('the five apps build from one Dockerfile, each naming itself', () => {
    const apps = ['gateway', 'order-management', 'customer-service', 'inventory-service', 'notification-service'];
    const builds = apps.map((app) => serviceBuild(compose, app));
    expect(new Set(builds.map((build) => build.dockerfile))).toEqual(new Set(['docker/app.Dockerfile']));
    expect(builds.map((build) => build.args['APP'])).toEqual(apps);
  });

  it('every build names a Dockerfile that exists; the tools image runs unprivileged', () => {
    const dockerfiles = Object.values(compose.services)
      .map((service) => service.build)
      .filter((build) => build !== undefined)
      .map((build) =>
        typeof build === 'string' ? path.join(build, 'Dockerfile') : path.join(build.context ?? '.', build.dockerfile ?? 'Dockerfile'),
      );
    expect(dockerfiles).toContain('docker/tools.Dockerfile');
    for (const file of dockerfiles) expect(existsSync(path.join(WORKSPACE_ROOT, file))).toBe(true);
    expect(isRootUser(stageUser(finalStage(readDockerfile('docker/tools.Dockerfile'))))).toBe(false);
  });
});
