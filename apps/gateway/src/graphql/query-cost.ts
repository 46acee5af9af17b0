import {
  getNamedType,
  getNullableType,
  isInterfaceType,
  isListType,
  isObjectType,
  Kind,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLNamedType,
  type GraphQLObjectType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';

/** A page's size where the query gives none: the services' default. */
const DEFAULT_PAGE = 20;

/**
 * What a field costs, by what answering it takes. A field's cost counts once per row of each page
 * it is inside, so a field that asks a service for each row of a page of 100 costs 100 requests.
 */
export const COST = {
  /** A property of something already fetched. */
  FIELD: 1,
  /** A share of a lookup batched over the whole request (DataLoader): one request per page, not per row. */
  BATCHED: 2,
  /** A query to the gateway's own identity tables each time it is resolved. */
  DATABASE: 10,
  /** A request to a backing service each time it is resolved. */
  REQUEST: 50,
  /** Billing rates an account's usage to date for it, each time: the heaviest request there is. */
  RATING: 250,
  /** The schema described (`__schema`, `__type`): built anew for each, some 80 KB of it whole (about 9 ms). */
  SCHEMA: 500,
} as const;

/** Introspection's two ways into the schema, at the root of a query. */
const SCHEMA_FIELDS = new Set(['__schema', '__type']);

/**
 * Fields by coordinate (`Type.field`) whose cost is not the default: REQUEST for a query, mutation
 * or subscription (each is answered by asking a service, or the gateway's own tables), FIELD for
 * any other. Every field a resolver method answers (`@ResolveField`) is listed: a test holds to it.
 */
export const FIELD_COSTS: Readonly<Record<string, number>> = {
  'Query.me': COST.BATCHED,
  'Query.account': COST.DATABASE,
  'Query.accounts': COST.DATABASE,
  'Account.parent': COST.BATCHED,
  'Account.customers': COST.DATABASE,
  'ApiKey.account': COST.BATCHED,
  'Query.upcomingInvoice': COST.RATING,
  // A running month's invoice, and each draft of a page, is rated as it is read.
  'Query.invoice': COST.RATING,
  'Query.invoices': COST.RATING,
  'Invoice.account': COST.BATCHED,
  'CreditNote.invoice': COST.RATING,
  // One request to each of the four backing services.
  'Query.services': 4 * COST.REQUEST,
  'Query.instance': COST.REQUEST,
  'Query.instances': COST.REQUEST,
  'Instance.account': COST.BATCHED,
  'Instance.region': COST.BATCHED,
  'Instance.plan': COST.BATCHED,
  'Instance.image': COST.BATCHED,
  'Instance.ipAddresses': COST.BATCHED,
  'Instance.host': COST.BATCHED,
  // Batched, but billing rates the usage of each account the page's instances belong to: more than a share of one request.
  'Instance.costToDate': 10,
  'Instance.history': COST.REQUEST,
  'Instance.snapshots': COST.BATCHED,
  'Snapshot.instance': COST.BATCHED,
  // A page of the instance's own: a request per instance.
  'Instance.backups': COST.REQUEST,
  'Instance.backupSchedule': COST.BATCHED,
  'Backup.instance': COST.BATCHED,
  'Instance.firewalls': COST.BATCHED,
  'Firewall.account': COST.BATCHED,
  'Firewall.instances': COST.BATCHED,
  'IpAddress.region': COST.BATCHED,
  'IpAddress.instance': COST.BATCHED,
  'IpPool.region': COST.BATCHED,
  'Host.region': COST.BATCHED,
  'Plan.hourlyPrice': COST.BATCHED,
  'Plan.monthlyPrice': COST.BATCHED,
  // The same request for every plan of an operation: sent once (ServiceCalls).
  'Plan.cost': COST.BATCHED,
};

export interface QueryCost {
  /** The deepest field below the operation, introspection left out. */
  depth: number;
  /** Each field's cost (FIELD_COSTS), counted once per row of each page it is inside (`first`, else 20). */
  complexity: number;
}

/**
 * How many rows a field may return: a page's `first`, 20 for a connection without it, else one;
 * 20 too for an unpaged list met again below itself (`repeated`). Such lists are short (an instance's
 * firewalls, a firewall's instances), but a query going round their cycle multiplies them at each
 * turn while the loaders answer it from a few requests: five turns of 12 were 3.2 million rows.
 */
function rowsOf(field: FieldNode, variables: Record<string, unknown>, repeated: boolean): number {
  const first = field.arguments?.find((arg) => arg.name.value === 'first');
  const paged = first || field.selectionSet?.selections.some((s) => s.kind === Kind.FIELD && s.name.value === 'edges');
  if (!first) return paged || repeated ? DEFAULT_PAGE : 1;
  const value = first.value.kind === Kind.VARIABLE ? variables[first.value.name.value] : first.value.kind === Kind.INT ? Number(first.value.value) : undefined;
  return typeof value === 'number' && value > 0 ? value : DEFAULT_PAGE;
}

interface FieldCost {
  cost: number;
  type: GraphQLNamedType;
  /** Its coordinate (`Type.field`) where it returns a list, to find it again below itself. */
  list: string | null;
}

/** Each type's fields with their cost and the type they return, per schema: found once, not once per field of each query. */
const fieldCosts = new WeakMap<GraphQLSchema, Map<GraphQLNamedType, Map<string, FieldCost>>>();

function fieldsOf(schema: GraphQLSchema): Map<GraphQLNamedType, Map<string, FieldCost>> {
  let types = fieldCosts.get(schema);
  if (types) return types;
  const roots = new Set([schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()]);
  types = new Map();
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) && !isInterfaceType(type)) continue;
    const fields = new Map<string, FieldCost>();
    for (const [name, field] of Object.entries(type.getFields())) {
      const coordinate = `${type.name}.${name}`;
      fields.set(name, {
        cost: FIELD_COSTS[coordinate] ?? (roots.has(type as GraphQLObjectType) ? COST.REQUEST : COST.FIELD),
        type: getNamedType(field.type),
        list: isListType(getNullableType(field.type)) ? coordinate : null,
      });
    }
    types.set(type, fields);
  }
  fieldCosts.set(schema, types);
  return types;
}

/**
 * What an operation may cost before it runs, from its text and the schema: depth, and a complexity
 * in which each field costs what answering it takes (FIELD_COSTS) and each page multiplies what is
 * selected inside it by the rows it may return. Introspection (`__schema`, `__type`) costs what
 * describing the schema takes, and what it selects as any field does, but adds no depth: clients
 * and tools ask for the schema with deeply nested type references.
 */
export function measureQuery(schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode, variables: Record<string, unknown> = {}): QueryCost {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  const types = fieldsOf(schema);

  /** `lists`: the lists (by coordinate) the selection is inside. */
  const visit = (selectionSet: SelectionSetNode, parent: GraphQLNamedType | undefined, depth: number, seen: ReadonlySet<string>, lists: ReadonlySet<string>): QueryCost => {
    let deepest = depth;
    let complexity = 0;
    for (const selection of selectionSet.selections) {
      let inner: QueryCost | undefined;
      if (selection.kind === Kind.FIELD) {
        const name = selection.name.value;
        if (name === '__typename') continue;
        if (SCHEMA_FIELDS.has(name)) {
          const type = schema.getType(name === '__schema' ? '__Schema' : '__Type') ?? undefined;
          const below = selection.selectionSet ? visit(selection.selectionSet, type, depth, seen, lists) : { complexity: 0 };
          complexity += COST.SCHEMA + below.complexity;
          continue;
        }
        const field = parent && types.get(parent)?.get(name);
        const cost = field ? field.cost : COST.FIELD;
        const type = field ? field.type : undefined;
        const list = field?.list ?? null;
        const within = list && !lists.has(list) ? new Set([...lists, list]) : lists;
        const below = selection.selectionSet ? visit(selection.selectionSet, type, depth + 1, seen, within) : { depth: depth + 1, complexity: 0 };
        inner = { depth: below.depth, complexity: cost + rowsOf(selection, variables, list !== null && lists.has(list)) * below.complexity };
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        inner = visit(selection.selectionSet, selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : parent, depth, seen, lists);
      } else {
        const fragment = fragments.get(selection.name.value);
        // A fragment spread inside itself is a validation error already; it is not followed twice here.
        if (!fragment || seen.has(fragment.name.value)) continue;
        inner = visit(fragment.selectionSet, schema.getType(fragment.typeCondition.name.value), depth, new Set([...seen, fragment.name.value]), lists);
      }
      deepest = Math.max(deepest, inner.depth);
      complexity += inner.complexity;
    }
    return { depth: deepest, complexity };
  };
  const root = operation.operation === 'mutation' ? schema.getMutationType() : operation.operation === 'subscription' ? schema.getSubscriptionType() : schema.getQueryType();
  return visit(operation.selectionSet, root ?? undefined, 0, new Set(), new Set());
}
