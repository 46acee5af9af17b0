import { useEffect, useState, type AnchorHTMLAttributes, type MouseEvent } from 'react';

/** The console's few routes, matched from the path; the gateway answers each with index.html. */
export type Route =
  | { page: 'instances' }
  | { page: 'new-instance' }
  | { page: 'instance'; id: string }
  | { page: 'ips' }
  | { page: 'api-keys' }
  | { page: 'security' }
  | { page: 'invoices' }
  | { page: 'invoice'; id: string }
  | { page: 'set-password'; token: string }
  | { page: 'customers' }
  | { page: 'prices' }
  | { page: 'storefront' }
  | { page: 'store'; slug: string }
  | { page: 'admin'; section: 'hosts' | 'pools' | 'regions' | 'plans' | 'images' | 'accounts' }
  | { page: 'not-found' };

export function routeOf(pathname: string, search: string): Route {
  if (pathname === '/' || pathname === '/instances') return { page: 'instances' };
  if (pathname === '/instances/new') return { page: 'new-instance' };
  const instance = /^\/instances\/([\w-]+)$/.exec(pathname);
  if (instance) return { page: 'instance', id: instance[1] };
  if (pathname === '/ips') return { page: 'ips' };
  if (pathname === '/account/api-keys') return { page: 'api-keys' };
  if (pathname === '/account/security') return { page: 'security' };
  // Under /billing: /invoices/<id>.pdf and .csv are the gateway's.
  if (pathname === '/billing/invoices') return { page: 'invoices' };
  const invoice = /^\/billing\/invoices\/([\w-]+)$/.exec(pathname);
  if (invoice) return { page: 'invoice', id: invoice[1] };
  // A reseller's pages, and its public storefront.
  if (pathname === '/customers' || pathname === '/prices' || pathname === '/storefront') return { page: pathname.slice(1) as 'customers' | 'prices' | 'storefront' };
  const store = /^\/store\/([a-z0-9-]+)$/.exec(pathname);
  if (store) return { page: 'store', slug: store[1] };
  const admin = /^\/admin\/(hosts|pools|regions|plans|images|accounts)$/.exec(pathname);
  if (admin) return { page: 'admin', section: admin[1] as Extract<Route, { page: 'admin' }>['section'] };
  if (pathname === '/set-password') return { page: 'set-password', token: new URLSearchParams(search).get('token') ?? '' };
  return { page: 'not-found' };
}

const listeners = new Set<() => void>();

export function navigate(path: string): void {
  history.pushState(null, '', path);
  listeners.forEach((listener) => listener());
}

/** The current route; re-rendered on navigate() and on the browser's back and forward. */
export function useRoute(): Route {
  const [location, setLocation] = useState(() => `${window.location.pathname}${window.location.search}`);
  useEffect(() => {
    const update = () => setLocation(`${window.location.pathname}${window.location.search}`);
    listeners.add(update);
    window.addEventListener('popstate', update);
    return () => {
      listeners.delete(update);
      window.removeEventListener('popstate', update);
    };
  }, []);
  const url = new URL(location, window.location.origin);
  return routeOf(url.pathname, url.search);
}

/** A real link (it opens in a new tab, it is reached with Tab), followed in the page without reloading it. */
export function Link({ href, onClick, ...props }: AnchorHTMLAttributes<HTMLAnchorElement> & { href: string }) {
  const follow = (event: MouseEvent<HTMLAnchorElement>) => {
    onClick?.(event);
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    navigate(href);
  };
  return <a href={href} onClick={follow} {...props} />;
}
