import { operation, type Money, type NoVariables } from '../graphql/operation.js';

export type InstanceKind = 'VM' | 'CONTAINER';
export const INSTANCE_KINDS: readonly InstanceKind[] = ['VM', 'CONTAINER'];

export interface Region {
  id: string;
  name: string;
  dnsZone: string;
}

export interface Plan {
  id: string;
  name: string;
  kind: InstanceKind;
  vcpus: number;
  memoryMb: number;
  diskGb: number;
  hourlyPrice: Money;
  monthlyPrice: Money;
  cost: Money | null;
  retired: boolean;
}

export interface Image {
  id: string;
  name: string;
  os: string;
  version: string;
  kind: InstanceKind;
  status: string;
  sizeMb: number | null;
}

const REGION = 'id name dnsZone';
const PLAN = 'id name kind vcpus memoryMb diskGb hourlyPrice { amount currency } monthlyPrice { amount currency } cost { amount currency } retired';
const IMAGE = 'id name os version kind status sizeMb';

export const regions = operation<NoVariables, { regions: Region[] }>(`query Regions { regions { ${REGION} } }`);

export interface CreateRegionInput {
  id: string;
  name: string;
  dnsZone: string;
}
export const createRegion = operation<{ input: CreateRegionInput }, { createRegion: Region }>(
  `mutation CreateRegion($input: CreateRegionInput!) { createRegion(input: $input) { ${REGION} } }`,
);

export const plans = operation<{ kind?: InstanceKind }, { plans: Plan[] }>(`query Plans($kind: InstanceKind) { plans(kind: $kind) { ${PLAN} } }`);

export interface PlanPriceInput {
  currency: string;
  hourlyPrice: string;
  monthlyPrice: string;
}
export interface SavePlanInput {
  id: string;
  name: string;
  kind: InstanceKind;
  vcpus: number;
  memoryMb: number;
  diskGb: number;
  prices: PlanPriceInput[];
}
export const savePlan = operation<{ input: SavePlanInput }, { savePlan: Plan }>(`mutation SavePlan($input: SavePlanInput!) { savePlan(input: $input) { ${PLAN} } }`);
export const retirePlan = operation<{ id: string }, { retirePlan: Plan }>(`mutation RetirePlan($id: ID!) { retirePlan(id: $id) { ${PLAN} } }`);

export const images = operation<{ kind?: InstanceKind }, { images: Image[] }>(`query Images($kind: InstanceKind) { images(kind: $kind) { ${IMAGE} } }`);

export interface RegisterImageInput {
  id: string;
  name: string;
  os: string;
  version: string;
  kind: InstanceKind;
  source: string;
  sha256: string;
}
export const registerImage = operation<{ input: RegisterImageInput }, { registerImage: Image }>(
  `mutation RegisterImage($input: RegisterImageInput!) { registerImage(input: $input) { ${IMAGE} } }`,
);
export const retireImage = operation<{ id: string }, { retireImage: Image }>(`mutation RetireImage($id: ID!) { retireImage(id: $id) { ${IMAGE} } }`);

export interface SetPriceInput {
  accountId?: string;
  planId: string;
  hourlyPrice: string;
  monthlyPrice: string;
}
export const setPrice = operation<{ input: SetPriceInput }, { setPrice: Plan }>(`mutation SetPrice($input: SetPriceInput!) { setPrice(input: $input) { ${PLAN} } }`);

export interface SetStoragePriceInput {
  accountId?: string;
  currency?: string;
  sku: string;
  monthlyPrice: string;
}
export interface StoragePrice {
  sku: string;
  currency: string;
  monthlyPrice: Money;
}
export const setStoragePrice = operation<{ input: SetStoragePriceInput }, { setStoragePrice: StoragePrice }>(
  `mutation SetStoragePrice($input: SetStoragePriceInput!) { setStoragePrice(input: $input) { sku currency monthlyPrice { amount currency } } }`,
);
