/**
 * How every topic of the system is replicated, decided from the cluster's size in this one place
 * (`ensureTopics` applies it; scripts/infra/kafka.sh gives the broker's own topics the same rule).
 */
export interface TopicReplication {
  /** copies of each partition: one per broker, at most 3 */
  replicationFactor: number;
  /**
   * replicas that must have a write before an acks=all producer gets its ack: 2 when replicated,
   * so an acknowledged message survives the loss of any one broker, and with only one broker left
   * writes are refused (NOT_ENOUGH_REPLICAS) instead of resting on a single disk.
   */
  minInsyncReplicas: number;
}

/** The most copies any partition gets: three survive one broker down for maintenance and another failing. */
export const MAX_REPLICATION_FACTOR = 3;

export function topicReplication(brokerCount: number): TopicReplication {
  if (!Number.isInteger(brokerCount) || brokerCount < 1) throw new RangeError(`a cluster of ${brokerCount} brokers`);
  const replicationFactor = Math.min(MAX_REPLICATION_FACTOR, brokerCount);
  return { replicationFactor, minInsyncReplicas: replicationFactor > 1 ? 2 : 1 };
}

/**
 * The topic-level settings of `topicReplication` (min.insync.replicas; the factor is a create
 * parameter). None on a single broker, whose default (1) it is: topics there are created as before.
 */
export function replicationConfig({ replicationFactor, minInsyncReplicas }: TopicReplication): Record<string, string> {
  return replicationFactor > 1 ? { 'min.insync.replicas': String(minInsyncReplicas) } : {};
}
