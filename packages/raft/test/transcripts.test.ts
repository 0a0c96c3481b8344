/**
 * Runs every testdata/*.txt transcript: each block is a command, `----`, and its exact output.
 * `REWRITE=1 npx vitest run test/transcripts.test.ts` rewrites the expected outputs; review the
 * diff before committing it.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { InteractionEnv, parseCommand } from './harness/interaction-env';

const dir = fileURLToPath(new URL('../testdata/', import.meta.url));
const rewrite = process.env['REWRITE'] === '1';

interface Block {
  comments: string[];
  command: string;
  expected: string;
}

function parse(text: string): Block[] {
  const blocks: Block[] = [];
  const lines = text.split('\n');
  let i = 0;
  while (i < lines.length) {
    const comments: string[] = [];
    while (i < lines.length && (lines[i]!.startsWith('#') || lines[i]!.trim() === '')) comments.push(lines[i++]!);
    if (i >= lines.length) {
      if (comments.some((c) => c.trim() !== '')) blocks.push({ comments, command: '', expected: '' });
      break;
    }
    const command = lines[i++]!;
    if (lines[i] !== '----') throw new Error(`line ${i + 1}: expected ---- after ${command}`);
    i++;
    const out: string[] = [];
    while (i < lines.length && lines[i] !== '') out.push(lines[i++]!);
    blocks.push({ comments, command, expected: out.join('\n') });
  }
  return blocks;
}

function render(blocks: Block[]): string {
  const parts: string[] = [];
  for (const b of blocks) {
    parts.push(...b.comments.filter((c) => c.trim() !== ''));
    if (b.command === '') continue;
    parts.push(b.command, '----');
    if (b.expected !== '') parts.push(b.expected);
    parts.push('');
  }
  return parts.join('\n');
}

const files = readdirSync(dir).filter((f) => f.endsWith('.txt')).sort();

describe('raft transcripts', () => {
  it('has transcripts', () => {
    expect(files.length).toBeGreaterThan(10);
  });
  for (const f of files) {
    it(f, () => {
      const blocks = parse(readFileSync(dir + f, 'utf8'));
      const env = new InteractionEnv();
      for (const b of blocks) {
        if (b.command === '') continue;
        const got = env.run(parseCommand(b.command)) || 'ok';
        if (rewrite) b.expected = got;
        else expect(got, `${f}: ${b.command}`).toBe(b.expected);
      }
      if (rewrite) writeFileSync(dir + f, render(blocks));
    });
  }
});
