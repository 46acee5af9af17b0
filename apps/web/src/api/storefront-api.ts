import { send } from './api-client.js';

type Money = { amount: string; currency: string };

export interface StorefrontPlan {
  id: string;
  name: string;
  kind: 'VM' | 'CONTAINER';
  vcpus: number;
  memoryMb: number;
  diskGb: number;
  hourlyPrice: Money;
  monthlyPrice: Money;
}

export interface StorefrontSettings {
  accountId: string;
  slug: string;
  brandColour: string;
  enabled: boolean;
}

export interface CustomerPrice {
  planId: string;
  currency: string;
  hourlyPrice: string;
  monthlyPrice: string;
}

/** Storefronts' REST endpoints (docs/api.md, "Storefronts"): the public /store/<slug>/…, and the reseller's /auth/storefront. */
export const storefronts = {
  catalog: (slug: string) =>
    send<{ storefront: { slug: string; name: string; brandColour: string; currency: string }; plans: StorefrontPlan[] }>(`/store/${encodeURIComponent(slug)}/catalog`, { method: 'GET' }),
  signUp: (slug: string, input: { name: string; email: string; accountName?: string }) =>
    send<{ signedUp: true; email: string }>(`/store/${encodeURIComponent(slug)}/sign-up`, { method: 'POST', body: JSON.stringify(input) }),
  settings: () => send<{ storefront: StorefrontSettings | null; prices: CustomerPrice[] }>('/auth/storefront', { method: 'GET' }),
  setSettings: (input: { slug: string; brandColour: string; enabled: boolean }) =>
    send<{ storefront: StorefrontSettings }>('/auth/storefront', { method: 'POST', body: JSON.stringify(input) }),
};

/**
 * The text colour that reads on a background of `colour` (#rrggbb): black or white, whichever has the
 * higher WCAG contrast, so a reseller's brand colour never makes its own page unreadable.
 */
export function inkOn(colour: string): '#000000' | '#ffffff' {
  const channel = (hex: string) => {
    const c = parseInt(hex, 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  const luminance = 0.2126 * channel(colour.slice(1, 3)) + 0.7152 * channel(colour.slice(3, 5)) + 0.0722 * channel(colour.slice(5, 7));
  return (luminance + 0.05) / 0.05 >= 1.05 / (luminance + 0.05) ? '#000000' : '#ffffff';
}
