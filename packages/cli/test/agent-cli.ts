import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultCredentialsRoot } from '@berth/core';
import { removeContainersOf, STAND_IN_PROFILE, tempDir } from '@berth/testkit';
import { berthCli } from '@berth/testkit/cli';
import { onTestFinished } from 'vitest';

/** A CLI whose config file has the stand-in profile; its volumes and host credentials are cleaned up. */
export function agentCli(config: unknown = { agents: { 'stand-in': STAND_IN_PROFILE } }) {
  const dir = tempDir('berth-config-');
  const configFile = join(dir, 'config.json');
  writeFileSync(configFile, typeof config === 'string' ? config : JSON.stringify(config));
  const cli = berthCli({ BERTH_CONFIG: configFile });
  onTestFinished(async () => {
    // The daemon is stopped by the fixture's own cleanup; containers must go before their volumes.
    const pid = cli.daemonPid();
    if (pid) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await removeContainersOf(cli.home);
    rmSync(defaultCredentialsRoot(cli.home), { recursive: true, force: true });
  });
  return { cli, configFile };
}
