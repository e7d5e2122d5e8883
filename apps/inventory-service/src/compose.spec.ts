import {
  composeService,
  databaseUrlProblems,
  dependsOn,
  finalStage,
  healthcheckUrl,
  instructionsOf,
  isRootUser,
  kafkaBrokerProblems,
  loadCompose,
  productionInstallProblems,
  publishedPorts,
  readDockerfile,
  serviceEnv,
  stageEnv,
  stageUser,
  unknownEnvKeys,
  urlPort,
} from '@orderline/testing';
import { InventoryServiceEnv } from './config';

// Static checks (no Docker engine needed) that the inventory-service compose service and image match what the app reads.
const APP = 'inventory-service';
const Env = InventoryServiceEnv;
const PORT_VARIABLE = 'HEALTH_PORT';

// every ${VAR:-default} at its default: what `docker compose up` does in a shell that sets nothing
const compose = loadCompose();
const service = composeService(compose, APP);
const composeEnv = serviceEnv(compose, APP);
const dockerfile = readDockerfile(`apps/${APP}/Dockerfile`);
const runtime = finalStage(dockerfile);
/** What the container sees: the image's ENV, overridden by the compose service's environment. */
const containerEnv = { ...stageEnv(runtime), ...composeEnv };

describe(`docker-compose.yml: ${APP}`, () => {
  it("the container's environment passes the app's config schema", () => {
    const parsed = Env.safeParse(containerEnv);
    expect(parsed.error?.issues ?? []).toEqual([]);
    // in a container: production mode, bound to every interface (not only the container's loopback)
    expect(parsed.data).toMatchObject({ NODE_ENV: 'production', HOST: '0.0.0.0' });
  });

  it('sets no variable the app does not read (typo, stale setting)', () => {
    const known = Object.keys(Env.shape);
    expect(unknownEnvKeys(composeEnv, known)).toEqual([]);
    expect(unknownEnvKeys(stageEnv(runtime), known)).toEqual([]);
  });

  it('KAFKA_BROKERS is a Kafka listener of a compose service that advertises that same address', () => {
    expect(kafkaBrokerProblems(compose, Env.parse(containerEnv).KAFKA_BROKERS)).toEqual([]);
  });

  it('DATABASE_URL is the postgres service with its user, password and database, which the migrate job prepares', () => {
    const databaseUrl = Env.parse(containerEnv).DATABASE_URL;
    expect(databaseUrlProblems(compose, databaseUrl)).toEqual([]);
    const migrateUrl = serviceEnv(compose, 'migrate')['DATABASE_URL'];
    expect(databaseUrlProblems(compose, migrateUrl)).toEqual([]);
    const database = (url: string) => {
      const { hostname, port, pathname } = new URL(url);
      return { hostname, port, pathname };
    };
    expect(database(migrateUrl ?? 'postgresql://unset')).toEqual(database(databaseUrl));
  });

  it(`healthcheck (and any published port) use the port the app serves health on (${PORT_VARIABLE})`, () => {
    const port = Env.parse(containerEnv)[PORT_VARIABLE];
    const url = healthcheckUrl(service);
    expect(url?.hostname).toMatch(/^(127\.0\.0\.1|localhost)$/);
    expect(url?.pathname).toBe('/health/ready');
    expect(url && urlPort(url)).toBe(port);
    for (const mapping of publishedPorts(service)) expect(mapping.target).toBe(port);
    expect(instructionsOf(runtime, 'EXPOSE')).toEqual([String(port)]);
  });

  it('starts once broker and database are healthy and the migrate job has finished', () => {
    expect(dependsOn(service)).toEqual({
      redpanda: 'service_healthy',
      postgres: 'service_healthy',
      migrate: 'service_completed_successfully',
    });
    expect(composeService(compose, 'redpanda').healthcheck?.test).toBeDefined();
    expect(composeService(compose, 'postgres').healthcheck?.test).toBeDefined();
    expect(composeService(compose, 'migrate').restart).toBe('no');
  });
});

describe(`apps/${APP}/Dockerfile`, () => {
  it('builds in one stage and runs from another', () => {
    expect(dockerfile.length).toBeGreaterThanOrEqual(2);
  });

  it('runs as a non-root user', () => {
    expect(isRootUser(stageUser(runtime))).toBe(false);
  });

  it('ships production dependencies only', () => {
    expect(productionInstallProblems(dockerfile)).toEqual([]);
  });

  it('runs the bundle that `nx build` makes (with the generated Prisma client) in a build stage', () => {
    expect(instructionsOf(runtime, 'CMD')).toEqual([`["node", "apps/${APP}/dist/main.js"]`]);
    const copy = instructionsOf(runtime, 'COPY').find((args) => args.includes(`/apps/${APP}/dist `));
    const from = copy && /--from=(\S+)/.exec(copy)?.[1];
    const build = dockerfile.find((stage) => stage.name === from);
    const runs = build ? instructionsOf(build, 'RUN') : [];
    const generate = runs.findIndex((run) => /npm run db:generate\b/.test(run));
    const bundle = runs.findIndex((run) => new RegExp(`nx (run ${APP}:build|build ${APP})\\b`).test(run));
    expect(generate).toBeGreaterThanOrEqual(0);
    expect(bundle).toBeGreaterThan(generate);
  });

  it(`has a HEALTHCHECK on /health/ready at ${PORT_VARIABLE}`, () => {
    const [healthcheck = ''] = instructionsOf(runtime, 'HEALTHCHECK');
    expect(healthcheck).toContain(`process.env.${PORT_VARIABLE}+'/health/ready'`);
    expect(stageEnv(runtime)[PORT_VARIABLE]).toBe(String(Env.parse(containerEnv)[PORT_VARIABLE]));
  });
});
