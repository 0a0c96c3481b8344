/**
 * Builds the tracker configuration from a ConfState (at start-up or when installing a snapshot).
 */
import { ConfChangeError } from '../errors';
import { Progress } from '../tracker/progress';
import type { TrackerConfig } from '../tracker/tracker';
import type { ConfState } from '../types';
import type { NodeId } from '@ringkv/stdx';

export function restoreConfig(cs: ConfState, lastIndex: number, maxInflight: number): { config: TrackerConfig; progress: Map<NodeId, Progress> } {
  const config: TrackerConfig = {
    incoming: new Set(cs.voters),
    outgoing: new Set(cs.votersOutgoing),
    learners: new Set(cs.learners),
    learnersNext: new Set(cs.learnersNext),
    autoLeave: cs.autoLeave,
  };
  const progress = new Map<NodeId, Progress>();
  for (const id of [...config.incoming, ...config.outgoing]) {
    if (!progress.has(id)) progress.set(id, new Progress(lastIndex + 1, maxInflight, false));
  }
  for (const id of [...config.learners, ...config.learnersNext]) {
    if (config.learners.has(id) && (config.incoming.has(id) || config.outgoing.has(id))) {
      throw new ConfChangeError(`ConfState lists ${id} as both learner and voter`);
    }
    if (!progress.has(id)) progress.set(id, new Progress(lastIndex + 1, maxInflight, true));
  }
  for (const id of config.learnersNext) {
    if (!config.outgoing.has(id)) throw new ConfChangeError(`ConfState lists ${id} in learnersNext but not in votersOutgoing`);
  }
  return { config, progress };
}
