import type Docker from 'dockerode';
import { InvalidInput } from '../errors/berth-error.js';
import type { EngineCalls } from './engine-calls.js';
import { toBerthError } from './engine-errors.js';
import { LABEL_MANAGED } from './labels.js';

/** The shared session network (unfiltered sessions): one bridge, berth's own or one just like it. */

const SESSION_NETWORK_OPTIONS = {
  // Sessions share one bridge but cannot reach each other: inter-container traffic is off.
  'com.docker.network.bridge.enable_icc': 'false',
};

/**
 * A network of that name made by someone else (or an older tool) is only used when it keeps
 * sessions apart as berth's own does: on a bridge with inter-container traffic on, one session's
 * agent would reach every other session's ports.
 */
function assertSessionsApart(net: Docker.NetworkInspectInfo): void {
  const icc = net.Options?.['com.docker.network.bridge.enable_icc'];
  if (net.Driver === 'bridge' && icc === 'false') return;
  throw new InvalidInput(
    `network ${net.Name} exists and does not keep sessions apart (driver ${net.Driver}, enable_icc ${icc ?? 'unset'}): sessions on it could reach each other`,
    {
      hint: `remove it (\`docker network rm ${net.Name}\`) so berth makes its own, or set BERTH_NETWORK to another name`,
    },
  );
}

export async function ensureSessionNetwork(docker: Docker, calls: EngineCalls, name: string): Promise<void> {
  const existing = await calls.engine('network.list', 'list networks', () =>
    docker.listNetworks({ filters: { name: [name] } }),
  );
  const named = existing.filter((n) => n.Name === name);
  if (named.length > 1) await dropDuplicateNetworks(docker, calls, name);
  if (named.length > 0) return assertSessionsApart(named[0]!);
  try {
    await calls.timed('network.create', () =>
      docker.createNetwork({
        Name: name,
        Driver: 'bridge',
        CheckDuplicate: true,
        Options: SESSION_NETWORK_OPTIONS,
        Labels: { [LABEL_MANAGED]: 'true' },
      }),
    );
  } catch (err) {
    // Two daemons (or two creates) raced to make it: fine if it exists now.
    const again = await calls.timed('network.list', () => docker.listNetworks({ filters: { name: [name] } }));
    if (!again.some((n) => n.Name === name)) throw toBerthError(err, `create network ${name}`);
  }
  await dropDuplicateNetworks(docker, calls, name);
}

export async function networkGateway(
  docker: Docker,
  calls: EngineCalls,
  name: string,
): Promise<string | null> {
  const info = await calls.engine('network.inspect', `inspect network ${name}`, () =>
    docker.getNetwork(name).inspect(),
  );
  const configs = (info.IPAM?.Config ?? []) as Array<{ Gateway?: string }>;
  return configs.map((c) => c.Gateway).find((g): g is string => Boolean(g)) ?? null;
}

/**
 * The engine's duplicate check is best effort: two creates at once can both succeed, and then
 * every container naming the network fails as "ambiguous". Every racer keeps the same one (the
 * lowest id) and removes the rest, which nothing can have joined yet.
 */
async function dropDuplicateNetworks(docker: Docker, calls: EngineCalls, name: string): Promise<void> {
  const all = await calls.timed('network.list', () => docker.listNetworks({ filters: { name: [name] } }));
  const same = all.filter((n) => n.Name === name && n.Labels?.[LABEL_MANAGED] === 'true');
  if (same.length < 2) return;
  const [, ...extra] = same.map((n) => n.Id).sort();
  await Promise.all(
    extra.map((id) =>
      docker
        .getNetwork(id)
        .remove()
        .catch(() => undefined),
    ),
  );
}
