// Node-level requests from this node's threads: spawn on another node, global names, the node list, node monitors.

import type { NodeInfo } from '../actor/context.js';
import type { Pid } from '../actor/pid.js';
import { InvalidArgumentError, UnknownNodeError } from '../errors.js';
import type { RemoteSpawnRequest } from '../shard/remote.js';
import type { ThreadRuntime } from '../shard/thread-runtime.js';
import type { Connections } from './connections.js';
import type { GlobalNames } from './global-names.js';
import type { NodeWatchers } from './node-watchers.js';
import type { RemoteSpawns } from './remote-spawns.js';

type Done = (ok: boolean, value: unknown) => void;

export class NodeRequests {
  readonly #rt: ThreadRuntime;
  /** This node's name. */
  readonly #self: string;
  readonly #conns: Connections;
  readonly #spawns: RemoteSpawns;
  readonly #names: GlobalNames;
  readonly #watchers: NodeWatchers;
  readonly #nodes: () => NodeInfo[];

  constructor(rt: ThreadRuntime, self: string, conns: Connections, spawns: RemoteSpawns, names: GlobalNames, watchers: NodeWatchers, nodes: () => NodeInfo[]) {
    this.#rt = rt;
    this.#self = self;
    this.#conns = conns;
    this.#spawns = spawns;
    this.#names = names;
    this.#watchers = watchers;
    this.#nodes = nodes;
  }

  /** Answers `kind` through `done`, once (synchronously where the answer is known now). */
  handle(kind: string, arg: unknown, done: Done): void {
    const names = this.#names;
    const settle = (p: Promise<unknown>): void => void p.then((v) => done(true, v ?? null), (err: unknown) => done(false, err));
    switch (kind) {
      case 'spawn': {
        const req = arg as RemoteSpawnRequest;
        const peer = this.#conns.byName(req.node);
        if (peer === undefined) done(false, new UnknownNodeError(req.node, this.#nodes().map((n) => n.name)));
        else this.#spawns.request(req, peer, done);
        return;
      }
      case 'register_global': {
        const { name, pid } = arg as { name: string; pid: unknown };
        settle(names.register(name, pid));
        return;
      }
      case 'unregister_global':
        settle(names.unregister(arg as string));
        return;
      case 'whereis_global':
        settle(names.whereis(arg as string));
        return;
      case 'nodes':
        done(true, this.#nodes());
        return;
      case 'monitor_node': {
        const { name, watcher } = arg as { name: string; watcher: Pid };
        // Our own node is never down to itself while it runs (as in Erlang): nothing to watch.
        if (name === this.#self) {
          done(true, null);
          return;
        }
        // A node we are connecting to (it just joined, or its connection is being made again) is watched as
        // one that is up: its nodedown comes if that connection fails, as OTP's monitor_node connects first.
        // Only a node we know nothing of, or that is down, is down at once.
        if (this.#conns.byName(name) !== undefined) this.#watchers.add(name, watcher);
        else this.#rt.delivery.sendQuiet(watcher, { type: 'nodedown', node: name });
        done(true, null);
        return;
      }
      case 'demonitor_node': {
        const { name, watcher } = arg as { name: string; watcher: Pid };
        this.#watchers.remove(name, watcher);
        done(true, null);
        return;
      }
      default:
        done(false, new InvalidArgumentError(`unknown node request ${kind}`));
    }
  }
}
