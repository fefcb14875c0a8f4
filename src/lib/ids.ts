/** Branded integer ids so that a node id is never passed where a cluster id is expected. */
export type NodeId = number & { readonly __brand: 'NodeId' };
export type ClusterId = number & { readonly __brand: 'ClusterId' };

/** OpenSIPS stores node and cluster ids as C ints; both must be positive. */
export function isValidId(n: number): boolean {
  return Number.isInteger(n) && n > 0 && n <= 0x7fffffff;
}

export function nodeId(n: number): NodeId {
  if (!isValidId(n)) throw new RangeError(`invalid node id ${n}`);
  return n as NodeId;
}

export function clusterId(n: number): ClusterId {
  if (!isValidId(n)) throw new RangeError(`invalid cluster id ${n}`);
  return n as ClusterId;
}
