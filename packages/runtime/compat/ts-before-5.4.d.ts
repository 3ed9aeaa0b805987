// @joerl/runtime's types for TypeScript before 5.4: the "types@<5.4" export condition picks this entry.
//
// The declarations use NoInfer (a TypeScript 5.4 utility type) where a message must
// not widen the pid's type: send(pid, msg), sendAfter(pid, msg, ms). An older
// compiler has no NoInfer; with skipLibCheck it quietly reads each use as `any`,
// and send() stops checking messages at all. So this entry declares an
// equivalent for those compilers only (declaring it for 5.4+ would clash with
// the built-in): TypeScript does not infer T from an indexed access whose index
// is a deferred conditional type, and for a known T, [T][0] is T.
//
// Hand-written and not built: it only re-exports the real entry.
declare global {
  type NoInfer<T> = [T][T extends any ? 0 : never];
}

export * from '../dist/index.js';
