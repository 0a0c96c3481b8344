/** The register model (Jepsen's cas-register histories) on its own: each rule pinned by a step. */
import { describe, expect, it } from 'vitest';
import { ILLEGAL } from '../src/model';
import { registerModel } from '../src/models/register-model';

describe('register model step', () => {
  it('reads must return the current value; an unknown read changes nothing', () => {
    expect(registerModel.step('1', { kind: 'read' }, { kind: 'read', value: '1' })).toBe('1');
    expect(registerModel.step('1', { kind: 'read' }, { kind: 'read', value: '2' })).toBe(ILLEGAL);
    expect(registerModel.step(null, { kind: 'read' }, { kind: 'read', value: null })).toBe(null);
    expect(registerModel.step(null, { kind: 'read' }, { kind: 'read', value: '1' })).toBe(ILLEGAL);
    expect(registerModel.step('1', { kind: 'read' }, null)).toBe('1');
  });

  it('writes always take effect', () => {
    expect(registerModel.step(null, { kind: 'write', value: '3' }, { kind: 'write' })).toBe('3');
    expect(registerModel.step('1', { kind: 'write', value: '3' }, null)).toBe('3');
  });

  it('a cas succeeds exactly when the value is `from`; an unknown one takes effect only then', () => {
    expect(registerModel.step('1', { kind: 'cas', from: '1', to: '2' }, { kind: 'cas', ok: true })).toBe('2');
    expect(registerModel.step('1', { kind: 'cas', from: '3', to: '2' }, { kind: 'cas', ok: true })).toBe(ILLEGAL);
    expect(registerModel.step('1', { kind: 'cas', from: '1', to: '2' }, { kind: 'cas', ok: false })).toBe(ILLEGAL);
    expect(registerModel.step('1', { kind: 'cas', from: '3', to: '2' }, { kind: 'cas', ok: false })).toBe('1');
    expect(registerModel.step(null, { kind: 'cas', from: '1', to: '2' }, { kind: 'cas', ok: true })).toBe(ILLEGAL);
    expect(registerModel.step('1', { kind: 'cas', from: '1', to: '2' }, null)).toBe('2');
    expect(registerModel.step('1', { kind: 'cas', from: '3', to: '2' }, null)).toBe('1');
  });

  it('tells states apart, and describes operations and states for the report', () => {
    expect(registerModel.equal('1', '1')).toBe(true);
    expect(registerModel.equal('1', '2')).toBe(false);
    expect(registerModel.equal(null, '1')).toBe(false);
    expect(registerModel.hash('1')).not.toBe(registerModel.hash(null));
    expect(registerModel.describeState(null)).toBe('nil');
    expect(registerModel.describeState('7')).toBe('7');
    expect(registerModel.describeOperation({ kind: 'read' }, { kind: 'read', value: null })).toBe('read() → nil');
    expect(registerModel.describeOperation({ kind: 'read' }, null)).toBe('read() → ?');
    expect(registerModel.describeOperation({ kind: 'cas', from: '1', to: '2' }, { kind: 'cas', ok: false })).toBe('cas(1, 2) → fail');
    expect(registerModel.describeOperation({ kind: 'cas', from: '1', to: '2' }, null)).toBe('cas(1, 2) → ?');
  });
});
