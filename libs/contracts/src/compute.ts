/** compute's request-reply subjects (`compute.*`): what the gateway and operators' tools send, and what comes back. */
export interface ComputeRequests {}
