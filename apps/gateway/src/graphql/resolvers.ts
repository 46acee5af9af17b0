import { AccountsResolver, ApiKeysResolver } from '../accounts/accounts.resolver.js';
import { BackupsResolver, InstanceBackupsResolver } from '../backups/backups.resolver.js';
import { CatalogResolver, HostsResolver } from '../catalog/catalog.resolver.js';
import { ConsolesResolver } from '../consoles/consoles.resolver.js';
import { FirewallsResolver, InstanceFirewallsResolver } from '../firewalls/firewalls.resolver.js';
import { HostEnrolmentResolver } from '../hosts/host-enrolment.resolver.js';
import { InstancesResolver } from '../instances/instances.resolver.js';
import { CreditNotesResolver, InvoicesResolver } from '../invoices/invoices.resolver.js';
import { IpAddressesResolver } from '../ips/ip-addresses.resolver.js';
import { IpPoolsResolver } from '../pools/ip-pools.resolver.js';
import { InstanceSnapshotsResolver, SnapshotsResolver } from '../snapshots/snapshots.resolver.js';
import { ServiceStatusResolver } from '../status/service-status.resolver.js';

/** Every resolver class of the API. */
export const RESOLVERS = [
  ServiceStatusResolver,
  AccountsResolver,
  ApiKeysResolver,
  CatalogResolver,
  HostsResolver,
  HostEnrolmentResolver,
  InstancesResolver,
  InstanceSnapshotsResolver,
  SnapshotsResolver,
  InstanceBackupsResolver,
  BackupsResolver,
  ConsolesResolver,
  InstanceFirewallsResolver,
  FirewallsResolver,
  IpAddressesResolver,
  IpPoolsResolver,
  InvoicesResolver,
  CreditNotesResolver,
];
