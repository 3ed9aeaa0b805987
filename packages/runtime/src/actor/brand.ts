// The brand every behaviour object carries (Symbol.for: shared across copies of the package).

/** Brand put on every behaviour object (shared across copies of the package). */
export const BEHAVIOUR = Symbol.for('joerl.behaviour');
