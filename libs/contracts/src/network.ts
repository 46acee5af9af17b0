/** network's request-reply subjects (`network.*`): what the gateway and compute send, and what comes back. */
export interface NetworkRequests {}
