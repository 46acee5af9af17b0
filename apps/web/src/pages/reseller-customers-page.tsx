import { useEffect, useState } from 'react';
import { ApiError, request } from '../api/api-client.js';
import { formatMoney } from '../api/field-errors.js';
import { Empty } from '../components/form.js';
import { graphql } from '../gql/index.js';
import type { ResellerCustomersQuery } from '../gql/graphql.js';
import { Link } from '../router.js';

const ResellerCustomers = graphql(`
  query ResellerCustomers {
    me { id customers(first: 100) { totalCount edges { node { id name status currency email createdAt } } } }
  }
`);

const CustomerUsage = graphql(`
  query CustomerUsage($accountId: ID!) {
    upcomingInvoice(accountId: $accountId) { total { amount currency } lines { id } }
  }
`);

type Customer = ResellerCustomersQuery['me']['customers']['edges'][number]['node'];
type Usage = { total: string; lines: number } | { problem: string };

/** A reseller's customers, each with what this month's invoice stands at so far (its upcoming invoice, rated from usage to date). */
export function ResellerCustomersPage() {
  const [customers, setCustomers] = useState<Customer[] | null>(null);
  const [total, setTotal] = useState(0);
  const [usage, setUsage] = useState<Record<string, Usage>>({});
  const [problem, setProblem] = useState<string | null>(null);

  useEffect(() => {
    request(ResellerCustomers).then(({ me }) => {
      const rows = me.customers.edges.map((e) => e.node);
      setCustomers(rows);
      setTotal(me.customers.totalCount);
      for (const customer of rows) {
        request(CustomerUsage, { accountId: customer.id }).then(
          ({ upcomingInvoice }) => setUsage((now) => ({ ...now, [customer.id]: { total: formatMoney(upcomingInvoice.total), lines: upcomingInvoice.lines.length } })),
          (error: ApiError) => setUsage((now) => ({ ...now, [customer.id]: { problem: error.message } })),
        );
      }
    }, (error: ApiError) => setProblem(error.message));
  }, []);

  if (problem) return <div className="banner error" role="alert"><p>{problem}</p></div>;
  if (!customers) return <p className="loading" role="status">Loading…</p>;
  return (
    <section>
      <h1>Customers</h1>
      {customers.length === 0 ? (
        <Empty title="No customers yet">
          <p>Customers sign up through your storefront: <Link href="/storefront">set it up</Link>, then share its address.</p>
        </Empty>
      ) : (
        <>
          <p className="muted">{total > customers.length ? `The first ${customers.length} of ${total} customers.` : `${total} customer${total === 1 ? '' : 's'}.`} Cost to date is this month&apos;s invoice so far.</p>
          <div className="table-wrap">
            <table className="list">
              <thead><tr><th scope="col">Customer</th><th scope="col">Status</th><th scope="col">Since</th><th scope="col" className="price">Cost to date</th></tr></thead>
              <tbody>
                {customers.map((customer) => {
                  const used = usage[customer.id];
                  return (
                    <tr key={customer.id}>
                      <td><span className="instance-name">{customer.name}</span>{customer.email ? <><br /><span className="muted">{customer.email}</span></> : null}</td>
                      <td>{customer.status}</td>
                      <td>{customer.createdAt.slice(0, 10)}</td>
                      <td className="price">{!used ? '…' : 'problem' in used ? <span className="field-error">{used.problem}</span> : <>{used.total}<br /><span className="muted">{used.lines} line{used.lines === 1 ? '' : 's'}</span></>}</td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        </>
      )}
    </section>
  );
}
