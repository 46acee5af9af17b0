import { aggregateOf, eventStreamName, eventSubject } from './subjects.js';

describe('event subjects', () => {
  it('names a stream after its service and a subject after service, aggregate and type', () => {
    expect(eventStreamName('compute')).toBe('COMPUTE');
    expect(eventSubject('compute', aggregateOf('instance-7f0c2a'), 'InstanceStarted')).toBe('events.compute.instance.InstanceStarted');
  });

  it('takes the aggregate from the part of a stream id before its first dash', () => {
    expect(aggregateOf('ip-198.51.100.7-x')).toBe('ip');
    expect(aggregateOf('host')).toBe('host');
  });
});
