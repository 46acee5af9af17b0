import { AppError, type InstanceSpec } from '#libs/contracts';
import { assertInstanceId, validateSpec } from './instance-spec.js';

const valid: InstanceSpec = {
  instanceId: '0b6f4c1e-2d3a-4b5c-8d9e-0f1a2b3c4d5e',
  name: 'web-1',
  kind: 'CONTAINER',
  vcpus: 1,
  memoryMb: 512,
  diskGb: 10,
  image: { kind: 'CONTAINER', location: '/var/lib/awan/images/alpine-3.20.tar.xz' },
  network: { bridge: 'awanbr0', ipv4: '192.0.2.10/24', gateway4: '192.0.2.1', ipv6: '2001:db8::10/64' },
};

function refusal(spec: unknown): AppError {
  try {
    validateSpec(spec as InstanceSpec);
  } catch (error) {
    return error as AppError;
  }
  throw new Error('accepted');
}

describe('instance specs reaching the host', () => {
  it('accepts a well-formed spec as it is', () => {
    expect(validateSpec(valid)).toEqual({ ...valid, network: { ...valid.network, gateway6: undefined, mac: undefined } });
  });

  it.each([
    ['instanceId', { instanceId: '../../etc' }, 'spec.instanceId'],
    ['instanceId', { instanceId: '0b6f4c1e-2d3a-4b5c-8d9e-0f1a2b3c4d5e; reboot' }, 'spec.instanceId'],
    ['name', { name: 'web;rm -rf /' }, 'spec.name'],
    ['name', { name: '$(reboot)' }, 'spec.name'],
    ['name', { name: '-web' }, 'spec.name'],
    ['name', { name: 'Web' }, 'spec.name'],
    ['name', { name: 'a'.repeat(64) }, 'spec.name'],
    ['image location', { image: { kind: 'CONTAINER', location: '/var/lib/awan/images/../../../etc/shadow' } }, 'spec.image.location'],
    ['image location', { image: { kind: 'CONTAINER', location: 'images/alpine.tar' } }, 'spec.image.location'],
    ['image location', { image: { kind: 'CONTAINER', location: 'template:busybox; reboot' } }, 'spec.image.location'],
    ['image location', { image: { kind: 'CONTAINER', location: 'dev:../../etc' } }, 'spec.image.location'],
    ['image kind', { image: { kind: 'VM', location: '/i.qcow2' } }, 'spec.image.kind'],
    ['bridge', { network: { bridge: 'br0\nlxc.hook.pre-start = /bin/sh' } }, 'spec.network.bridge'],
    ['bridge', { network: { bridge: '..' } }, 'spec.network.bridge'],
    ['address', { network: { bridge: 'br0', ipv4: '192.0.2.10/24\nlxc.hook.start = x' } }, 'spec.network.ipv4'],
    ['address', { network: { bridge: 'br0', ipv4: '192.0.2.10' } }, 'spec.network.ipv4'],
    ['gateway', { network: { bridge: 'br0', gateway4: '192.0.2.1/24' } }, 'spec.network.gateway4'],
    ['memory', { memoryMb: 0 }, 'spec.memoryMb'],
    ['vcpus', { vcpus: 1.5 }, 'spec.vcpus'],
  ])('refuses a bad %s, naming the field', (_what, change, field) => {
    const error = refusal({ ...valid, ...change });
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({ code: 'BAD_USER_INPUT', field });
  });

  it('lets user data and SSH keys be any text: they are file contents for the guest, never a command', () => {
    const spec = validateSpec({ ...valid, userData: '#!/bin/sh\necho $(rm -rf /) `reboot` ../../etc', sshKeys: ['ssh-ed25519 AAAA; reboot'] });
    expect(spec.userData).toBe('#!/bin/sh\necho $(rm -rf /) `reboot` ../../etc');
  });

  it('takes the development images each agent builds itself, by name', () => {
    expect(validateSpec({ ...valid, image: { kind: 'CONTAINER', location: 'dev:busybox-rootfs' } }).image.location).toBe('dev:busybox-rootfs');
  });

  it('only takes a UUID as an instance id', () => {
    expect(() => assertInstanceId('../x')).toThrow('instanceId: must be a lower-case UUID');
    expect(assertInstanceId(valid.instanceId)).toBe(valid.instanceId);
  });
});
