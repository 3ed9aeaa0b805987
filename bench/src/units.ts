// The bench's units: the smallest selections that run in a process of their own (a benchmark, or a few that share a set-up).
import { genServerCalls, offload, supervisorRestarts } from './behaviours/behaviours.js';
import { crossShard, inShard, pingPong, spawnRate } from './core/core.js';
import type { Row } from './harness.js';
import { nodesBenchmarks } from './nodes/nodes.js';
import { observerBenchmarks } from './observer/observer.js';
import { checkLocalSendsCost, payloadSizes } from './payloads/payloads.js';
import { MICRO_NAMES, microBenchmark } from './savina/micro.js';
import { PARALLEL_NAMES, parallelBenchmark, type Scaling } from './savina/parallel.js';
import { scrape, telemetryOverhead, tracingOverhead } from './telemetry/telemetry.js';

/** What every unit is given (the flags of the run). */
export interface UnitConfig {
  runs: number;
  quick: boolean;
  /** Shards for spread runs and the top of scaling curves. */
  threads: number;
  progress: (what: string) => void;
}

export interface UnitResult {
  rows: Row[];
  scaling: Scaling[];
}

export interface Unit {
  /** `group/name`: unique, what a child process is told to run. */
  id: string;
  group: string;
  /** Words `--only` matches (by substring, case-insensitive), beside the group and the id. */
  keywords: string[];
  run(cfg: UnitConfig): Promise<UnitResult>;
}

const rowsOnly =
  (f: (cfg: UnitConfig) => Promise<Row[]>) =>
  async (cfg: UnitConfig): Promise<UnitResult> => ({ rows: await f(cfg), scaling: [] });

/** Every unit, in the order a full run takes them. */
export const UNITS: Unit[] = [
  { id: 'core/cross-shard', group: 'core', keywords: ['cross', 'one-way'], run: rowsOnly(crossShard) },
  { id: 'core/ping-pong', group: 'core', keywords: ['ping'], run: rowsOnly(pingPong) },
  { id: 'core/in-shard', group: 'core', keywords: ['in-shard'], run: rowsOnly(inShard) },
  { id: 'core/spawn', group: 'core', keywords: ['spawn', 'heap'], run: rowsOnly(spawnRate) },
  { id: 'payloads/sizes', group: 'payloads', keywords: ['copy', 'move'], run: rowsOnly(payloadSizes) },
  { id: 'payloads/checkLocalSends', group: 'payloads', keywords: ['checkLocalSends'], run: rowsOnly(checkLocalSendsCost) },
  { id: 'behaviours/gen_server', group: 'behaviours', keywords: ['gen_server', 'call'], run: rowsOnly(genServerCalls) },
  { id: 'behaviours/supervisor', group: 'behaviours', keywords: ['supervisor', 'restart'], run: rowsOnly(supervisorRestarts) },
  { id: 'behaviours/offload', group: 'behaviours', keywords: ['offload'], run: rowsOnly(offload) },
  { id: 'telemetry/overhead', group: 'telemetry', keywords: [], run: rowsOnly(telemetryOverhead) },
  { id: 'telemetry/tracing', group: 'telemetry', keywords: ['tracing'], run: rowsOnly(tracingOverhead) },
  { id: 'telemetry/scrape', group: 'telemetry', keywords: ['scrape'], run: rowsOnly(scrape) },
  { id: 'observer/introspection', group: 'observer', keywords: ['processes', 'snapshot'], run: rowsOnly((cfg) => observerBenchmarks({ ...cfg, actors: 100_000 })) },
  {
    id: 'nodes/nats',
    group: 'nodes',
    keywords: [],
    run: rowsOnly((cfg) => nodesBenchmarks({ ...cfg, messages: cfg.quick ? 50_000 : 200_000, calls: cfg.quick ? 1_000 : 5_000 })),
  },
  ...MICRO_NAMES.map(
    (name): Unit => ({ id: `savina/micro/${name}`, group: 'savina', keywords: ['micro', name], run: rowsOnly((cfg) => microBenchmark(name, cfg)) }),
  ),
  ...PARALLEL_NAMES.map((name): Unit => ({ id: `savina/parallel/${name}`, group: 'savina', keywords: ['parallel', name], run: (cfg) => parallelBenchmark(name, cfg) })),
];

/** The units `--only word` selects (all of them without it): by group, id or keyword, case-insensitive substring. */
export function select(only: string | undefined): Unit[] {
  if (only === undefined) return UNITS;
  const w = only.toLowerCase();
  return UNITS.filter((u) => [u.group, u.id, ...u.keywords].some((k) => k.toLowerCase().includes(w)));
}
