// Test helper: a real UDP socket on 127.0.0.1 (a free port) standing in for the StatsD agent, parsing the lines it receives.
import { createSocket } from 'node:dgram';

/** One received DogStatsD line, parsed. */
export interface StatsdLine {
  name: string;
  value: number;
  type: string;
  /** The `|@rate` section, if any. */
  rate: number | undefined;
  /** Tag name -> value ('' for a tag without one). */
  tags: Record<string, string>;
  raw: string;
}

/** Generous bound for datagrams that must come; a test fails (not flakes) if they never do. */
const ARRIVAL_TIMEOUT_MS = 20_000;

export function parseLine(raw: string): StatsdLine {
  const colon = raw.indexOf(':');
  const [value, type, ...sections] = raw.slice(colon + 1).split('|');
  const line: StatsdLine = { name: raw.slice(0, colon), value: Number(value), type: type!, rate: undefined, tags: {}, raw };
  for (const s of sections) {
    if (s.startsWith('@')) line.rate = Number(s.slice(1));
    else if (s.startsWith('#')) {
      for (const t of s.slice(1).split(',')) {
        const c = t.indexOf(':');
        if (c < 0) line.tags[t] = '';
        else line.tags[t.slice(0, c)] = t.slice(c + 1);
      }
    }
  }
  return line;
}

/** How many samples the agent counts a line as: trunc(1 / rate), as the Datadog Agent does. */
export const weightOf = (l: StatsdLine): number => (l.rate === undefined ? 1 : Math.trunc(1 / l.rate));

export interface UdpListener {
  port: number;
  /** Resolves with the lines of the next `datagrams` datagrams, in arrival order. */
  take(datagrams: number): Promise<StatsdLine[]>;
  close(): Promise<void>;
}

export async function udpListener(): Promise<UdpListener> {
  const socket = createSocket('udp4');
  const queue: string[] = [];
  let wake: (() => void) | null = null;
  socket.on('message', (msg) => {
    queue.push(msg.toString('utf8'));
    wake?.();
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const take = async (datagrams: number): Promise<StatsdLine[]> => {
    const deadline = Date.now() + ARRIVAL_TIMEOUT_MS;
    while (queue.length < datagrams) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`expected ${datagrams} datagram(s), got ${queue.length}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        wake = () => {
          clearTimeout(t);
          wake = null;
          resolve();
        };
      });
    }
    return queue.splice(0, datagrams).flatMap((d) => d.split('\n').map(parseLine));
  };
  return { port: socket.address().port, take, close: () => new Promise<void>((r) => socket.close(() => r())) };
}
