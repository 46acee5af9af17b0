/**
 * An RFC 1123 label: a-z, 0-9 and -, 1 to 63 long, not starting or ending with -. Instance
 * names (the guest's hostname, the first label of its FQDN), host ids and region ids in
 * subjects all have this shape.
 */
export const RFC1123_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

export const RFC1123_LABEL_RULE = 'must be an RFC 1123 label: a-z, 0-9 and -, at most 63, not starting or ending with -';

export function isRfc1123Label(value: unknown): value is string {
  return typeof value === 'string' && RFC1123_LABEL.test(value);
}

/** An instance id: a lower-case UUID, the form it takes in folders, processes and containers on a host. */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID.test(value);
}
