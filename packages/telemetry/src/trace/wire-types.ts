// The positional wire forms of span records (their own file: the recorder's sink and the codec both name them).

/** [spanId, traceId, parentSpanId | null, parentRemote (0/1), name, kind, start, attributes (flat), scope, scopeVersion | null, builtin | null] */
export type SpanStartWire = [string, string, string | null, number, string, number, number, unknown[], string, string | null, unknown[] | null];
/** The start fields, then [end, status code, status message | null, events, links]. */
export type SpanEndWire = [...SpanStartWire, number, number, string | null, unknown[], unknown[]];
