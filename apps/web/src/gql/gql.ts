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
    "\n  query DeskInvoice($id: ID!) {\n    invoice(id: $id) {\n      id number status currency periodStart periodEnd issuedAt paidAt\n      account { id name }\n      subtotal { amount currency } tax { amount currency } total { amount currency }\n      lines {\n        id description resourceId resourceType sku quantity unit periodStart periodEnd\n        unitPrice { amount currency } amount { amount currency }\n        usage { resourceId sku state startedAt endedAt seconds }\n      }\n      creditNotes { id number amount { amount currency } reason issuedAt }\n    }\n  }\n": typeof types.DeskInvoiceDocument,
    "mutation DeskFinalizeInvoice($id: ID!) { finalizeInvoice(id: $id) { id } }": typeof types.DeskFinalizeInvoiceDocument,
    "mutation DeskMarkInvoicePaid($id: ID!, $reference: String!) { markInvoicePaid(id: $id, reference: $reference) { id } }": typeof types.DeskMarkInvoicePaidDocument,
    "mutation DeskVoidInvoice($id: ID!, $reason: String!) { voidInvoice(id: $id, reason: $reason) { id } }": typeof types.DeskVoidInvoiceDocument,
    "mutation DeskIssueCreditNote($input: IssueCreditNoteInput!) { issueCreditNote(input: $input) { id number } }": typeof types.DeskIssueCreditNoteDocument,
    "\n  query SegmentHistory($id: ID!, $after: String) {\n    instance(id: $id) { id history(first: 200, after: $after) { pageInfo { hasNextPage endCursor } edges { node { id type occurredAt } } } }\n  }\n": typeof types.SegmentHistoryDocument,
    "\n  query DeskInvoices($after: String) {\n    invoices(first: 100, after: $after) {\n      totalCount\n      pageInfo { hasNextPage endCursor }\n      edges { node { id number status periodStart periodEnd total { amount currency } account { id name } } }\n    }\n  }\n": typeof types.DeskInvoicesDocument,
    "mutation OpenConsole($instanceId: ID!) { openConsole(instanceId: $instanceId, kind: SERIAL) { url expiresAt } }": typeof types.OpenConsoleDocument,
    "mutation OpenVncConsole($instanceId: ID!) { openConsole(instanceId: $instanceId, kind: VNC) { url expiresAt } }": typeof types.OpenVncConsoleDocument,
    "\n  mutation CreateApiKey($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret apiKey { id name role createdAt lastUsedAt } } }\n": typeof types.CreateApiKeyDocument,
    "\n  mutation RevokeApiKey($id: ID!) { revokeApiKey(id: $id) { id } }\n": typeof types.RevokeApiKeyDocument,
    "\n  query AdminAccounts($after: String) {\n    accounts(first: 100, after: $after) {\n      totalCount\n      pageInfo { hasNextPage endCursor }\n      edges { node { id name kind status currency email parent { id name } } }\n    }\n  }\n": typeof types.AdminAccountsDocument,
    "\n  mutation AdminCreateAccount($input: CreateAccountInput!) {\n    createAccount(input: $input) {\n      account { id name kind status currency email parent { id name } }\n      apiKey { secret apiKey { role } }\n    }\n  }\n": typeof types.AdminCreateAccountDocument,
    "\n  query AdminHosts {\n    hosts { id name status kinds region { id name } vcpus memoryMb diskGb allocatedVcpus allocatedMemoryMb allocatedDiskGb lastHeartbeatAt }\n  }\n": typeof types.AdminHostsDocument,
    "\n  mutation SetHostMaintenance($id: ID!, $maintenance: Boolean!) {\n    setHostMaintenance(id: $id, maintenance: $maintenance) { id status }\n  }\n": typeof types.SetHostMaintenanceDocument,
    "\n  query AdminImages {\n    images { id name os version kind status sizeMb }\n  }\n": typeof types.AdminImagesDocument,
    "\n  mutation RegisterImage($input: RegisterImageInput!) {\n    registerImage(input: $input) { id name os version kind status sizeMb }\n  }\n": typeof types.RegisterImageDocument,
    "\n  query AdminIpPools {\n    ipPools { id family cidr gateway bridge size used retiredAt region { id name } }\n  }\n": typeof types.AdminIpPoolsDocument,
    "\n  query AdminPlans {\n    me { currency }\n    plans { id name kind vcpus memoryMb diskGb retired hourlyPrice { amount currency } monthlyPrice { amount currency } }\n  }\n": typeof types.AdminPlansDocument,
    "\n  mutation SavePlan($input: SavePlanInput!) {\n    savePlan(input: $input) { id name kind vcpus memoryMb diskGb retired hourlyPrice { amount currency } monthlyPrice { amount currency } }\n  }\n": typeof types.SavePlanDocument,
    "\n  mutation RetirePlan($id: ID!) {\n    retirePlan(id: $id) { id retired }\n  }\n": typeof types.RetirePlanDocument,
    "\n  query AdminRegions {\n    regions { id name dnsZone }\n  }\n": typeof types.AdminRegionsDocument,
    "\n  mutation CreateRegion($input: CreateRegionInput!) {\n    createRegion(input: $input) { id name dnsZone }\n  }\n": typeof types.CreateRegionDocument,
    "\n  query CreateChoices($kind: InstanceKind) {\n    images(kind: $kind) { id name os version status }\n    plans(kind: $kind) { id name vcpus memoryMb diskGb retired hourlyPrice { amount currency } monthlyPrice { amount currency } }\n    regions { id name }\n  }\n": typeof types.CreateChoicesDocument,
    "\n  mutation CreateInstance($input: CreateInstanceInput!) {\n    createInstance(input: $input) { id }\n  }\n": typeof types.CreateInstanceDocument,
    "\n  query Instance($id: ID!) {\n    instance(id: $id) {\n      id name kind status fqdn createdAt billingCycle\n      region { name }\n      plan { name vcpus memoryMb diskGb hourlyPrice { amount currency } }\n      image { name os version }\n      ipAddresses { id address family }\n      costToDate { amount currency }\n    }\n  }\n": typeof types.InstanceDocument,
    "mutation StartInstance($id: ID!) { startInstance(id: $id) { id status } }": typeof types.StartInstanceDocument,
    "mutation StopInstance($id: ID!) { stopInstance(id: $id) { id status } }": typeof types.StopInstanceDocument,
    "mutation DeleteInstance($id: ID!) { deleteInstance(id: $id) { id status } }": typeof types.DeleteInstanceDocument,
    "\n  query TabBackups($id: ID!) {\n    instance(id: $id) {\n      id\n      backupSchedule { hourUtc keep }\n      backups(first: 100) { totalCount edges { node { id status sizeMb scheduled createdAt } } }\n    }\n  }\n": typeof types.TabBackupsDocument,
    "mutation TabCreateBackup($instanceId: ID!) { createBackup(instanceId: $instanceId) { id status } }": typeof types.TabCreateBackupDocument,
    "mutation TabDeleteBackup($id: ID!) { deleteBackup(id: $id) { id status } }": typeof types.TabDeleteBackupDocument,
    "mutation TabRestoreBackup($id: ID!, $input: RestoreBackupInput) { restoreBackup(id: $id, input: $input) { id } }": typeof types.TabRestoreBackupDocument,
    "\n  mutation TabSetBackupSchedule($instanceId: ID!, $schedule: BackupScheduleInput) { setBackupSchedule(instanceId: $instanceId, schedule: $schedule) { id backupSchedule { hourUtc keep } } }\n": typeof types.TabSetBackupScheduleDocument,
    "\n  query TabFirewalls($id: ID!) {\n    instance(id: $id) { id firewalls { id } }\n    firewalls(first: 100) { edges { node { id name rules { direction protocol ports addresses description } instances { id } } } }\n  }\n": typeof types.TabFirewallsDocument,
    "mutation TabAttachFirewall($id: ID!, $instanceId: ID!) { attachFirewall(id: $id, instanceId: $instanceId) { id } }": typeof types.TabAttachFirewallDocument,
    "mutation TabDetachFirewall($id: ID!, $instanceId: ID!) { detachFirewall(id: $id, instanceId: $instanceId) { id } }": typeof types.TabDetachFirewallDocument,
    "mutation TabCreateFirewall($input: CreateFirewallInput!) { createFirewall(input: $input) { id } }": typeof types.TabCreateFirewallDocument,
    "mutation TabSetFirewallRules($id: ID!, $rules: [FirewallRuleInput!]!) { setFirewallRules(id: $id, rules: $rules) { id } }": typeof types.TabSetFirewallRulesDocument,
    "\n  query TabHistory($id: ID!, $after: String) {\n    instance(id: $id) {\n      id\n      history(first: 100, after: $after) { edges { node { id type occurredAt data } } pageInfo { hasNextPage endCursor } }\n    }\n  }\n": typeof types.TabHistoryDocument,
    "\n  query TabSnapshots($id: ID!) {\n    instance(id: $id) { id snapshots { id name status sizeMb createdAt } }\n  }\n": typeof types.TabSnapshotsDocument,
    "mutation TabCreateSnapshot($instanceId: ID!, $name: String!) { createSnapshot(instanceId: $instanceId, name: $name) { id status } }": typeof types.TabCreateSnapshotDocument,
    "mutation TabRestoreSnapshot($id: ID!) { restoreSnapshot(id: $id) { id status } }": typeof types.TabRestoreSnapshotDocument,
    "mutation TabDeleteSnapshot($id: ID!) { deleteSnapshot(id: $id) { id status } }": typeof types.TabDeleteSnapshotDocument,
    "\n  query Instances($after: String) {\n    instances(first: 100, after: $after) {\n      totalCount\n      pageInfo { hasNextPage endCursor }\n      edges { node { ...InstanceRow } }\n    }\n  }\n  fragment InstanceRow on Instance { id name kind status fqdn region { name } plan { name } }\n": typeof types.InstancesDocument,
    "\n  query NewInstanceRow($id: ID!) {\n    instance(id: $id) { ...InstanceRow }\n  }\n": typeof types.NewInstanceRowDocument,
    "\n  subscription InstanceUpdates($id: ID) {\n    instanceUpdated(id: $id) { id status }\n  }\n": typeof types.InstanceUpdatesDocument,
    "\n  query FloatingIps {\n    ipAddresses(first: 100) { totalCount edges { node { ...FloatingIp } } }\n    regions { id name }\n    instances(first: 100) { edges { node { id name region { id } } } }\n  }\n  fragment FloatingIp on IpAddress { id address family floating reverseDns region { id name } instance { id name } }\n": typeof types.FloatingIpsDocument,
    "\n  mutation AllocateIp($input: AllocateIpInput!) { allocateIp(input: $input) { ...FloatingIp } }\n": typeof types.AllocateIpDocument,
    "\n  mutation AssignIp($ipId: ID!, $instanceId: ID!) { assignIp(ipId: $ipId, instanceId: $instanceId) { ...FloatingIp } }\n": typeof types.AssignIpDocument,
    "\n  mutation UnassignIp($ipId: ID!) { unassignIp(ipId: $ipId) { ...FloatingIp } }\n": typeof types.UnassignIpDocument,
    "\n  mutation ReleaseIp($ipId: ID!) { releaseIp(ipId: $ipId) { id } }\n": typeof types.ReleaseIpDocument,
    "\n  mutation SetReverseDns($ipId: ID!, $hostname: String!) { setReverseDns(ipId: $ipId, hostname: $hostname) { ...FloatingIp } }\n": typeof types.SetReverseDnsDocument,
    "\n  query ResellerCustomers {\n    me { id customers(first: 100) { totalCount edges { node { id name status currency email createdAt } } } }\n  }\n": typeof types.ResellerCustomersDocument,
    "\n  query CustomerUsage($accountId: ID!) {\n    upcomingInvoice(accountId: $accountId) { total { amount currency } lines { id } }\n  }\n": typeof types.CustomerUsageDocument,
    "\n  query ResellerPlans {\n    plans { id name kind vcpus memoryMb diskGb cost { amount currency } }\n  }\n": typeof types.ResellerPlansDocument,
    "\n  mutation SetPrice($input: SetPriceInput!) {\n    setPrice(input: $input) { id hourlyPrice { amount currency } monthlyPrice { amount currency } }\n  }\n": typeof types.SetPriceDocument,
};
const documents: Documents = {
    "\n  query DeskInvoice($id: ID!) {\n    invoice(id: $id) {\n      id number status currency periodStart periodEnd issuedAt paidAt\n      account { id name }\n      subtotal { amount currency } tax { amount currency } total { amount currency }\n      lines {\n        id description resourceId resourceType sku quantity unit periodStart periodEnd\n        unitPrice { amount currency } amount { amount currency }\n        usage { resourceId sku state startedAt endedAt seconds }\n      }\n      creditNotes { id number amount { amount currency } reason issuedAt }\n    }\n  }\n": types.DeskInvoiceDocument,
    "mutation DeskFinalizeInvoice($id: ID!) { finalizeInvoice(id: $id) { id } }": types.DeskFinalizeInvoiceDocument,
    "mutation DeskMarkInvoicePaid($id: ID!, $reference: String!) { markInvoicePaid(id: $id, reference: $reference) { id } }": types.DeskMarkInvoicePaidDocument,
    "mutation DeskVoidInvoice($id: ID!, $reason: String!) { voidInvoice(id: $id, reason: $reason) { id } }": types.DeskVoidInvoiceDocument,
    "mutation DeskIssueCreditNote($input: IssueCreditNoteInput!) { issueCreditNote(input: $input) { id number } }": types.DeskIssueCreditNoteDocument,
    "\n  query SegmentHistory($id: ID!, $after: String) {\n    instance(id: $id) { id history(first: 200, after: $after) { pageInfo { hasNextPage endCursor } edges { node { id type occurredAt } } } }\n  }\n": types.SegmentHistoryDocument,
    "\n  query DeskInvoices($after: String) {\n    invoices(first: 100, after: $after) {\n      totalCount\n      pageInfo { hasNextPage endCursor }\n      edges { node { id number status periodStart periodEnd total { amount currency } account { id name } } }\n    }\n  }\n": types.DeskInvoicesDocument,
    "mutation OpenConsole($instanceId: ID!) { openConsole(instanceId: $instanceId, kind: SERIAL) { url expiresAt } }": types.OpenConsoleDocument,
    "mutation OpenVncConsole($instanceId: ID!) { openConsole(instanceId: $instanceId, kind: VNC) { url expiresAt } }": types.OpenVncConsoleDocument,
    "\n  mutation CreateApiKey($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret apiKey { id name role createdAt lastUsedAt } } }\n": types.CreateApiKeyDocument,
    "\n  mutation RevokeApiKey($id: ID!) { revokeApiKey(id: $id) { id } }\n": types.RevokeApiKeyDocument,
    "\n  query AdminAccounts($after: String) {\n    accounts(first: 100, after: $after) {\n      totalCount\n      pageInfo { hasNextPage endCursor }\n      edges { node { id name kind status currency email parent { id name } } }\n    }\n  }\n": types.AdminAccountsDocument,
    "\n  mutation AdminCreateAccount($input: CreateAccountInput!) {\n    createAccount(input: $input) {\n      account { id name kind status currency email parent { id name } }\n      apiKey { secret apiKey { role } }\n    }\n  }\n": types.AdminCreateAccountDocument,
    "\n  query AdminHosts {\n    hosts { id name status kinds region { id name } vcpus memoryMb diskGb allocatedVcpus allocatedMemoryMb allocatedDiskGb lastHeartbeatAt }\n  }\n": types.AdminHostsDocument,
    "\n  mutation SetHostMaintenance($id: ID!, $maintenance: Boolean!) {\n    setHostMaintenance(id: $id, maintenance: $maintenance) { id status }\n  }\n": types.SetHostMaintenanceDocument,
    "\n  query AdminImages {\n    images { id name os version kind status sizeMb }\n  }\n": types.AdminImagesDocument,
    "\n  mutation RegisterImage($input: RegisterImageInput!) {\n    registerImage(input: $input) { id name os version kind status sizeMb }\n  }\n": types.RegisterImageDocument,
    "\n  query AdminIpPools {\n    ipPools { id family cidr gateway bridge size used retiredAt region { id name } }\n  }\n": types.AdminIpPoolsDocument,
    "\n  query AdminPlans {\n    me { currency }\n    plans { id name kind vcpus memoryMb diskGb retired hourlyPrice { amount currency } monthlyPrice { amount currency } }\n  }\n": types.AdminPlansDocument,
    "\n  mutation SavePlan($input: SavePlanInput!) {\n    savePlan(input: $input) { id name kind vcpus memoryMb diskGb retired hourlyPrice { amount currency } monthlyPrice { amount currency } }\n  }\n": types.SavePlanDocument,
    "\n  mutation RetirePlan($id: ID!) {\n    retirePlan(id: $id) { id retired }\n  }\n": types.RetirePlanDocument,
    "\n  query AdminRegions {\n    regions { id name dnsZone }\n  }\n": types.AdminRegionsDocument,
    "\n  mutation CreateRegion($input: CreateRegionInput!) {\n    createRegion(input: $input) { id name dnsZone }\n  }\n": types.CreateRegionDocument,
    "\n  query CreateChoices($kind: InstanceKind) {\n    images(kind: $kind) { id name os version status }\n    plans(kind: $kind) { id name vcpus memoryMb diskGb retired hourlyPrice { amount currency } monthlyPrice { amount currency } }\n    regions { id name }\n  }\n": types.CreateChoicesDocument,
    "\n  mutation CreateInstance($input: CreateInstanceInput!) {\n    createInstance(input: $input) { id }\n  }\n": types.CreateInstanceDocument,
    "\n  query Instance($id: ID!) {\n    instance(id: $id) {\n      id name kind status fqdn createdAt billingCycle\n      region { name }\n      plan { name vcpus memoryMb diskGb hourlyPrice { amount currency } }\n      image { name os version }\n      ipAddresses { id address family }\n      costToDate { amount currency }\n    }\n  }\n": types.InstanceDocument,
    "mutation StartInstance($id: ID!) { startInstance(id: $id) { id status } }": types.StartInstanceDocument,
    "mutation StopInstance($id: ID!) { stopInstance(id: $id) { id status } }": types.StopInstanceDocument,
    "mutation DeleteInstance($id: ID!) { deleteInstance(id: $id) { id status } }": types.DeleteInstanceDocument,
    "\n  query TabBackups($id: ID!) {\n    instance(id: $id) {\n      id\n      backupSchedule { hourUtc keep }\n      backups(first: 100) { totalCount edges { node { id status sizeMb scheduled createdAt } } }\n    }\n  }\n": types.TabBackupsDocument,
    "mutation TabCreateBackup($instanceId: ID!) { createBackup(instanceId: $instanceId) { id status } }": types.TabCreateBackupDocument,
    "mutation TabDeleteBackup($id: ID!) { deleteBackup(id: $id) { id status } }": types.TabDeleteBackupDocument,
    "mutation TabRestoreBackup($id: ID!, $input: RestoreBackupInput) { restoreBackup(id: $id, input: $input) { id } }": types.TabRestoreBackupDocument,
    "\n  mutation TabSetBackupSchedule($instanceId: ID!, $schedule: BackupScheduleInput) { setBackupSchedule(instanceId: $instanceId, schedule: $schedule) { id backupSchedule { hourUtc keep } } }\n": types.TabSetBackupScheduleDocument,
    "\n  query TabFirewalls($id: ID!) {\n    instance(id: $id) { id firewalls { id } }\n    firewalls(first: 100) { edges { node { id name rules { direction protocol ports addresses description } instances { id } } } }\n  }\n": types.TabFirewallsDocument,
    "mutation TabAttachFirewall($id: ID!, $instanceId: ID!) { attachFirewall(id: $id, instanceId: $instanceId) { id } }": types.TabAttachFirewallDocument,
    "mutation TabDetachFirewall($id: ID!, $instanceId: ID!) { detachFirewall(id: $id, instanceId: $instanceId) { id } }": types.TabDetachFirewallDocument,
    "mutation TabCreateFirewall($input: CreateFirewallInput!) { createFirewall(input: $input) { id } }": types.TabCreateFirewallDocument,
    "mutation TabSetFirewallRules($id: ID!, $rules: [FirewallRuleInput!]!) { setFirewallRules(id: $id, rules: $rules) { id } }": types.TabSetFirewallRulesDocument,
    "\n  query TabHistory($id: ID!, $after: String) {\n    instance(id: $id) {\n      id\n      history(first: 100, after: $after) { edges { node { id type occurredAt data } } pageInfo { hasNextPage endCursor } }\n    }\n  }\n": types.TabHistoryDocument,
    "\n  query TabSnapshots($id: ID!) {\n    instance(id: $id) { id snapshots { id name status sizeMb createdAt } }\n  }\n": types.TabSnapshotsDocument,
    "mutation TabCreateSnapshot($instanceId: ID!, $name: String!) { createSnapshot(instanceId: $instanceId, name: $name) { id status } }": types.TabCreateSnapshotDocument,
    "mutation TabRestoreSnapshot($id: ID!) { restoreSnapshot(id: $id) { id status } }": types.TabRestoreSnapshotDocument,
    "mutation TabDeleteSnapshot($id: ID!) { deleteSnapshot(id: $id) { id status } }": types.TabDeleteSnapshotDocument,
    "\n  query Instances($after: String) {\n    instances(first: 100, after: $after) {\n      totalCount\n      pageInfo { hasNextPage endCursor }\n      edges { node { ...InstanceRow } }\n    }\n  }\n  fragment InstanceRow on Instance { id name kind status fqdn region { name } plan { name } }\n": types.InstancesDocument,
    "\n  query NewInstanceRow($id: ID!) {\n    instance(id: $id) { ...InstanceRow }\n  }\n": types.NewInstanceRowDocument,
    "\n  subscription InstanceUpdates($id: ID) {\n    instanceUpdated(id: $id) { id status }\n  }\n": types.InstanceUpdatesDocument,
    "\n  query FloatingIps {\n    ipAddresses(first: 100) { totalCount edges { node { ...FloatingIp } } }\n    regions { id name }\n    instances(first: 100) { edges { node { id name region { id } } } }\n  }\n  fragment FloatingIp on IpAddress { id address family floating reverseDns region { id name } instance { id name } }\n": types.FloatingIpsDocument,
    "\n  mutation AllocateIp($input: AllocateIpInput!) { allocateIp(input: $input) { ...FloatingIp } }\n": types.AllocateIpDocument,
    "\n  mutation AssignIp($ipId: ID!, $instanceId: ID!) { assignIp(ipId: $ipId, instanceId: $instanceId) { ...FloatingIp } }\n": types.AssignIpDocument,
    "\n  mutation UnassignIp($ipId: ID!) { unassignIp(ipId: $ipId) { ...FloatingIp } }\n": types.UnassignIpDocument,
    "\n  mutation ReleaseIp($ipId: ID!) { releaseIp(ipId: $ipId) { id } }\n": types.ReleaseIpDocument,
    "\n  mutation SetReverseDns($ipId: ID!, $hostname: String!) { setReverseDns(ipId: $ipId, hostname: $hostname) { ...FloatingIp } }\n": types.SetReverseDnsDocument,
    "\n  query ResellerCustomers {\n    me { id customers(first: 100) { totalCount edges { node { id name status currency email createdAt } } } }\n  }\n": types.ResellerCustomersDocument,
    "\n  query CustomerUsage($accountId: ID!) {\n    upcomingInvoice(accountId: $accountId) { total { amount currency } lines { id } }\n  }\n": types.CustomerUsageDocument,
    "\n  query ResellerPlans {\n    plans { id name kind vcpus memoryMb diskGb cost { amount currency } }\n  }\n": types.ResellerPlansDocument,
    "\n  mutation SetPrice($input: SetPriceInput!) {\n    setPrice(input: $input) { id hourlyPrice { amount currency } monthlyPrice { amount currency } }\n  }\n": types.SetPriceDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query DeskInvoice($id: ID!) {\n    invoice(id: $id) {\n      id number status currency periodStart periodEnd issuedAt paidAt\n      account { id name }\n      subtotal { amount currency } tax { amount currency } total { amount currency }\n      lines {\n        id description resourceId resourceType sku quantity unit periodStart periodEnd\n        unitPrice { amount currency } amount { amount currency }\n        usage { resourceId sku state startedAt endedAt seconds }\n      }\n      creditNotes { id number amount { amount currency } reason issuedAt }\n    }\n  }\n"): typeof import('./graphql').DeskInvoiceDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation DeskFinalizeInvoice($id: ID!) { finalizeInvoice(id: $id) { id } }"): typeof import('./graphql').DeskFinalizeInvoiceDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation DeskMarkInvoicePaid($id: ID!, $reference: String!) { markInvoicePaid(id: $id, reference: $reference) { id } }"): typeof import('./graphql').DeskMarkInvoicePaidDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation DeskVoidInvoice($id: ID!, $reason: String!) { voidInvoice(id: $id, reason: $reason) { id } }"): typeof import('./graphql').DeskVoidInvoiceDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation DeskIssueCreditNote($input: IssueCreditNoteInput!) { issueCreditNote(input: $input) { id number } }"): typeof import('./graphql').DeskIssueCreditNoteDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query SegmentHistory($id: ID!, $after: String) {\n    instance(id: $id) { id history(first: 200, after: $after) { pageInfo { hasNextPage endCursor } edges { node { id type occurredAt } } } }\n  }\n"): typeof import('./graphql').SegmentHistoryDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query DeskInvoices($after: String) {\n    invoices(first: 100, after: $after) {\n      totalCount\n      pageInfo { hasNextPage endCursor }\n      edges { node { id number status periodStart periodEnd total { amount currency } account { id name } } }\n    }\n  }\n"): typeof import('./graphql').DeskInvoicesDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation OpenConsole($instanceId: ID!) { openConsole(instanceId: $instanceId, kind: SERIAL) { url expiresAt } }"): typeof import('./graphql').OpenConsoleDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation OpenVncConsole($instanceId: ID!) { openConsole(instanceId: $instanceId, kind: VNC) { url expiresAt } }"): typeof import('./graphql').OpenVncConsoleDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CreateApiKey($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret apiKey { id name role createdAt lastUsedAt } } }\n"): typeof import('./graphql').CreateApiKeyDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation RevokeApiKey($id: ID!) { revokeApiKey(id: $id) { id } }\n"): typeof import('./graphql').RevokeApiKeyDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query AdminAccounts($after: String) {\n    accounts(first: 100, after: $after) {\n      totalCount\n      pageInfo { hasNextPage endCursor }\n      edges { node { id name kind status currency email parent { id name } } }\n    }\n  }\n"): typeof import('./graphql').AdminAccountsDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation AdminCreateAccount($input: CreateAccountInput!) {\n    createAccount(input: $input) {\n      account { id name kind status currency email parent { id name } }\n      apiKey { secret apiKey { role } }\n    }\n  }\n"): typeof import('./graphql').AdminCreateAccountDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query AdminHosts {\n    hosts { id name status kinds region { id name } vcpus memoryMb diskGb allocatedVcpus allocatedMemoryMb allocatedDiskGb lastHeartbeatAt }\n  }\n"): typeof import('./graphql').AdminHostsDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation SetHostMaintenance($id: ID!, $maintenance: Boolean!) {\n    setHostMaintenance(id: $id, maintenance: $maintenance) { id status }\n  }\n"): typeof import('./graphql').SetHostMaintenanceDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query AdminImages {\n    images { id name os version kind status sizeMb }\n  }\n"): typeof import('./graphql').AdminImagesDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation RegisterImage($input: RegisterImageInput!) {\n    registerImage(input: $input) { id name os version kind status sizeMb }\n  }\n"): typeof import('./graphql').RegisterImageDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query AdminIpPools {\n    ipPools { id family cidr gateway bridge size used retiredAt region { id name } }\n  }\n"): typeof import('./graphql').AdminIpPoolsDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query AdminPlans {\n    me { currency }\n    plans { id name kind vcpus memoryMb diskGb retired hourlyPrice { amount currency } monthlyPrice { amount currency } }\n  }\n"): typeof import('./graphql').AdminPlansDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation SavePlan($input: SavePlanInput!) {\n    savePlan(input: $input) { id name kind vcpus memoryMb diskGb retired hourlyPrice { amount currency } monthlyPrice { amount currency } }\n  }\n"): typeof import('./graphql').SavePlanDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation RetirePlan($id: ID!) {\n    retirePlan(id: $id) { id retired }\n  }\n"): typeof import('./graphql').RetirePlanDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query AdminRegions {\n    regions { id name dnsZone }\n  }\n"): typeof import('./graphql').AdminRegionsDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CreateRegion($input: CreateRegionInput!) {\n    createRegion(input: $input) { id name dnsZone }\n  }\n"): typeof import('./graphql').CreateRegionDocument;
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
export function graphql(source: "\n  query TabBackups($id: ID!) {\n    instance(id: $id) {\n      id\n      backupSchedule { hourUtc keep }\n      backups(first: 100) { totalCount edges { node { id status sizeMb scheduled createdAt } } }\n    }\n  }\n"): typeof import('./graphql').TabBackupsDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation TabCreateBackup($instanceId: ID!) { createBackup(instanceId: $instanceId) { id status } }"): typeof import('./graphql').TabCreateBackupDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation TabDeleteBackup($id: ID!) { deleteBackup(id: $id) { id status } }"): typeof import('./graphql').TabDeleteBackupDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation TabRestoreBackup($id: ID!, $input: RestoreBackupInput) { restoreBackup(id: $id, input: $input) { id } }"): typeof import('./graphql').TabRestoreBackupDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation TabSetBackupSchedule($instanceId: ID!, $schedule: BackupScheduleInput) { setBackupSchedule(instanceId: $instanceId, schedule: $schedule) { id backupSchedule { hourUtc keep } } }\n"): typeof import('./graphql').TabSetBackupScheduleDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query TabFirewalls($id: ID!) {\n    instance(id: $id) { id firewalls { id } }\n    firewalls(first: 100) { edges { node { id name rules { direction protocol ports addresses description } instances { id } } } }\n  }\n"): typeof import('./graphql').TabFirewallsDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation TabAttachFirewall($id: ID!, $instanceId: ID!) { attachFirewall(id: $id, instanceId: $instanceId) { id } }"): typeof import('./graphql').TabAttachFirewallDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation TabDetachFirewall($id: ID!, $instanceId: ID!) { detachFirewall(id: $id, instanceId: $instanceId) { id } }"): typeof import('./graphql').TabDetachFirewallDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation TabCreateFirewall($input: CreateFirewallInput!) { createFirewall(input: $input) { id } }"): typeof import('./graphql').TabCreateFirewallDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation TabSetFirewallRules($id: ID!, $rules: [FirewallRuleInput!]!) { setFirewallRules(id: $id, rules: $rules) { id } }"): typeof import('./graphql').TabSetFirewallRulesDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query TabHistory($id: ID!, $after: String) {\n    instance(id: $id) {\n      id\n      history(first: 100, after: $after) { edges { node { id type occurredAt data } } pageInfo { hasNextPage endCursor } }\n    }\n  }\n"): typeof import('./graphql').TabHistoryDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query TabSnapshots($id: ID!) {\n    instance(id: $id) { id snapshots { id name status sizeMb createdAt } }\n  }\n"): typeof import('./graphql').TabSnapshotsDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation TabCreateSnapshot($instanceId: ID!, $name: String!) { createSnapshot(instanceId: $instanceId, name: $name) { id status } }"): typeof import('./graphql').TabCreateSnapshotDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation TabRestoreSnapshot($id: ID!) { restoreSnapshot(id: $id) { id status } }"): typeof import('./graphql').TabRestoreSnapshotDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation TabDeleteSnapshot($id: ID!) { deleteSnapshot(id: $id) { id status } }"): typeof import('./graphql').TabDeleteSnapshotDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Instances($after: String) {\n    instances(first: 100, after: $after) {\n      totalCount\n      pageInfo { hasNextPage endCursor }\n      edges { node { ...InstanceRow } }\n    }\n  }\n  fragment InstanceRow on Instance { id name kind status fqdn region { name } plan { name } }\n"): typeof import('./graphql').InstancesDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query NewInstanceRow($id: ID!) {\n    instance(id: $id) { ...InstanceRow }\n  }\n"): typeof import('./graphql').NewInstanceRowDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription InstanceUpdates($id: ID) {\n    instanceUpdated(id: $id) { id status }\n  }\n"): typeof import('./graphql').InstanceUpdatesDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query FloatingIps {\n    ipAddresses(first: 100) { totalCount edges { node { ...FloatingIp } } }\n    regions { id name }\n    instances(first: 100) { edges { node { id name region { id } } } }\n  }\n  fragment FloatingIp on IpAddress { id address family floating reverseDns region { id name } instance { id name } }\n"): typeof import('./graphql').FloatingIpsDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation AllocateIp($input: AllocateIpInput!) { allocateIp(input: $input) { ...FloatingIp } }\n"): typeof import('./graphql').AllocateIpDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation AssignIp($ipId: ID!, $instanceId: ID!) { assignIp(ipId: $ipId, instanceId: $instanceId) { ...FloatingIp } }\n"): typeof import('./graphql').AssignIpDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation UnassignIp($ipId: ID!) { unassignIp(ipId: $ipId) { ...FloatingIp } }\n"): typeof import('./graphql').UnassignIpDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation ReleaseIp($ipId: ID!) { releaseIp(ipId: $ipId) { id } }\n"): typeof import('./graphql').ReleaseIpDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation SetReverseDns($ipId: ID!, $hostname: String!) { setReverseDns(ipId: $ipId, hostname: $hostname) { ...FloatingIp } }\n"): typeof import('./graphql').SetReverseDnsDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ResellerCustomers {\n    me { id customers(first: 100) { totalCount edges { node { id name status currency email createdAt } } } }\n  }\n"): typeof import('./graphql').ResellerCustomersDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query CustomerUsage($accountId: ID!) {\n    upcomingInvoice(accountId: $accountId) { total { amount currency } lines { id } }\n  }\n"): typeof import('./graphql').CustomerUsageDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query ResellerPlans {\n    plans { id name kind vcpus memoryMb diskGb cost { amount currency } }\n  }\n"): typeof import('./graphql').ResellerPlansDocument;
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation SetPrice($input: SetPriceInput!) {\n    setPrice(input: $input) { id hourlyPrice { amount currency } monthlyPrice { amount currency } }\n  }\n"): typeof import('./graphql').SetPriceDocument;


export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}
