import { isObjectType, type GraphQLSchema } from 'graphql';
import { AppError } from '#libs/contracts';
import type { GatewayContext } from './gateway-context.js';
import { currentServiceCalls } from './service-calls.js';

/**
 * Strings PostgreSQL cannot store, refused naming their field: NUL (U+0000), which no name, id or
 * text has, and a lone UTF-16 surrogate (JSON's "\ud800" alone), which is no character at all.
 */
export function refuseUnstorableStrings(value: unknown, field: string): void {
  if (typeof value === 'string') {
    if (value.includes('\u0000')) throw AppError.badInput(field, 'must not contain NUL characters (U+0000)');
    if (!value.isWellFormed()) throw AppError.badInput(field, 'must be well-formed Unicode: it holds a lone UTF-16 surrogate');
  } else if (Array.isArray(value)) {
    value.forEach((item, i) => refuseUnstorableStrings(item, `${field}[${i}]`));
  } else if (value && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) refuseUnstorableStrings(item, `${field}.${key}`);
  }
}

/**
 * Whether `resolve` is Nest's own for a field that is its object's property (`@Field` without a
 * resolver method): it reads the property and asks no service. Such fields are most of a response
 * (an instance's id, name, status…), and a wrapper on each cost a page of them 5 % of the gateway's
 * CPU. Should Nest rename it, every field is wrapped again: slower, never wrong.
 */
export const readsProperty = (resolve: (...args: never[]) => unknown) => resolve.name === 'rootFieldResolver';

/**
 * Wraps the fields the schema resolves with code of its own: its arguments are refused with
 * BAD_USER_INPUT naming the field where a string holds what PostgreSQL cannot store, and the requests to services it makes
 * go through its operation's ServiceCalls (shared among reads; a mutation's own are sent each time).
 * A field without arguments that only reads its object's property is left as it is.
 */
export function guardResolvers(schema: GraphQLSchema): GraphQLSchema {
  const mutation = schema.getMutationType();
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    const shared = type !== mutation;
    for (const field of Object.values(type.getFields())) {
      const { resolve, subscribe } = field;
      const hasArgs = field.args.length > 0;
      if (resolve && (hasArgs || !readsProperty(resolve))) {
        field.resolve = (source, args: Record<string, unknown>, context: GatewayContext, info) => {
          if (hasArgs) for (const [name, value] of Object.entries(args)) refuseUnstorableStrings(value, name);
          if (!context.serviceCalls) return resolve(source, args, context, info);
          return currentServiceCalls.run({ calls: context.serviceCalls, shared }, () => resolve(source, args, context, info));
        };
      }
      if (subscribe) {
        field.subscribe = (source, args: Record<string, unknown>, context: GatewayContext, info) => {
          for (const [name, value] of Object.entries(args)) refuseUnstorableStrings(value, name);
          return subscribe(source, args, context, info);
        };
      }
    }
  }
  return schema;
}
