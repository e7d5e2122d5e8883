import { Topics, topicSpecs } from '@orderline/contracts';
import { createLogger } from '@orderline/logging';
import {
  KafkaHealth,
  Publisher,
  Requester,
  createKafka,
  ensureTopics,
  newInstanceId,
} from '@orderline/messaging';
import { exitOnStartupError, initMetrics, onShutdown } from '@orderline/runtime';
import { createApp } from './http/app';
import { createHttpServer } from './http/server';
import { loadGatewayConfig } from './config';

const logger = createLogger('gateway');

async function main() {
  const config = loadGatewayConfig();
  initMetrics('gateway');
  const instanceId = config.INSTANCE_ID ?? newInstanceId('gateway');
  const kafka = createKafka({
    clientId: instanceId,
    brokers: config.KAFKA_BROKERS,
    logger,
  });
  await ensureTopics(kafka, topicSpecs);

  const publisher = new Publisher(kafka);
  await publisher.connect();
  const requester = new Requester({
    kafka,
    publisher,
    replyTopic: Topics.gatewayReplies,
    instanceId,
    logger,
    timeoutMs: config.REQUEST_TIMEOUT_MS,
  });
  await requester.start();
  const kafkaHealth = new KafkaHealth(kafka);

  const app = createApp({
    publisher,
    requester,
    kafkaHealth,
    jwtSecrets: [config.JWT_SECRET, ...(config.JWT_PREVIOUS_SECRET ? [config.JWT_PREVIOUS_SECRET] : [])],
    logger,
  });
  const server = createHttpServer(app, {
    headersTimeoutMs: config.HTTP_HEADERS_TIMEOUT_MS,
    requestTimeoutMs: config.HTTP_REQUEST_TIMEOUT_MS,
    keepAliveTimeoutMs: config.HTTP_KEEP_ALIVE_TIMEOUT_MS,
    idleTimeoutMs: config.HTTP_IDLE_TIMEOUT_MS,
  }).listen(config.PORT, config.HOST, () => {
    logger.info('gateway listening', {
      url: `http://${config.HOST}:${config.PORT}`,
      instanceId,
    });
  });

  onShutdown(logger, [
    () => new Promise((resolve) => server.close(resolve)),
    () => requester.stop(),
    () => publisher.disconnect(),
    () => kafkaHealth.close(),
  ]);
}

main().catch(exitOnStartupError(logger));
