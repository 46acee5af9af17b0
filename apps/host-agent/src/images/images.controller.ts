import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import type { AgentReplyOf, AgentRequestOf } from '#libs/contracts';
import { HandlesAgentCommand } from '#libs/messaging';
import { ImageImports } from './image-imports.js';

/** `agent.<hostId>.image.*`: compute's requests to put a catalog image on the region's storage. */
export function imagesController(hostId: string) {
  @Controller()
  class ImagesController {
    constructor(private readonly images: ImageImports) {}

    @HandlesAgentCommand(hostId, 'image.import')
    import(@Payload() request: AgentRequestOf<'image.import'>): Promise<AgentReplyOf<'image.import'>> {
      return this.images.import(request);
    }
  }
  return ImagesController;
}
