/**
 * Computes the next membership configuration from the current one and a ConfChange, without
 * touching the current one (so the leader can dry-run a proposal). Rules (Raft thesis §4.3):
 * one voter may change at a time directly ('simple'); anything more goes through a joint
 * configuration, left automatically or by an explicit empty ConfChange.
 */
import type { NodeId } from '@ringkv/stdx';
import { ConfChangeError } from '../errors';
import { Progress } from '../tracker/progress';
import { cloneConfig, isJoint, type TrackerConfig } from '../tracker/tracker';
import type { ConfChange, ConfChangeSingle } from '../types';

export interface ChangeResult {
  config: TrackerConfig;
  progress: Map<NodeId, Progress>;
}

export class Changer {
  constructor(
    private readonly config: TrackerConfig,
    private readonly progress: ReadonlyMap<NodeId, Progress>,
    private readonly lastIndex: number,
    private readonly maxInflight: number,
  ) {}

  /** Applies a ConfChange the way etcd's ConfChangeV2 does. */
  apply(cc: ConfChange): ChangeResult {
    if (cc.changes.length === 0) {
      if (isJoint(this.config)) return this.leaveJoint();
      return this.copy();
    }
    if (cc.transition !== 'auto' || cc.changes.length > 1) return this.enterJoint(cc.transition !== 'explicit', cc.changes);
    return this.simple(cc.changes);
  }

  enterJoint(autoLeave: boolean, ccs: readonly ConfChangeSingle[]): ChangeResult {
    const r = this.copy();
    if (isJoint(r.config)) throw new ConfChangeError('configuration is already joint: leave it first');
    if (r.config.incoming.size === 0) throw new ConfChangeError('cannot make a zero-voter configuration joint');
    r.config.outgoing = new Set(r.config.incoming);
    this.applyChanges(r, ccs);
    r.config.autoLeave = autoLeave;
    checkInvariants(r);
    return r;
  }

  leaveJoint(): ChangeResult {
    const r = this.copy();
    if (!isJoint(r.config)) throw new ConfChangeError('cannot leave a non-joint configuration');
    for (const id of r.config.learnersNext) {
      r.config.learners.add(id);
      this.cloneProgress(r, id)!.isLearner = true;
    }
    r.config.learnersNext.clear();
    for (const id of r.config.outgoing) {
      if (!r.config.incoming.has(id) && !r.config.learners.has(id)) r.progress.delete(id);
    }
    r.config.outgoing.clear();
    r.config.autoLeave = false;
    checkInvariants(r);
    return r;
  }

  simple(ccs: readonly ConfChangeSingle[]): ChangeResult {
    const r = this.copy();
    if (isJoint(r.config)) throw new ConfChangeError('cannot apply a simple change in a joint configuration');
    this.applyChanges(r, ccs);
    let changed = 0;
    for (const id of r.config.incoming) if (!this.config.incoming.has(id)) changed++;
    for (const id of this.config.incoming) if (!r.config.incoming.has(id)) changed++;
    if (changed > 1) throw new ConfChangeError('more than one voter changed without entering a joint configuration');
    checkInvariants(r);
    return r;
  }

  private copy(): ChangeResult {
    // Progress objects are shared with the live tracker except those we modify, which we clone.
    const progress = new Map<NodeId, Progress>();
    for (const [id, pr] of this.progress) progress.set(id, pr);
    return { config: cloneConfig(this.config), progress };
  }

  private cloneProgress(r: ChangeResult, id: NodeId): Progress | undefined {
    const pr = r.progress.get(id);
    if (pr === undefined) return undefined;
    const c = Object.assign(Object.create(Object.getPrototypeOf(pr) as object) as Progress, pr);
    r.progress.set(id, c);
    return c;
  }

  private applyChanges(r: ChangeResult, ccs: readonly ConfChangeSingle[]): void {
    for (const cc of ccs) {
      if (cc.nodeId === 0) continue;
      switch (cc.type) {
        case 'addNode':
          this.makeVoter(r, cc.nodeId);
          break;
        case 'addLearner':
          this.makeLearner(r, cc.nodeId);
          break;
        case 'removeNode':
          this.remove(r, cc.nodeId);
          break;
      }
    }
    if (r.config.incoming.size === 0) throw new ConfChangeError('removed all voters');
  }

  private makeVoter(r: ChangeResult, id: NodeId): void {
    const pr = this.cloneProgress(r, id);
    if (pr === undefined) {
      this.initProgress(r, id, false);
      return;
    }
    pr.isLearner = false;
    r.config.learners.delete(id);
    r.config.learnersNext.delete(id);
    r.config.incoming.add(id);
  }

  private makeLearner(r: ChangeResult, id: NodeId): void {
    const pr = this.cloneProgress(r, id);
    if (pr === undefined) {
      this.initProgress(r, id, true);
      return;
    }
    if (pr.isLearner) return;
    this.remove(r, id);
    r.progress.set(id, pr);
    // A voter of the outgoing half stays a voter until the joint configuration is left.
    if (r.config.outgoing.has(id)) {
      r.config.learnersNext.add(id);
    } else {
      pr.isLearner = true;
      r.config.learners.add(id);
    }
  }

  private remove(r: ChangeResult, id: NodeId): void {
    if (!r.progress.has(id)) return;
    r.config.incoming.delete(id);
    r.config.learners.delete(id);
    r.config.learnersNext.delete(id);
    if (!r.config.outgoing.has(id)) r.progress.delete(id);
  }

  private initProgress(r: ChangeResult, id: NodeId, isLearner: boolean): void {
    if (isLearner) r.config.learners.add(id);
    else r.config.incoming.add(id);
    // Probe from the last index: the new member most likely has nothing, and the first rejection
    // tells us where to start. recentActive so check-quorum does not count it dead right away.
    const pr = new Progress(Math.max(this.lastIndex, 1), this.maxInflight, isLearner);
    pr.recentActive = true;
    r.progress.set(id, pr);
  }
}

function checkInvariants(r: ChangeResult): void {
  const { config, progress } = r;
  for (const ids of [config.incoming, config.outgoing, config.learners, config.learnersNext]) {
    for (const id of ids) if (!progress.has(id)) throw new ConfChangeError(`no progress for ${id}`);
  }
  for (const id of config.learnersNext) {
    if (!config.outgoing.has(id)) throw new ConfChangeError(`${id} is in learnersNext but not outgoing`);
    if (progress.get(id)!.isLearner) throw new ConfChangeError(`${id} is in learnersNext but already a learner`);
  }
  for (const id of config.learners) {
    if (config.outgoing.has(id) || config.incoming.has(id)) throw new ConfChangeError(`${id} is a learner and a voter`);
    if (!progress.get(id)!.isLearner) throw new ConfChangeError(`${id} is a learner but its progress says voter`);
  }
  if (!isJoint(config) && (config.learnersNext.size > 0 || config.autoLeave)) {
    throw new ConfChangeError('learnersNext/autoLeave set outside a joint configuration');
  }
}
