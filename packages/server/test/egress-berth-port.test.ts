import { execFile } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { docker, makeRepo, SESSION_IMAGE, testCore } from '@berth/testkit';
import { testServer } from '@berth/testkit/server';
import { describe, expect, it } from 'vitest';

// berth's own TCP port, as a session sees it: the daemon's API listening on all of this
// machine's addresses. From a session (filtered, berth's default), neither the engine's bridge
// gateway nor the shared session network's gateway reaches it, directly or through berth's egress
// proxy, and the attempt through the proxy is in the session's egress log.

function sh(containerId: string, script: string): Promise<string> {
  return new Promise((resolve) => {
    execFile('docker', ['exec', containerId, 'sh', '-c', script], { timeout: 60_000 }, (_err, stdout) =>
      resolve(stdout.trim()),
    );
  });
}

describe("berth's own port", { timeout: 180_000 }, () => {
  it('is not reached from a session, directly or through the egress proxy', async () => {
    const t = await testServer(await testCore({ defaultImage: SESSION_IMAGE }));
    let hits = 0;
    t.app.addHook('onRequest', async () => {
      hits++;
    });
    await t.app.listen({ host: '0.0.0.0', port: 0 });
    const port = (t.app.server.address() as AddressInfo).port;
    const s = await t.core.service.create({ name: 'probe', repo: makeRepo() });
    expect(s.egress?.mode).toBe('allowlist');

    const bridge = (await docker.getNetwork('bridge').inspect()).IPAM?.Config?.[0]?.Gateway ?? '172.17.0.1';
    const shared =
      (await t.core.runtime.networkGateway(t.core.config.sessionNetwork).catch(() => null)) ?? bridge;
    for (const host of [bridge, shared]) {
      const url = `http://${host}:${port}/health`;
      const curl = `curl -s -o /dev/null -m 5 -w '%{http_code}'`;
      expect(await sh(s.containerId!, `${curl} --noproxy '*' '${url}'`), url).toBe('000');
      expect(await sh(s.containerId!, `${curl} '${url}'`), url).toBe('403');
    }
    expect(hits).toBe(0);
    const refused = (await t.core.egressLog.report(s.id)).decisions.filter((d) => d.port === port);
    expect(refused.map((d) => d.allowed)).toEqual(refused.map(() => false));
    expect(refused.length).toBeGreaterThan(0);
    await t.core.service.remove('probe', { force: true });
  });
});
