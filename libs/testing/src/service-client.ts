import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { MessagingModule, ServiceClient } from '#libs/messaging';
import { TEST_NATS_URL } from './environment.js';

export interface TestServiceClient {
  /** Requests to services over NATS, as another service would make them. */
  client: ServiceClient;
  close(): Promise<void>;
}

/** A ServiceClient on the test NATS (or `natsUrl`, with `natsCredentials` where it authenticates), inside a Nest application of its own. */
export async function connectServiceClient(service: string, natsUrl = TEST_NATS_URL, natsCredentials?: string): Promise<TestServiceClient> {
  const moduleRef = await Test.createTestingModule({ imports: [MessagingModule.forRoot({ service, natsUrl, natsCredentials })] }).compile();
  const app: INestApplication = moduleRef.createNestApplication({ logger: false });
  await app.init();
  return { client: app.get(ServiceClient), close: () => app.close() };
}
