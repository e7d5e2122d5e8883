/**
 * Who else consumes the apps' Kafka consumer groups. Every orderline system on this broker shares
 * the groups `order-management`, `customer-service`, `inventory-service`, so a second system
 * running beside the bench (e.g. another checkout's apps) takes part of the bench's partitions —
 * possibly with different code — and the numbers would not be this system's alone.
 */
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { ConsumerGroups, Topics } from '@orderline/contracts';

// gateway-peers only counts gateways (the bench's own system has a peer group of its own)
const GROUPS: string[] = Object.values(ConsumerGroups).filter((group) => group !== ConsumerGroups.gatewayPeers);

export interface GroupMembers {
  group: string;
  state: string;
  clientIds: string[];
}

export interface GroupsSnapshot {
  groups: GroupMembers[];
  /** CreateOrder commands waiting in orders.commands for order-management (a backlog the bench's orders queue behind) */
  orderCommandsLag: number;
}

export async function describeAppGroups(brokers: string[]): Promise<GroupsSnapshot> {
  const kafka = new Kafka({ clientId: 'orderline-bench', brokers, logLevel: logLevel.NOTHING, retry: { retries: 2 } });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const { groups } = await admin.describeGroups(GROUPS);
    return {
      groups: groups.map((g) => ({ group: g.groupId, state: g.state, clientIds: g.members.map((m) => m.clientId).sort() })),
      orderCommandsLag: await lag(admin, ConsumerGroups.orderManagement, Topics.orderCommands),
    };
  } finally {
    await admin.disconnect();
  }
}

/** Σ over partitions of (end offset − committed offset); a partition never committed counts from its start. */
async function lag(admin: Admin, groupId: string, topic: string): Promise<number> {
  const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
  const ends = await admin.fetchTopicOffsets(topic);
  let total = 0;
  for (const end of ends) {
    const offset = Number(committed?.partitions.find((p) => p.partition === end.partition)?.offset ?? -1);
    total += Number(end.high) - (offset >= 0 ? offset : Number(end.low));
  }
  return total;
}

/**
 * Members that are not ours. Instances started by startSystem from this process carry
 * INSTANCE_ID `<app>-<i>-<our pid>-…` as their Kafka client id; with --url nothing is known to be ours.
 */
export function foreignMembers(groups: GroupMembers[], ownPid: number | undefined): string[] {
  const all = groups.flatMap((g) => g.clientIds.map((id) => `${g.group}: ${id}`));
  return ownPid === undefined ? [] : all.filter((entry) => !entry.includes(`-${ownPid}-`));
}

export const kafkaBrokers = (): string[] =>
  (process.env['KAFKA_BROKERS'] ?? '127.0.0.1:9092')
    .split(',')
    .map((b) => b.trim())
    .filter(Boolean);

/**
 * Pre-flight: waits (at most `timeoutMs`) until order-management has no CreateOrder backlog, so
 * the bench's orders do not queue behind leftovers of earlier runs. Returns the last snapshot.
 */
export async function waitForNoBacklog(brokers: string[], timeoutMs: number): Promise<GroupsSnapshot> {
  const deadline = Date.now() + timeoutMs;
  let snapshot = await describeAppGroups(brokers);
  let lastPrint = 0;
  for (let round = 0; snapshot.orderCommandsLag > 0 && Date.now() < deadline && round < 1_000; round++) {
    if (Date.now() - lastPrint >= 10_000) {
      lastPrint = Date.now();
      console.log(
        `pre-flight: ${snapshot.orderCommandsLag} message(s) waiting in orders.commands; waiting up to ${Math.round((deadline - Date.now()) / 1000)} s for them to drain`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    snapshot = await describeAppGroups(brokers);
  }
  return snapshot;
}
