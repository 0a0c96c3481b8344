/**
 * The bench commands' argument parsing: `--help` prints the command's usage and exits 0; an
 * unknown option or a missing value prints what was wrong and where to look, and exits 2,
 * instead of a stack trace.
 */
import type { ParseArgsConfig } from 'node:util';
import { parseArgs } from 'node:util';

type Options = NonNullable<ParseArgsConfig['options']>;
type Values<O extends Options> = ReturnType<typeof parseArgs<{ options: O; strict: true; allowPositionals: false }>>['values'];

export function parseCommandLine<O extends Options>(options: O, usage: string, argv: readonly string[] = process.argv.slice(2)): Values<O> {
  let values: Values<O> & { help?: boolean };
  try {
    const config: ParseArgsConfig = { args: [...argv], options: { ...options, help: { type: 'boolean', short: 'h' } }, strict: true, allowPositionals: false };
    values = parseArgs(config).values as Values<O> & { help?: boolean };
  } catch (error) {
    console.error(`${error instanceof Error ? error.message : String(error)}\n(run with --help to see every option)`);
    process.exit(2);
  }
  if (values.help === true) {
    console.log(usage);
    process.exit(0);
  }
  return values;
}
