// Claiming a node's identity before its threads exist: the servers, an id, a creation, the name.

import { Membership } from './membership.js';
import { connectNats } from './nats-transport.js';
import type { ResolvedNodeOptions } from './node-options.js';
import type { NodeTransport } from './node-transport.js';
import { ClusterNames } from './wire.js';

/** What start claimed before the system's threads existed (pids carry the id). */
export interface NodeClaim {
  options: ResolvedNodeOptions;
  transport: NodeTransport;
  membership: Membership;
}

/**
 * Connects to the servers and claims an id, a creation and the name (a
 * live node of the same name: ERR_NODE_NAME_TAKEN). The NATS client is loaded
 * here, and only here: systems without `node` never need it.
 */
export async function claimNode(o: ResolvedNodeOptions): Promise<NodeClaim> {
  const names = new ClusterNames(o.cluster);
  const transport = o.transport ?? (await connectNats(o, names.connectionName(o.name)));
  try {
    return { options: o, transport, membership: await Membership.claim(transport, names, o.name, Math.min(2000, o.downAfterMs)) };
  } catch (err) {
    await transport.close();
    throw err;
  }
}

