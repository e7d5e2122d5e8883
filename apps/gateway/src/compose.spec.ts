import { DEV_JWT_SECRET } from '@orderline/config';
import {
  composeService,
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
import { GatewayEnv } from './config';

// Static checks (no Docker engine needed) that the gateway's compose service and image match what the app reads.
const APP = 'gateway';
const Env = GatewayEnv;
const PORT_VARIABLE = 'PORT';

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
    // in a container: production mode (real JWT secret enforced) and bound to every interface, or the
    // published port would reach nothing
    expect(parsed.data).toMatchObject({ NODE_ENV: 'production', HOST: '0.0.0.0' });
    expect(parsed.data?.JWT_SECRET).not.toBe(DEV_JWT_SECRET);
  });

  it('sets no variable the app does not read (typo, stale setting)', () => {
    const known = Object.keys(Env.shape);
    expect(unknownEnvKeys(composeEnv, known)).toEqual([]);
    expect(unknownEnvKeys(stageEnv(runtime), known)).toEqual([]);
  });

  it('KAFKA_BROKERS is a Kafka listener of a compose service that advertises that same address', () => {
    expect(kafkaBrokerProblems(compose, Env.parse(containerEnv).KAFKA_BROKERS)).toEqual([]);
  });

  it(`healthcheck, published port and EXPOSE use the port the app listens on (${PORT_VARIABLE})`, () => {
    const port = Env.parse(containerEnv)[PORT_VARIABLE];
    const url = healthcheckUrl(service);
    expect(url?.hostname).toMatch(/^(127\.0\.0\.1|localhost)$/);
    expect(url?.pathname).toBe('/health/ready');
    expect(url && urlPort(url)).toBe(port);
    expect(publishedPorts(service).map((mapping) => mapping.target)).toEqual([port]);
    expect(instructionsOf(runtime, 'EXPOSE')).toEqual([String(port)]);
  });

  it('starts once the broker is healthy', () => {
    expect(dependsOn(service)).toEqual({ redpanda: 'service_healthy' });
    expect(composeService(compose, 'redpanda').healthcheck?.test).toBeDefined();
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

  it('runs the bundle that `nx build` makes in a build stage', () => {
    expect(instructionsOf(runtime, 'CMD')).toEqual([`["node", "apps/${APP}/dist/main.js"]`]);
    const copy = instructionsOf(runtime, 'COPY').find((args) => args.includes(`/apps/${APP}/dist `));
    const from = copy && /--from=(\S+)/.exec(copy)?.[1];
    const build = dockerfile.find((stage) => stage.name === from);
    expect(build && instructionsOf(build, 'RUN').some((run) => new RegExp(`nx (run ${APP}:build|build ${APP})\\b`).test(run))).toBe(true);
  });

  it(`has a HEALTHCHECK on /health/ready at ${PORT_VARIABLE}`, () => {
    const [healthcheck = ''] = instructionsOf(runtime, 'HEALTHCHECK');
    expect(healthcheck).toContain(`process.env.${PORT_VARIABLE}+'/health/ready'`);
    expect(stageEnv(runtime)[PORT_VARIABLE]).toBe(String(Env.parse(containerEnv)[PORT_VARIABLE]));
  });
});
