/// <reference types="jest" />
import type { z } from 'zod';
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
  REQUIRED_COMPOSE_VARIABLES,
  readDockerfile,
  serviceBuild,
  serviceEnv,
  stageEnv,
  stageUser,
  unknownEnvKeys,
  urlPort,
} from './compose';

/** What an app's env schema must hold for these checks. */
type AppEnv = z.ZodType<{ NODE_ENV: string; HOST: string; KAFKA_BROKERS: string[] }> & { shape: Record<string, unknown> };

/**
 * Static checks (no Docker engine needed) that an app's compose service and the image it builds (the
 * Dockerfile with the service's build arguments) match what the app reads; defines the jest suites, so
 * call it at the top level of the app's compose.spec.ts.
 * `gateway`: the HTTP entry (published port, no database). Otherwise a service that owns tables:
 * DATABASE_URL, waits for Postgres and the migrate job, the image generates the Prisma client.
 */
export function describeComposeApp<E extends AppEnv>(options: {
  app: string;
  env: E;
  /** the variable holding the port its HTTP or health server listens on */
  portVariable: keyof z.infer<E> & string;
  kind: 'gateway' | 'database-service';
  /** more checks on the parsed container environment */
  containerEnvMatches?: (parsed: z.infer<E>) => void;
}): void {
  const { app, env: Env, portVariable, kind } = options;
  // every ${VAR:-default} at its default: what `docker compose up` does in a shell that sets only the required variables
  const compose = loadCompose({ vars: REQUIRED_COMPOSE_VARIABLES });
  const service = composeService(compose, app);
  const composeEnv = serviceEnv(compose, app);
  const build = serviceBuild(compose, app);
  const dockerfile = readDockerfile(build.dockerfile, build.args);
  const runtime = finalStage(dockerfile);
  /** What the container sees: the image's ENV, overridden by the compose service's environment. */
  const containerEnv = { ...stageEnv(runtime), ...composeEnv };
  const parsedEnv = () => Env.parse(containerEnv) as z.infer<E> & Record<string, unknown>;

  describe(`docker-compose.yml: ${app}`, () => {
    it("the container's environment passes the app's config schema", () => {
      const parsed = Env.safeParse(containerEnv);
      expect(parsed.error?.issues ?? []).toEqual([]);
      // in a container: production mode, bound to every interface (not only the container's loopback)
      expect(parsed.data).toMatchObject({ NODE_ENV: 'production', HOST: '0.0.0.0' });
      options.containerEnvMatches?.(parsedEnv());
    });

    it('sets no variable the app does not read (typo, stale setting)', () => {
      const known = Object.keys(Env.shape);
      expect(unknownEnvKeys(composeEnv, known)).toEqual([]);
      expect(unknownEnvKeys(stageEnv(runtime), known)).toEqual([]);
    });

    it('KAFKA_BROKERS is a Kafka listener of a compose service that advertises that same address', () => {
      expect(kafkaBrokerProblems(compose, parsedEnv().KAFKA_BROKERS)).toEqual([]);
    });

    if (kind === 'database-service') {
      it('DATABASE_URL is the postgres service with its user, password and database, which the migrate job prepares', () => {
        const databaseUrl = String(parsedEnv()['DATABASE_URL']);
        expect(databaseUrlProblems(compose, databaseUrl)).toEqual([]);
        const migrateUrl = serviceEnv(compose, 'migrate')['DATABASE_URL'];
        expect(databaseUrlProblems(compose, migrateUrl)).toEqual([]);
        const database = (url: string) => {
          const { hostname, port, pathname } = new URL(url);
          return { hostname, port, pathname };
        };
        expect(database(migrateUrl ?? 'postgresql://unset')).toEqual(database(databaseUrl));
      });
    }

    it(`healthcheck, published ports and EXPOSE use the port the app listens on (${portVariable})`, () => {
      const port = parsedEnv()[portVariable];
      const url = healthcheckUrl(service);
      expect(url?.hostname).toMatch(/^(127\.0\.0\.1|localhost)$/);
      expect(url?.pathname).toBe('/health/ready');
      expect(url && urlPort(url)).toBe(port);
      const published = publishedPorts(service).map((mapping) => mapping.target);
      if (kind === 'gateway') expect(published).toEqual([port]);
      else for (const target of published) expect(target).toBe(port);
      expect(instructionsOf(runtime, 'EXPOSE')).toEqual([String(port)]);
    });

    if (kind === 'gateway') {
      it('starts once the broker is healthy', () => {
        expect(dependsOn(service)).toEqual({ redpanda: 'service_healthy' });
        expect(composeService(compose, 'redpanda').healthcheck?.test).toBeDefined();
      });
    } else {
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
    }
  });

  describe(`${build.dockerfile} with the build arguments of ${app}`, () => {
    it('builds in one stage and runs from another', () => {
      expect(dockerfile.length).toBeGreaterThanOrEqual(2);
    });

    it('runs as a non-root user', () => {
      expect(isRootUser(stageUser(runtime))).toBe(false);
    });

    it('ships production dependencies only', () => {
      expect(productionInstallProblems(dockerfile)).toEqual([]);
    });

    it(`runs the bundle that \`nx build\` makes in a build stage${kind === 'database-service' ? ' (with the generated Prisma client)' : ''}`, () => {
      const [cmd = '[]'] = instructionsOf(runtime, 'CMD');
      const [executable, entry] = JSON.parse(cmd) as string[];
      expect(executable).toBe('node');
      // an entry point linked to the bundle (`ln -s <bundle> <entry>`) runs the bundle
      const linked = instructionsOf(runtime, 'RUN')
        .map((run) => /^ln -s (\S+) (\S+)$/.exec(run))
        .find((link) => link?.[2] === entry)?.[1];
      expect(linked ?? entry).toBe(`apps/${app}/dist/main.js`);
      const copy = instructionsOf(runtime, 'COPY').find((args) => args.includes(`/apps/${app}/dist `));
      const from = copy && /--from=(\S+)/.exec(copy)?.[1];
      const buildStage = dockerfile.find((stage) => stage.name === from);
      const runs = buildStage ? instructionsOf(buildStage, 'RUN') : [];
      const bundle = runs.findIndex((run) => new RegExp(`nx (run ${app}:build|build ${app})\\b`).test(run));
      expect(bundle).toBeGreaterThanOrEqual(0);
      if (kind === 'database-service') {
        const generate = runs.findIndex((run) => /npm run db:generate\b/.test(run));
        expect(generate).toBeGreaterThanOrEqual(0);
        expect(bundle).toBeGreaterThan(generate);
      }
    });

    it(`has a HEALTHCHECK on /health/ready at ${portVariable}, which the image sets`, () => {
      const [healthcheck = ''] = instructionsOf(runtime, 'HEALTHCHECK');
      expect(healthcheck).toContain(`process.env.${portVariable}`);
      expect(healthcheck).toContain("/health/ready'");
      expect(stageEnv(runtime)[portVariable]).toBe(String(parsedEnv()[portVariable]));
    });
  });
}
