// Offload job for the benchmarks (plain JS, loaded by piscina workers): a small CPU-bound task.
export default function fib({ n }) {
  let a = 0;
  let b = 1;
  for (let i = 0; i < n; i++) [a, b] = [b, (a + b) % 1_000_000_007];
  let x = 0;
  for (let i = 0; i < 20_000; i++) x = (x * 31 + i) % 1_000_003;
  return a + x;
}
