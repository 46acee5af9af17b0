/* eslint-disable */
import * as types from './graphql';



/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "\n  query CreateChoices($kind: InstanceKind) {\n    images(kind: $kind) { id name os version status }\n    plans(kind: $kind) { id name vcpus memoryMb diskGb retired hourlyPrice { amount currency } monthlyPrice { amount currency } }\n    regions { id name }\n  }\n": typeof types.CreateChoicesDocument,
    "\n  mutation CreateInstance($input: CreateInstanceInput!) {\n    createInstance(input: $input) { id }\n  }\n": typeof types.CreateInstanceDocument,
    "\n  query Instance($id: ID!) {\n    instance(id: $id) {\n      id name kind status fqdn createdAt billingCycle\n      region { name }\n      plan { name vcpus memoryMb diskGb hourlyPrice { amount currency } }\n      image { name os version }\n      ipAddresses { id address family }\n      costToDate { amount currency }\n    }\n  }\n": typeof types.InstanceDocument,
    "mutation StartInstance($id: ID!) { startInstance(id: $id) { id status } }": typeof types.StartInstanceDocument,
    "mutation StopInstance($id: ID!) { stopInstance(id: $id) { id status } }": typeof types.StopInstanceDocument,
    "mutation DeleteInstance($id: ID!) { deleteInstance(id: $id) { id status } }": typeof types.DeleteInstanceDocument,
    "\n  query Instances {\n    instances(first: 100) {\n      totalCount\n      edges { node { id name kind status fqdn region { name } plan { name } } }\n    }\n  }\n": typeof types.InstancesDocument,
    "\n  subscription InstanceUpdates($id: ID) {\n    instanceUpdated(id: $id) { id status }\n  }\n": typeof types.InstanceUpdatesDocument,
};
const documents: Documents = {
    "\n  query CreateChoices($kind: InstanceKind) {\n    images(kind: $kind) { id name os version status }\n    plans(kind: $kind) { id name vcpus memoryMb diskGb retired hourlyPrice { amount currency } monthlyPrice { amount currency } }\n    regions { id name }\n  }\n": types.CreateChoicesDocument,
    "\n  mutation CreateInstance($input: CreateInstanceInput!) {\n    createInstance(input: $input) { id }\n  }\n": types.CreateInstanceDocument,
    "\n  query Instance($id: ID!) {\n    instance(id: $id) {\n      id name kind status fqdn createdAt billingCycle\n      region { name }\n      plan { name vcpus memoryMb diskGb hourlyPrice { amount currency } }\n      image { name os version }\n      ipAddresses { id address family }\n      costToDate { amount currency }\n    }\n  }\n": types.InstanceDocument,
    "mutation StartInstance($id: ID!) { startInstance(id: $id) { id status } }": types.StartInstanceDocument,
    "mutation StopInstance($id: ID!) { stopInstance(id: $id) { id status } }": types.StopInstanceDocument,
    "mutation DeleteInstance($id: ID!) { deleteInstance(id: $id) { id status } }": types.DeleteInstanceDocument,
    "\n  query Instances {\n    instances(first: 100) {\n      totalCount\n      edges { node { id name kind status fqdn region { name } plan { name } } }\n    }\n  }\n": types.InstancesDocument,
    "\n  subscription InstanceUpdates($id: ID) {\n    instanceUpdated(id: $id) { id status }\n  }\n": types.InstanceUpdatesDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query CreateChoices($kind: InstanceKind) {\n    images(kind: $kind) { id name os version status }\n    plans(kind: $kind) { id name vcpus memoryMb diskGb retired hourlyPrice { amount currency } monthlyPrice { amount currency } }\n    regions { id name }\n  }\n"): typeof import('./graphql').CreateChoicesDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CreateInstance($input: CreateInstanceInput!) {\n    createInstance(input: $input) { id }\n  }\n"): typeof import('./graphql').CreateInstanceDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Instance($id: ID!) {\n    instance(id: $id) {\n      id name kind status fqdn createdAt billingCycle\n      region { name }\n      plan { name vcpus memoryMb diskGb hourlyPrice { amount currency } }\n      image { name os version }\n      ipAddresses { id address family }\n      costToDate { amount currency }\n    }\n  }\n"): typeof import('./graphql').InstanceDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation StartInstance($id: ID!) { startInstance(id: $id) { id status } }"): typeof import('./graphql').StartInstanceDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation StopInstance($id: ID!) { stopInstance(id: $id) { id status } }"): typeof import('./graphql').StopInstanceDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation DeleteInstance($id: ID!) { deleteInstance(id: $id) { id status } }"): typeof import('./graphql').DeleteInstanceDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Instances {\n    instances(first: 100) {\n      totalCount\n      edges { node { id name kind status fqdn region { name } plan { name } } }\n    }\n  }\n"): typeof import('./graphql').InstancesDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription InstanceUpdates($id: ID) {\n    instanceUpdated(id: $id) { id status }\n  }\n"): typeof import('./graphql').InstanceUpdatesDocument;


export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}
