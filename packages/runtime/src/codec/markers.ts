// Stand-ins msgpack encodes for values it would otherwise change: -0 (which it writes as 0).

/** The class of {@link NEG_ZERO}; the codec has an extension for it. */
export class NegZero {
  private constructor() {}
  /** The one instance. */
  static readonly INSTANCE = new NegZero();
}

/** Put in place of `-0` in a copy made for the wire; decoded back to `-0`. */
export const NEG_ZERO = NegZero.INSTANCE;
