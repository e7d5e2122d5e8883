import type { Admin, Consumer, Kafka } from 'kafkajs';
import { Gauge } from 'prom-client';
import type { Logger } from '@orderline/logging';
import { FETCH_MAX_WAIT_MS } from './kafka';
import { restartOnCrash, type CrashRestart } from './restart-on-crash';

const groupMembers = new Gauge({
  name: 'orderline_peer_group_members',
  help: 'Live instances this instance counts in its peer group (gateways: how many share the per-customer limits)',
  labelNames: ['group'],
});

export interface PeerGroupOptions {
  kafka: Kafka;
  /** a topic nothing is sent on; members need not get a partition to be counted */
  topic: string;
  groupId: string;
  logger: Logger;
  /** how often the member count is read from the broker */
  refreshMs: number;
}

/**
 * How many instances of a service are alive, with nothing but Kafka: every instance joins one
 * consumer group (on a topic nothing is sent on) and the group's member count, read with
 * `describeGroups` every `refreshMs`, is the answer. A stopped instance leaves the group at once
 * (it disconnects); a crashed one when its session times out (10 s), so the count errs high
 * for that long, never low. `size` is at least 1 and keeps its last value while the group
 * rebalances or the broker cannot be asked.
 */
export class PeerGroup {
  private readonly consumer: Consumer;
  private readonly admin: Admin;
  private members = 1;
  private timer?: NodeJS.Timeout;
  private crashRestart?: CrashRestart;
  private adminConnected = false;
  private stopped = false;

  constructor(private readonly options: PeerGroupOptions) {
    this.consumer = options.kafka.consumer({
      groupId: options.groupId,
      allowAutoTopicCreation: false,
      maxWaitTimeInMs: FETCH_MAX_WAIT_MS,
      sessionTimeout: 10_000,
      heartbeatInterval: 1_000,
    });
    this.admin = options.kafka.admin({ retry: { retries: 0 } });
    groupMembers.set({ group: options.groupId }, 1);
  }

  /** live instances in the group (this one included), at least 1 */
  get size(): number {
    return this.members;
  }

  /** Joins the group and starts counting; does not wait for the first count (until then, size is 1). */
  async start(): Promise<void> {
    const { topic, logger, refreshMs } = this.options;
    await this.consumer.connect();
    await this.consumer.subscribe({ topic, fromBeginning: false });
    // a join (ours or, after a rebalance, everyone's) is when the count changes: read it soon after
    this.consumer.on(this.consumer.events.GROUP_JOIN, () => setTimeout(() => void this.refresh(), 200).unref());
    const runConfig = { eachMessage: async () => undefined };
    this.crashRestart = restartOnCrash(this.consumer, runConfig, logger);
    await this.consumer.run(runConfig);
    this.timer = setInterval(() => void this.refresh(), refreshMs);
    this.timer.unref();
  }

  /** Reads the member count now; keeps the last one while the group is between generations. */
  async refresh(): Promise<void> {
    if (this.stopped) return;
    const { groupId, logger } = this.options;
    try {
      if (!this.adminConnected) {
        await this.admin.connect();
        this.adminConnected = true;
      }
      const [group] = (await this.admin.describeGroups([groupId])).groups;
      if (!group || group.state !== 'Stable' || group.members.length === 0) return;
      const count = group.members.length;
      if (count !== this.members) logger.info('peer group size changed', { group: groupId, from: this.members, to: count });
      this.members = count;
      groupMembers.set({ group: groupId }, count);
    } catch (error) {
      this.adminConnected = false;
      logger.debug('could not read the peer group', { group: groupId, error: String(error) });
    }
  }

  /** Leaves the group (the others see one member fewer at their next refresh). */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    this.crashRestart?.stop();
    await this.consumer.disconnect().catch(() => undefined);
    await this.admin.disconnect().catch(() => undefined);
  }
}
