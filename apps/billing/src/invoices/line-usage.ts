import type { InvoiceLineView, UsageView } from '#libs/contracts';

/**
 * A line's usage as invoice_lines keeps it: a tuple per segment, `[segmentId, state, startedAt,
 * endedAt, seconds, closedBy]`, then `openedBy`, `sku` and `resourceId` only where they are not
 * the segment's id, the line's sku and the line's resource (the meter opens a segment with the
 * event whose id it takes, and a line rates one resource's segments of its own sku). The usage was
 * most of a finalize's bytes as objects, each naming every field and repeating what the line says.
 */
export type PackedUsage = [string, string, string, string | null, number, string | null, (string | null)?, (string | null)?, (string | null)?];

export function packUsage(line: Pick<InvoiceLineView, 'sku' | 'resourceId' | 'usage'>): PackedUsage[] {
  return line.usage.map((u) => {
    const packed: PackedUsage = [u.segmentId, u.state, u.startedAt, u.endedAt, u.seconds, u.closedBy];
    const rest = [u.openedBy === u.segmentId ? null : u.openedBy, u.sku === line.sku ? null : u.sku, u.resourceId === line.resourceId ? null : u.resourceId];
    while (rest.length > 0 && rest.at(-1) === null) rest.pop();
    packed.push(...rest);
    return packed;
  });
}

export function unpackUsage(line: Pick<InvoiceLineView, 'sku' | 'resourceId'>, packed: readonly PackedUsage[]): UsageView[] {
  return packed.map(([segmentId, state, startedAt, endedAt, seconds, closedBy, openedBy, sku, resourceId]) => ({
    segmentId, resourceId: (resourceId ?? line.resourceId)!, sku: sku ?? line.sku, state, startedAt, endedAt, seconds, openedBy: openedBy ?? segmentId, closedBy,
  }));
}
