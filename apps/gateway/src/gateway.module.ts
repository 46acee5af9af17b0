import { ApolloDriver, type ApolloDriverConfig } from '@nestjs/apollo';
import { Module, type DynamicModule } from '@nestjs/common';
import { GraphQLModule } from '@nestjs/graphql';
import { platformImports, type ServiceConfig } from '#libs/platform';
import { formatGraphqlError } from './graphql/format-error.js';
import { identityEventStore } from './identity/identity.event-store.js';
import { ServiceStatusResolver } from './status/service-status.resolver.js';

/** The public GraphQL API (api/contract.graphql); it owns identity: accounts and API keys. */
@Module({})
export class GatewayModule {
  static forRoot(config: ServiceConfig): DynamicModule {
    return {
      module: GatewayModule,
      imports: [
        ...platformImports(config, identityEventStore),
        GraphQLModule.forRoot<ApolloDriverConfig>({
          driver: ApolloDriver,
          path: '/graphql',
          autoSchemaFile: true,
          sortSchema: true,
          formatError: formatGraphqlError,
        }),
      ],
      providers: [ServiceStatusResolver],
    };
  }
}
