import type { Command } from 'commander';
import { action } from '../action.js';
import { config } from '../daemon-client.js';

export function register(program: Command): void {
  program
    .command('serve')
    .description('run the daemon in the foreground (unix socket under $BERTH_HOME; TCP with $BERTH_PORT)')
    // No default here: without the flag the daemon takes BERTH_LOG_LEVEL, else info.
    .option('--log-level <level>', 'pino log level (default: $BERTH_LOG_LEVEL or info)')
    .action(
      action(async (o: { logLevel?: string }) => {
        // Loaded here so that every other command starts without the server's weight.
        const { runDaemon } = await import('@berth/server');
        await runDaemon(config(), o.logLevel ? { logLevel: o.logLevel } : {});
        return await new Promise<number>(() => {}); // runs until a signal
      }),
    );
}
