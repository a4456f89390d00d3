import type { Channel, ConsumeMessage } from 'amqplib';

/**
 * Acknowledges the messages of one channel in groups. RabbitMQ numbers the deliveries of a channel
 * in order, and one `ack` with `multiple` set acknowledges every outstanding delivery up to its tag.
 * Batches finish out of order, so a group is acknowledged only up to the oldest delivery that is
 * not settled yet: a message is never acknowledged before its own outcome committed.
 */
export class AckBatcher {
  private readonly channel: Channel;
  /** Deliveries not yet acknowledged, in delivery order, from index `head` on. */
  private outstanding: ConsumeMessage[] = [];
  private head = 0;
  /** Delivery tags whose outcome committed and that wait for the next group acknowledgement. */
  private readonly ready = new Set<number>();
  /** Delivery tags settled on their own (rejected, or acknowledged after dead-lettering). */
  private readonly settledAlone = new Set<number>();

  constructor(channel: Channel) {
    this.channel = channel;
  }

  /** Records a delivery; call it in delivery order. */
  track(message: ConsumeMessage): void {
    this.outstanding.push(message);
  }

  /** Marks messages whose outcome committed, then acknowledges the longest settled run of the oldest deliveries. */
  ack(messages: readonly ConsumeMessage[]): void {
    for (const message of messages) this.ready.add(message.fields.deliveryTag);
    this.flush();
  }

  /** Records a message that was acknowledged or rejected on its own, so that it no longer holds back the group. */
  forget(message: ConsumeMessage): void {
    this.settledAlone.add(message.fields.deliveryTag);
    this.flush();
  }

  private flush(): void {
    let last: ConsumeMessage | undefined;
    while (this.head < this.outstanding.length) {
      const message = this.outstanding[this.head]!;
      const tag = message.fields.deliveryTag;
      if (this.ready.delete(tag)) last = message;
      else if (!this.settledAlone.delete(tag)) break;
      this.head += 1;
    }
    if (this.head > 1024 && this.head * 2 > this.outstanding.length) {
      this.outstanding = this.outstanding.slice(this.head);
      this.head = 0;
    }
    // Deliveries settled on their own are no longer outstanding, so `multiple` leaves them alone.
    if (last !== undefined) this.channel.ack(last, true);
  }
}
