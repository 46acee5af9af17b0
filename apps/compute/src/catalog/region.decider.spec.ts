import { deciderSpec } from '#libs/testing';
import { regionDecider, type RegionEvent } from './region.decider.js';

const spec = deciderSpec(regionDecider);
const created: RegionEvent = { type: 'RegionCreated', data: { regionId: 'fra1', name: 'Frankfurt 1', dnsZone: 'cloud.example.com' } };
const create = (input: Record<string, unknown>) => ({ type: 'CreateRegion' as const, input: { id: 'fra1', name: 'Frankfurt 1', dnsZone: 'cloud.example.com', ...input } });
/** BAD_USER_INPUT's message starts with the field it names. */
const naming = (field: string) => new RegExp(`^${field.replace(/[.[\]]/g, '\\$&')}: `);

describe('a region', () => {
  it('is created once, its DNS zone in its one written form', () => {
    spec.given([]).when(create({ dnsZone: 'Cloud.Example.COM.' })).then([created]);
    spec.given([created]).when(create({})).thenThrows('region fra1 exists already');
  });

  it('has an RFC 1123 label for an id', () => {
    for (const id of ['fra.1', '-fra', 'fra-', 'FRA1', 'a'.repeat(64), '', undefined, 7]) spec.given([]).when(create({ id })).thenThrows(naming('input.id'));
  });

  it('has a DNS name of RFC 1123 labels for a zone', () => {
    const tooLong = `${'a'.repeat(60)}.`.repeat(5) + 'com';
    for (const dnsZone of ['bad_zone.com', 'example..com', '.', '', tooLong, 'exa mple.com', 42]) spec.given([]).when(create({ dnsZone })).thenThrows(naming('input.dnsZone'));
    spec.given([]).when(create({ dnsZone: 'test' })).then([{ ...created, data: { ...created.data, dnsZone: 'test' } }]);
  });

  it('has a name of printable text', () => {
    for (const name of [' ', 'a\u0000b', 'x'.repeat(101), null]) spec.given([]).when(create({ name })).thenThrows(naming('input.name'));
  });
});
