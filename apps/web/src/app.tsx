import { useEffect, useState, type ReactNode } from 'react';
import { auth, closeSubscriptions, onSignedOut, type Person } from './api/api-client.js';
import { InvoicePage } from './billing/invoice-page.js';
import { InvoicesPage } from './billing/invoices-page.js';
import { useSessionEnded } from './components/session-ended.js';
import { ApiKeysPage } from './pages/account/api-keys-page.js';
import { SecurityPage } from './pages/account/security-page.js';
import { AdminLinks, AdminPage, type AdminSection } from './pages/admin/admin-page.js';
import { CreateInstancePage } from './pages/create-instance-page.js';
import { InstancePage } from './pages/instance-page.js';
import { InstancesPage } from './pages/instances-page.js';
import { FloatingIpsPage } from './pages/ips/floating-ips-page.js';
import { ResellerCustomersPage } from './pages/reseller-customers-page.js';
import { ResellerPricesPage } from './pages/reseller-prices-page.js';
import { SetPasswordPage } from './pages/set-password-page.js';
import { SignInPage } from './pages/sign-in-page.js';
import { StorefrontPage } from './pages/storefront-page.js';
import { StorefrontSettingsPage } from './pages/storefront-settings-page.js';
import { Link, navigate, useRoute, type Route } from './router.js';

/** The signed-in person's pages; the console has a customer's so far, the other roles use the API meanwhile. */
function Page({ route, person, onPersonChanged }: { route: Route; person: Person; onPersonChanged: (person: Person) => void }) {
  // Invoices are every role's (finance's desk is home to a FINANCE person).
  if (route.page === 'invoices' || (person.role === 'FINANCE' && route.page === 'instances')) return <InvoicesPage person={person} />;
  if (route.page === 'invoice') return <InvoicePage id={route.id} person={person} />;
  // Every person's own sign-in.
  if (route.page === 'security') return <SecurityPage person={person} onChanged={onPersonChanged} />;
  if (person.role === 'RESELLER') {
    if (route.page === 'prices') return <ResellerPricesPage />;
    if (route.page === 'storefront') return <StorefrontSettingsPage />;
    return <ResellerCustomersPage />;
  }
  if (person.role === 'ADMIN') return <AdminPage section={adminSection(route) ?? 'hosts'} />;
  if (person.role !== 'CUSTOMER') {
    return (
      <section className="empty">
        <h1>Welcome, {person.name}</h1>
        <p>The console has no pages for the {person.role} role yet. Everything it will show is in the GraphQL API at <code>/graphql</code> (see docs/api.md).</p>
      </section>
    );
  }
  switch (route.page) {
    case 'instances':
      return <InstancesPage />;
    case 'new-instance':
      return <CreateInstancePage />;
    case 'instance':
      return <InstancePage id={route.id} />;
    case 'ips':
      return <FloatingIpsPage />;
    case 'api-keys':
      return <ApiKeysPage person={person} />;
    default:
      return (
        <section className="empty">
          <h1>No such page</h1>
          <p><Link href="/instances">Go to your instances</Link>.</p>
        </section>
      );
  }
}

export function App() {
  const route = useRoute();
  // undefined while the session is being asked for; null: nobody signed in.
  const [person, setPerson] = useState<Person | null | undefined>(undefined);
  const sessionEnded = useSessionEnded(person);

  useEffect(() => {
    auth.session().then(setPerson, () => setPerson(null));
    return onSignedOut(() => {
      closeSubscriptions();
      setPerson(null);
    });
  }, []);

  // The page's title says where one is, for the browser's history and for screen readers.
  useEffect(() => {
    const titles: Record<Route['page'], string> = { instances: 'Instances', 'new-instance': 'New instance', instance: 'Instance', ips: 'Floating IPs', 'api-keys': 'API keys', security: 'Security', invoices: 'Invoices', invoice: 'Invoice', 'set-password': 'Set your password', customers: 'Customers', prices: 'Prices', storefront: 'Storefront', store: 'Storefront', admin: 'Admin', 'not-found': 'Not found' };
    if (route.page === 'store') return; // the storefront names itself after its reseller
    if (person?.role === 'ADMIN' && (route.page === 'admin' || route.page === 'instances')) return; // each admin page names its section
    document.title = `${person === null && route.page !== 'set-password' ? 'Sign in' : titles[route.page]} · Awan`;
  }, [route.page, person]);

  const signOut = async () => {
    await auth.signOut().catch(() => undefined);
    closeSubscriptions();
    setPerson(null);
    navigate('/');
  };

  // A reseller's storefront is public and wears the reseller's brand, not the console's.
  if (route.page === 'store') return <main id="main" tabIndex={-1}><StorefrontPage slug={route.slug} /></main>;
  if (route.page === 'set-password') return <Shell><SetPasswordPage token={route.token} /></Shell>;
  if (person === undefined) return <Shell><p className="loading" role="status">Loading…</p></Shell>;
  if (person === null) return <Shell><SignInPage onSignedIn={setPerson} notice={sessionEnded} /></Shell>;
  return (
    <Shell
      nav={
        <>
          <nav aria-label="Main">
            {person.role === 'RESELLER' ? (
              <>
                <Link href="/customers" aria-current={route.page === 'customers' ? 'page' : undefined}>Customers</Link>
                <Link href="/prices" aria-current={route.page === 'prices' ? 'page' : undefined}>Prices</Link>
                <Link href="/storefront" aria-current={route.page === 'storefront' ? 'page' : undefined}>Storefront</Link>
              </>
            ) : null}
            {person.role === 'ADMIN' ? <AdminLinks current={adminSection(route)} /> : null}
            {person.role === 'FINANCE' || person.role === 'RESELLER' || person.role === 'ADMIN' ? null : <Link href="/instances" aria-current={route.page === 'instances' ? 'page' : undefined}>Instances</Link>}
            {person.role === 'CUSTOMER' ? (
              <>
                <Link href="/ips" aria-current={route.page === 'ips' ? 'page' : undefined}>Floating IPs</Link>
                <Link href="/account/api-keys" aria-current={route.page === 'api-keys' ? 'page' : undefined}>API keys</Link>
              </>
            ) : null}
            <Link href="/billing/invoices" aria-current={route.page === 'invoices' ? 'page' : undefined}>Invoices</Link>
            <Link href="/account/security" aria-current={route.page === 'security' ? 'page' : undefined}>Security</Link>
          </nav>
          <div className="person">
            <span title={person.email}>{person.email}</span>
            <button type="button" className="secondary" onClick={signOut}>Sign out</button>
          </div>
        </>
      }
    >
      <Page route={route} person={person} onPersonChanged={setPerson} />
    </Shell>
  );
}

/** The admin section a route shows an ADMIN person: home (`/`) is the hosts. */
const adminSection = (route: Route): AdminSection | undefined => (route.page === 'admin' ? route.section : route.page === 'instances' ? 'hosts' : undefined);

function Shell({ nav, children }: { nav?: ReactNode; children: ReactNode }) {
  return (
    <>
      <a className="skip" href="#main">Skip to content</a>
      <header className="top">
        <Link href="/" className="brand">Awan</Link>
        {nav}
      </header>
      <main id="main" tabIndex={-1}>{children}</main>
    </>
  );
}
