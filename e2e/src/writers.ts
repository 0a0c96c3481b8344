/**
 * Concurrent writers through the SDK that remember exactly which writes were acknowledged, so a
 * test can later demand that every one of them is readable. A write that failed is "unknown"
 * (it may or may not have applied) and is not held against the store.
 */
import type { RingKVClient } from '@ringkv/client';

export class AckedWriters {
  /** key -> the last acknowledged value. Each writer owns its keys, so "last" is well defined. */
  readonly acked = new Map<string, string>();
  failures = 0;
  private running = false;
  private loops: Promise<void>[] = [];

  constructor(
    private readonly clients: readonly RingKVClient[],
    private readonly keysPerWriter = 50,
  ) {}

  start(): void {
    this.running = true;
    this.loops = this.clients.map((client, w) => this.loop(client, w));
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }

  private async loop(client: RingKVClient, writer: number): Promise<void> {
    for (let i = 0; this.running; i++) {
      const key = `w/${writer}/${i % this.keysPerWriter}`;
      const value = `${writer}:${i}`;
      try {
        await client.put(key, value, { deadlineMs: 8_000 });
        this.acked.set(key, value);
      } catch {
        // Unknown outcome: a later acknowledged write to this key settles what must be read.
        this.failures++;
        this.acked.delete(key);
        await new Promise((r) => setTimeout(r, 20));
      }
    }
  }
}
