/**
 * `ringkv-server`: parses the settings, starts the node, and stops it cleanly on SIGTERM/SIGINT
 * (exit 0). Exit codes: 0 clean stop or --help, 1 the node failed, 2 invalid settings.
 */
import pino from 'pino';
import { CommanderError, parseCommandLine } from './config/cli';
import type { ServerConfig } from './config/server-config';

function parse(): ServerConfig {
  try {
    return parseCommandLine(process.argv.slice(2), process.env).config;
  } catch (error) {
    if (error instanceof CommanderError) process.exit(error.exitCode === 0 ? 0 : 2); // commander printed it
    process.stderr.write(`ringkv-server: ${error instanceof Error ? error.message : String(error)}\n(run with --help to see every option)\n`);
    process.exit(2);
  }
}

const config = parse();
const logger = pino({ level: config.logLevel, base: { node: config.id } });

process.on('uncaughtException', (error) => {
  logger.fatal({ err: error }, 'uncaught exception; exiting');
  logger.flush();
  process.exit(1);
});
process.on('unhandledRejection', (error) => {
  logger.fatal({ err: error }, 'unhandled rejection; exiting');
  logger.flush();
  process.exit(1);
});

let node;
try {
  // tRPC decides at router creation whether to put stack traces in error responses (unless
  // NODE_ENV is "production"); a server never should, whatever the environment says. Set before
  // the api is loaded.
  process.env['NODE_ENV'] = 'production';
  // Loaded after parsing, so --help and settings errors answer fast without loading the Store.
  const { startNode } = await import('./node');
  node = await startNode(config, logger);
} catch (error) {
  logger.fatal({ err: error }, `node failed to start: ${error instanceof Error ? error.message : String(error)}`);
  logger.flush();
  process.exit(1);
}
const running = node;

let signals = 0;
const onSignal = (signal: NodeJS.Signals) => {
  signals++;
  if (signals > 1) {
    logger.warn({ signal }, 'second signal: exiting without a clean stop');
    logger.flush();
    process.exit(1);
  }
  logger.info({ signal }, 'signal received: stopping');
  running
    .stop()
    .then(() => {
      logger.flush();
      process.exit(0);
    })
    .catch((error: unknown) => {
      logger.fatal({ err: error }, 'clean stop failed');
      logger.flush();
      process.exit(1);
    });
};
process.on('SIGTERM', onSignal);
process.on('SIGINT', onSignal);
