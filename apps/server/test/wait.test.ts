/** The test harness's ports: all different, so two nodes never get the same one. */
import { describe, expect, it } from 'vitest';
import { freePorts } from './wait';

describe('freePorts', () => {
  it('gives distinct ports', async () => {
    const ports = await freePorts('127.0.0.1', 8);
    expect(new Set(ports).size).toBe(8);
  });
});
