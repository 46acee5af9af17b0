// docker-compose's init step (README, "Docker"): the same NATS keys, configuration and credentials as
// npm start's, in a folder the containers share. Run again, it keeps what is there.
//   node dist/scripts/nats-auth-init.js <folder> <resolver folder, as nats-server sees it> [host id…]
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { ensureHostCredentials, ensureNatsAuthFiles } from './nats-auth-files.js';

const [dir, resolverDir, ...hostIds] = process.argv.slice(2);
if (!dir || !resolverDir) {
  console.error('usage: nats-auth-init <folder> <resolver folder> [host id…]');
  process.exit(2);
}
const files = await ensureNatsAuthFiles(path.resolve(dir), resolverDir);
for (const hostId of hostIds) await ensureHostCredentials(files, hostId);
// Compute's keys as files, for a container's environment to name (NATS_ACCOUNT_SIGNING_KEY=/auth/account-signing.nk).
writeFileSync(path.join(files.dir, 'account-signing.nk'), `${files.authority.accountSigningKey.seed}\n`, { mode: 0o600 });
writeFileSync(path.join(files.dir, 'operator-signing.nk'), `${files.authority.operatorSigningKey.seed}\n`, { mode: 0o600 });
console.log(`NATS keys and credentials in ${files.dir}`);
