import { useEffect } from 'react';
import { Link, type Route } from '../../router.js';
import { AccountsPage } from './accounts-page.js';
import { HostsPage } from './hosts-page.js';
import { ImagesPage } from './images-page.js';
import { IpPoolsPage } from './ip-pools-page.js';
import { PlansPage } from './plans-page.js';
import { RegionsPage } from './regions-page.js';
import './admin.css';

export type AdminSection = Extract<Route, { page: 'admin' }>['section'];

const SECTIONS: { section: AdminSection; title: string }[] = [
  { section: 'hosts', title: 'Hosts' },
  { section: 'pools', title: 'IP pools' },
  { section: 'regions', title: 'Regions' },
  { section: 'plans', title: 'Plans' },
  { section: 'images', title: 'Images' },
  { section: 'accounts', title: 'Accounts' },
];

/** The ADMIN person's links in the main navigation. */
export function AdminLinks({ current }: { current?: AdminSection }) {
  return SECTIONS.map(({ section, title }) => (
    <Link key={section} href={`/admin/${section}`} aria-current={current === section ? 'page' : undefined}>{title}</Link>
  ));
}

/** An ADMIN person's pages: the platform's hosts, pools, catalog and accounts, on the public API. */
export function AdminPage({ section }: { section: AdminSection }) {
  // Each section names the page, for the browser's history and for screen readers.
  useEffect(() => {
    document.title = `${SECTIONS.find((s) => s.section === section)!.title} · Awan`;
  }, [section]);
  switch (section) {
    case 'hosts': return <HostsPage />;
    case 'pools': return <IpPoolsPage />;
    case 'regions': return <RegionsPage />;
    case 'plans': return <PlansPage />;
    case 'images': return <ImagesPage />;
    case 'accounts': return <AccountsPage />;
  }
}
