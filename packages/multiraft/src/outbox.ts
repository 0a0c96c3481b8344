/**
 * A round's outgoing Raft messages, gathered by destination node and sent as peer frames: one
 * frame per destination per send (split only past the soft size limit), whatever the number of
 * groups talking to it. That is what keeps idle and busy partitions alike to one frame per node
 * pair per round. MsgSnap is not a frame message: it goes to the snapshot transfer (onSnapshot).
 */
import type { Message, Ready } from '@ringkv/raft';
import type { NodeId } from '@ringkv/stdx';
import type { Group } from './group';
import type { GroupMessage } from './peer-frame';
import type { LeaderSync } from './replica-freshness';
import { encodePeerFrame, messageSizeBytes } from './peer-frame';
import type { PeerTransport } from './transport';

export class Outbox {
  readonly byNode = new Map<NodeId, GroupMessage[]>();

  /**
   * `syncOf` gives a leader's freshness proof to attach to a message (replica-freshness.ts);
   * `onSnapshot` takes every MsgSnap, which is not a frame message: the snapshot transfer sends it
   * with the partition's export.
   */
  constructor(
    private readonly syncOf: (g: Group, message: Message) => LeaderSync | undefined,
    private readonly onSnapshot: (g: Group, message: Message) => void,
  ) {}

  add(g: Group, message: Message): void {
    if (message.type === 'MsgSnap') {
      this.onSnapshot(g, message);
      return;
    }
    let out = this.byNode.get(message.to);
    if (out === undefined) this.byNode.set(message.to, (out = []));
    const sync = g.isLeader ? this.syncOf(g, message) : undefined;
    out.push(sync === undefined ? { group: g.partition, message } : { group: g.partition, message, sync });
  }

  /** One round's messages of one kind. */
  addReadies(readies: ReadonlyArray<{ g: Group; rd: Ready }>, kind: 'messages' | 'messagesAfterPersist'): this {
    for (const { g, rd } of readies) for (const message of rd[kind]) this.add(g, message);
    return this;
  }

  get isEmpty(): boolean {
    return this.byNode.size === 0;
  }

  /**
   * Sends every destination's messages, one frame each (split past `frameSizeBytesSoftMax`).
   * When `unreachable` is given, records there the destinations the transport cannot reach now,
   * with the groups that wrote to them (`groupOf`), so Raft can be told after the round.
   */
  send(transport: PeerTransport, frameSizeBytesSoftMax: number, unreachable?: { groups: Map<NodeId, Set<Group>>; groupOf: (partition: number) => Group }): void {
    for (const [to, messages] of this.byNode) {
      if (unreachable !== undefined && !transport.isReachable(to)) {
        let groups = unreachable.groups.get(to);
        if (groups === undefined) unreachable.groups.set(to, (groups = new Set<Group>()));
        for (const m of messages) groups.add(unreachable.groupOf(m.group));
      }
      let frame: GroupMessage[] = [];
      let sizeBytes = 0;
      for (const m of messages) {
        const size = messageSizeBytes(m.message);
        if (frame.length > 0 && sizeBytes + size > frameSizeBytesSoftMax) {
          transport.send(to, encodePeerFrame({ messages: frame, chunks: [] }));
          frame = [];
          sizeBytes = 0;
        }
        frame.push(m);
        sizeBytes += size;
      }
      if (frame.length > 0) transport.send(to, encodePeerFrame({ messages: frame, chunks: [] }));
    }
  }
}
