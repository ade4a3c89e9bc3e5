import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { DockerRuntime } from '../../src/runtime/docker-runtime.js';
import { LABEL_HOME } from '../../src/runtime/labels.js';
import type { ConformanceHarness } from './runtime-conformance.js';

/** The busybox image the core's tests use (built by scripts/setup.mjs --for-tests). */
const TEST_IMAGE = 'berth-test/busybox:1';

/** The conformance suite's harness on the Docker Engine of this machine. */
export async function dockerHarness(): Promise<ConformanceHarness> {
  // A berth home of its own (never made on disk: it is only a label), so the suite sees none of
  // the other tests' containers and they see none of its.
  const home = join(tmpdir(), `berth-conformance-${randomBytes(4).toString('hex')}`);
  const network = `berth-conf-${randomBytes(4).toString('hex')}`;
  const docker = new Docker();
  return {
    runtime: new DockerRuntime({ home, docker }),
    image: TEST_IMAGE,
    home,
    network,
    // Nothing listens on this socket: a real "engine down".
    unreachable: new DockerRuntime({ home, docker: new Docker({ socketPath: `${home}-no-engine.sock` }) }),
    async cleanup() {
      // What a failed check left: containers first, then the volumes and the network they held.
      for (const h of [home, `${home}-other`]) {
        const label = [`${LABEL_HOME}=${h}`];
        for (const c of await docker.listContainers({ all: true, filters: { label } })) {
          await docker
            .getContainer(c.Id)
            .remove({ force: true, v: true })
            .catch(() => undefined);
        }
        for (const v of (await docker.listVolumes({ filters: { label } })).Volumes ?? []) {
          await docker
            .getVolume(v.Name)
            .remove()
            .catch(() => undefined);
        }
      }
      // The port has no call to remove a network.
      await docker
        .getNetwork(network)
        .remove()
        .catch(() => undefined);
    },
  };
}
