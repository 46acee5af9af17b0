import { isEnumType, isInputObjectType, isInterfaceType, isObjectType, type GraphQLArgument, type GraphQLSchema } from 'graphql';

/**
 * Where `actual` falls short of `contract`: a type, field, argument or enum value missing, or one
 * with another type or nullability. More in `actual` is allowed (the contract says so).
 */
export function schemaDifferences(contract: GraphQLSchema, actual: GraphQLSchema): string[] {
  const differences: string[] = [];
  for (const expected of Object.values(contract.getTypeMap())) {
    if (expected.name.startsWith('__')) continue;
    const found = actual.getType(expected.name);
    if (!found) {
      differences.push(`type ${expected.name} is missing`);
      continue;
    }
    if (found.constructor !== expected.constructor) {
      differences.push(`${expected.name} is a ${found.constructor.name}, not a ${expected.constructor.name}`);
      continue;
    }
    if (isEnumType(expected) && isEnumType(found)) {
      const values = new Set(found.getValues().map((v) => v.name));
      for (const value of expected.getValues()) if (!values.has(value.name)) differences.push(`enum ${expected.name} lacks ${value.name}`);
    }
    if ((isObjectType(expected) || isInterfaceType(expected) || isInputObjectType(expected)) && (isObjectType(found) || isInterfaceType(found) || isInputObjectType(found))) {
      const fields = found.getFields();
      for (const [name, field] of Object.entries(expected.getFields())) {
        const other = fields[name];
        if (!other) {
          differences.push(`${expected.name}.${name} is missing`);
          continue;
        }
        if (String(other.type) !== String(field.type)) differences.push(`${expected.name}.${name} is ${String(other.type)}, not ${String(field.type)}`);
        if ('args' in field) {
          const otherArgs: readonly GraphQLArgument[] = 'args' in other ? other.args : [];
          const args = new Map(otherArgs.map((arg) => [arg.name, arg]));
          for (const arg of field.args) {
            const otherArg = args.get(arg.name);
            if (!otherArg) differences.push(`${expected.name}.${name}(${arg.name}) is missing`);
            else if (String(otherArg.type) !== String(arg.type)) differences.push(`${expected.name}.${name}(${arg.name}) is ${String(otherArg.type)}, not ${String(arg.type)}`);
          }
          // An extra argument the contract's clients do not send must not be required.
          for (const extra of otherArgs) {
            if (!field.args.some((arg: GraphQLArgument) => arg.name === extra.name) && String(extra.type).endsWith('!')) {
              differences.push(`${expected.name}.${name}(${extra.name}) is required but not in the contract`);
            }
          }
        }
      }
    }
  }
  return differences;
}
