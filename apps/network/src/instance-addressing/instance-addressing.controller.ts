import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import type { ReplyOf, RequestOf } from '#libs/contracts';
import { Handles } from '#libs/messaging';
import { InstanceAddressing } from './instance-addressing.js';

/** `network.instance.address`: compute's provisioner asking for a new instance's addresses. */
@Controller()
export class InstanceAddressingController {
  constructor(private readonly addressing: InstanceAddressing) {}

  @Handles('network.instance.address')
  address(@Payload() payload: RequestOf<'network.instance.address'>): Promise<ReplyOf<'network.instance.address'>> {
    return this.addressing.address(payload);
  }
}
