import { replicationConfig, topicReplication } from './topic-settings';

describe('topicReplication', () => {
  it('keeps a single broker at replication factor 1 and min.insync.replicas 1 (writes must still be possible)', () => {
    expect(topicReplication(1)).toEqual({ replicationFactor: 1, minInsyncReplicas: 1 });
  });

  it('replicates to every broker of a small cluster, and requires 2 in-sync replicas once there is a second copy', () => {
    expect(topicReplication(2)).toEqual({ replicationFactor: 2, minInsyncReplicas: 2 });
    expect(topicReplication(3)).toEqual({ replicationFactor: 3, minInsyncReplicas: 2 });
  });

  it('stops at three copies on a larger cluster', () => {
    expect(topicReplication(5)).toEqual({ replicationFactor: 3, minInsyncReplicas: 2 });
    expect(topicReplication(12)).toEqual({ replicationFactor: 3, minInsyncReplicas: 2 });
  });

  it('refuses a cluster without brokers', () => {
    expect(() => topicReplication(0)).toThrow(RangeError);
    expect(() => topicReplication(1.5)).toThrow(RangeError);
  });

  it('sets min.insync.replicas on replicated topics only (a single broker keeps its default, 1)', () => {
    expect(replicationConfig(topicReplication(3))).toEqual({ 'min.insync.replicas': '2' });
    expect(replicationConfig(topicReplication(2))).toEqual({ 'min.insync.replicas': '2' });
    expect(replicationConfig(topicReplication(1))).toEqual({});
  });
});
