// Test helper: scrape a /metrics endpoint over real HTTP and parse Prometheus text 0.0.4.

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Exposition {
  text: string;
  contentType: string;
  types: Map<string, string>;
  samples: Sample[];
}

export async function scrape(url: string): Promise<Exposition> {
  const res = await fetch(`${url}/metrics`);
  if (res.status !== 200) throw new Error(`scrape answered ${res.status}`);
  const text = await res.text();
  return { text, contentType: res.headers.get('content-type') ?? '', ...parse(text) };
}

export function parse(text: string): { types: Map<string, string>; samples: Sample[] } {
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('# TYPE ')) {
      const [, , name, type] = line.split(' ');
      types.set(name!, type!);
      continue;
    }
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (m === null) throw new Error(`unparseable exposition line: ${line}`);
    const labels: Record<string, string> = {};
    if (m[2]) for (const l of m[2].matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    samples.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return { types, samples };
}

/** The value of one sample (0 if absent): `value(x, 'joerl_actors_active', { type: 'Probe' })`. */
export function value(x: { samples: Sample[] }, name: string, labels: Record<string, string> = {}): number {
  const keys = Object.keys(labels);
  const s = x.samples.find((s) => s.name === name && keys.every((k) => s.labels[k] === labels[k]) && Object.keys(s.labels).length === keys.length);
  return s?.value ?? 0;
}

/** Message counts the turn tests compare, from one scrape's text: sent, handled, timed, queue waits, and actor type `type`'s mailbox depth (0 when absent). */
export function messageCounts(text: string, type = ''): { sent: number; processed: number; timed: number; waits: number; depth: number } {
  const x = parse(text);
  const depth = x.samples.find((s) => s.name === 'joerl_mailbox_depth' && s.labels.type === type);
  return {
    sent: value(x, 'joerl_messages_sent_total'),
    processed: value(x, 'joerl_messages_processed_total'),
    timed: value(x, 'joerl_message_processing_duration_seconds_count'),
    waits: value(x, 'joerl_message_queue_wait_seconds_count'),
    depth: depth?.value ?? 0,
  };
}
