import type { InstanceHistoryEntry, Page } from '#libs/contracts';

/** Keys of instance event data that name the host or its network: the host (and where it moved from or to), its bridge, its gateway address. */
const HOST_FACTS = new Set(['hostId', 'fromHostId', 'toHostId', 'bridge', 'gateway']);
const HIDDEN_HOST = '(a host)';

function withoutHostFacts(value: unknown, hostNames: readonly string[]): unknown {
  if (typeof value === 'string') return hostNames.reduce((text, name) => text.split(name).join(HIDDEN_HOST), value);
  if (Array.isArray(value)) return value.map((item) => withoutHostFacts(item, hostNames));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).filter(([key]) => !HOST_FACTS.has(key)).map(([key, item]) => [key, withoutHostFacts(item, hostNames)]));
  }
  return value;
}

/** Whether a page has free text (a failure's reason) that may name a host: only then are the host names needed. */
export const mentionsHosts = (page: Page<InstanceHistoryEntry>): boolean => page.edges.some((edge) => typeof JSON.parse(edge.node.data)?.reason === 'string');

/**
 * A page of history as a tenant sees it: host facts are the platform's (ADMIN's), so their keys are
 * left out of each event's data, and the ids and names of `hosts` are hidden in its free text.
 */
export function tenantHistory(page: Page<InstanceHistoryEntry>, hosts: readonly { id: string; name: string }[]): Page<InstanceHistoryEntry> {
  // Longest first, so a name that holds another is hidden whole.
  const names = [...new Set(hosts.flatMap((host) => [host.id, host.name]))].filter(Boolean).sort((a, b) => b.length - a.length);
  return {
    ...page,
    edges: page.edges.map((edge) => ({ ...edge, node: { ...edge.node, data: JSON.stringify(withoutHostFacts(JSON.parse(edge.node.data), names)) } })),
  };
}
