import { readFileSync } from 'node:fs';
import type { History } from './operation';
import { parseEdnKvHistory } from './parse-edn-kv';
import { parseJepsenLog } from './parse-jepsen';
import { parseRingKvHistory } from './parse-ringkv';

export type HistoryFormat = 'ringkv' | 'jepsen' | 'kv';
export const HISTORY_FORMATS: readonly HistoryFormat[] = ['ringkv', 'jepsen', 'kv'];

/** Models differ per format, so a loaded history is typed loosely; each model checks its own ops. */
export type AnyHistory = History<unknown, unknown, unknown>;

/** Guesses the format from the file name: .log is Jepsen, .txt/.edn is EDN kv, else RingKV JSON lines. */
export function guessFormat(path: string): HistoryFormat {
  if (path.endsWith('.log')) return 'jepsen';
  if (path.endsWith('.txt') || path.endsWith('.edn')) return 'kv';
  return 'ringkv';
}

export function parseHistory(text: string, format: HistoryFormat): AnyHistory {
  switch (format) {
    case 'ringkv':
      return parseRingKvHistory(text) as unknown as AnyHistory;
    case 'jepsen':
      return parseJepsenLog(text) as unknown as AnyHistory;
    case 'kv':
      return parseEdnKvHistory(text) as unknown as AnyHistory;
  }
}

export function loadHistory(path: string, format: HistoryFormat = guessFormat(path)): AnyHistory {
  return parseHistory(readFileSync(path, 'utf8'), format);
}
