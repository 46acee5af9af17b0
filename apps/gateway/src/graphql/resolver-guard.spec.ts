import { Field, ID, ObjectType, Query, Resolver, GraphQLSchemaBuilderModule, GraphQLSchemaFactory, Args } from '@nestjs/graphql';
import { Test } from '@nestjs/testing';
import { execute, parse, type GraphQLObjectType, type GraphQLSchema } from 'graphql';
import { readsProperty, guardResolvers } from './resolver-guard.js';
import { currentServiceCalls, ServiceCalls } from './service-calls.js';

@ObjectType()
class Thing {
  @Field(() => ID) id!: string;
  @Field(() => String) name!: string;
}

@Resolver(() => Thing)
class ThingsResolver {
  @Query(() => Thing)
  thing(@Args('id', { type: () => ID }) id: string): Thing {
    return { id, name: 'a thing' };
  }
}

/** The schema as Nest makes it from a resolver class, with Thing's fields resolved by Nest itself. */
async function nestSchema(): Promise<GraphQLSchema> {
  const module = await Test.createTestingModule({ imports: [GraphQLSchemaBuilderModule] }).compile();
  const schema = await module.get(GraphQLSchemaFactory).create([ThingsResolver]);
  await module.close();
  return schema;
}

describe('guardResolvers', () => {
  let schema: GraphQLSchema;
  let thing: GraphQLObjectType;
  let calls: { shared: boolean; calls: ServiceCalls } | undefined;

  beforeAll(async () => {
    schema = await nestSchema();
    thing = schema.getType('Thing') as GraphQLObjectType;
    // Nest attaches its resolver classes' methods when the app starts; this one stands for them.
    schema.getQueryType()!.getFields().thing.resolve = (_source, args: { id: string }) => {
      calls = currentServiceCalls.getStore();
      return { id: args.id, name: 'a thing' };
    };
  });

  it("recognizes Nest's resolver of a property field (a Nest that renames it makes every field wrapped again)", () => {
    expect(readsProperty(thing.getFields().name.resolve!)).toBe(true);
    expect(readsProperty(schema.getQueryType()!.getFields().thing.resolve!)).toBe(false);
  });

  it("leaves property fields as they are, and runs the others in their operation's ServiceCalls, refusing NUL and lone surrogates in their arguments", async () => {
    const nameResolver = thing.getFields().name.resolve;
    guardResolvers(schema);
    expect(thing.getFields().name.resolve).toBe(nameResolver);

    const serviceCalls = new ServiceCalls();
    const answered = await execute({ schema, document: parse('{ thing(id: "7") { id name } }'), contextValue: { serviceCalls } });
    expect(answered).toEqual({ data: { thing: { id: '7', name: 'a thing' } } });
    expect(calls).toEqual({ calls: serviceCalls, shared: true });

    const refused = await execute({ schema, document: parse('{ thing(id: "a\\u0000b") { id } }'), contextValue: { serviceCalls } });
    expect(refused.errors?.[0].message).toBe('id: must not contain NUL characters (U+0000)');
    expect(refused.errors?.[0].originalError).toMatchObject({ code: 'BAD_USER_INPUT', field: 'id' });
    // JSON's "\ud800" alone: no character, and PostgreSQL's jsonb would refuse it.
    const lone = await execute({ schema, document: parse('query($id: ID!) { thing(id: $id) { id } }'), variableValues: { id: 'a\ud800b' }, contextValue: { serviceCalls } });
    expect(lone.errors?.[0].message).toBe('id: must be well-formed Unicode: it holds a lone UTF-16 surrogate');
    expect(lone.errors?.[0].originalError).toMatchObject({ code: 'BAD_USER_INPUT', field: 'id' });
  });
});
