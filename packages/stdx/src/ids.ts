/**
 * Branded ids: a NodeId cannot be passed where a GroupId is expected, though both are numbers at
 * run time. Constructors check the value once, at the boundary.
 */
import { assert } from './assert';

declare const brand: unique symbol;
export type Brand<T, B extends string> = T & { readonly [brand]: B };

export type NodeId = Brand<number, 'NodeId'>;
export type GroupId = Brand<number, 'GroupId'>;
export type Term = Brand<number, 'Term'>;
export type LogIndex = Brand<number, 'LogIndex'>;

function nonNegativeInt(value: number, what: string): void {
  assert(Number.isSafeInteger(value) && value >= 0, `${what} must be a non-negative safe integer, got ${value}`);
}

export function nodeId(value: number): NodeId {
  nonNegativeInt(value, 'NodeId');
  assert(value > 0, 'NodeId 0 is reserved for "none"');
  return value as NodeId;
}

export function groupId(value: number): GroupId {
  nonNegativeInt(value, 'GroupId');
  return value as GroupId;
}

export function term(value: number): Term {
  nonNegativeInt(value, 'Term');
  return value as Term;
}

export function logIndex(value: number): LogIndex {
  nonNegativeInt(value, 'LogIndex');
  return value as LogIndex;
}

/** "No node": used for an unknown leader or an empty vote. */
export const NO_NODE = 0 as NodeId;
