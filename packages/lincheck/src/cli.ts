import { writeFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { checkHistory } from './checker';
import { renderHtmlReport } from './html-report';
import { HISTORY_FORMATS, guessFormat, loadHistory } from './load-history';
import type { HistoryFormat } from './load-history';

/** Exit codes: 0 Ok, 1 Illegal, 2 Unknown (budget spent), 3 the input could not be read. */
export const EXIT_CODES = { ok: 0, illegal: 1, unknown: 2, badInput: 3 } as const;

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('must be a positive integer');
  return n;
}

export function runCli(argv: readonly string[]): number {
  let exitCode: number = EXIT_CODES.badInput;
  const program = new Command()
    .name('lincheck')
    .description('Checks a history of operations for linearizability (Wing & Gong search, Porcupine style).')
    .argument('<file>', 'history file')
    .addOption(new Option('--format <format>', 'history format (default: from the extension: .log jepsen, .txt/.edn kv, else ringkv)').choices(HISTORY_FORMATS))
    .option('--timeout-ms <n>', 'time budget; past it the verdict is Unknown', positiveInt, 60_000)
    .option('--html <out.html>', 'write an HTML report of the keys that are not Ok')
    .exitOverride()
    .action((file: string, opts: { format?: HistoryFormat; timeoutMs: number; html?: string }) => {
      const format = opts.format ?? guessFormat(file);
      // Under `npm run check -w`, npm runs us in the package folder; INIT_CWD is where the user was.
      const path = resolve(process.env.INIT_CWD ?? process.cwd(), file);
      let history;
      try {
        history = loadHistory(path, format);
      } catch (e) {
        console.error(`lincheck: cannot read ${file} as ${format}: ${(e as Error).message}`);
        exitCode = EXIT_CODES.badInput;
        return;
      }
      const result = checkHistory(history, { timeoutMs: opts.timeoutMs });
      const word = { ok: 'Ok', illegal: 'Illegal', unknown: 'Unknown' }[result.verdict];
      console.log(
        `${word} (${result.elapsedMs.toFixed(1)} ms, ${history.operations.length} operations, ${result.keys.length} keys, ${format})`,
      );
      for (const k of result.keys) {
        if (k.verdict === 'ok') continue;
        const blocking = k.blockingOp === undefined ? undefined : k.operations[k.blockingOp];
        const detail =
          blocking === undefined
            ? ''
            : `: cannot place client ${blocking.client} ${history.model.describeOperation(blocking.input, blocking.output)}`;
        console.log(`  key ${JSON.stringify(k.key)} ${k.verdict}, longest prefix ${k.longestPrefix.length}/${k.operations.length}${detail}`);
      }
      if (opts.html !== undefined) {
        writeFileSync(resolve(process.env.INIT_CWD ?? process.cwd(), opts.html), renderHtmlReport(history.model, result, basename(file)));
        console.log(`report: ${opts.html}`);
      }
      exitCode = EXIT_CODES[result.verdict];
    });
  try {
    program.parse(argv, { from: 'user' });
  } catch (e) {
    const code = (e as { exitCode?: number }).exitCode;
    // --help and --version exit 0 through commander's exitOverride; anything else is bad usage.
    return code === 0 ? 0 : EXIT_CODES.badInput;
  }
  return exitCode;
}

if (process.argv[1] !== undefined && import.meta.url.endsWith(basename(process.argv[1]))) {
  process.exitCode = runCli(process.argv.slice(2));
}
