export const AGENT_CONFIG = Symbol('AGENT_CONFIG');
export const HOST_ABILITIES = Symbol('HOST_ABILITIES');
