import { Topics, topicSpecs } from '@orderline/contracts';
import { createLogger } from '@orderline/logging';
import {
  KafkaHealth,
  PeerGroup,
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

  const publisher = new Publisher(kafka, {
    maxMessageBytes: config.KAFKA_MAX_MESSAGE_BYTES,
    knownTopics: topicSpecs.map((spec) => spec.topic),
  });
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
  // how many gateways share the per-customer limits: each allows 1/N of them
  const peers = new PeerGroup({
    kafka,
    topic: Topics.gatewayPeers,
    groupId: config.GATEWAY_PEERS_GROUP,
    logger,
    refreshMs: config.GATEWAY_PEERS_REFRESH_MS,
  });
  await peers.start();

  const app = createApp({
    publisher,
    requester,
    kafkaHealth,
    jwtSecrets: [config.JWT_SECRET, ...(config.JWT_PREVIOUS_SECRET ? [config.JWT_PREVIOUS_SECRET] : [])],
    logger,
    limits: {
      orderRequestsPerSecond: config.ORDER_RATE_LIMIT_PER_SECOND,
      orderRequestBurst: config.ORDER_RATE_LIMIT_BURST,
      maxQuantityPerProduct: config.ORDER_MAX_QUANTITY_PER_PRODUCT,
    },
    instances: () => peers.size,
  });
  const server = createHttpServer(app).listen(config.PORT, config.HOST, () => {
    logger.info('gateway listening', {
      url: `http://${config.HOST}:${config.PORT}`,
      instanceId,
    });
  });

  onShutdown(logger, [
    () => new Promise((resolve) => server.close(resolve)),
    () => requester.stop(),
    () => peers.stop(),
    () => publisher.disconnect(),
    () => kafkaHealth.close(),
  ]);
}

main().catch(exitOnStartupError(logger));
