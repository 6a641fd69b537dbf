// A tiny integrator's use of the types openapi-typescript generates from
// openapi.json (into schema.d.ts, beside this file in a temp dir);
// TestTypeScriptTypes type-checks it with tsc --strict.
import type { components, paths } from "./schema";

type Order = components["schemas"]["Order"];
// The document does not mark request bodies required, so the generated
// requestBody is optional.
type CreateOrderBody = NonNullable<
  paths["/api/v1/orders"]["post"]["requestBody"]
>["content"]["application/json"];
type CreatedOrder =
  paths["/api/v1/orders"]["post"]["responses"]["201"]["content"]["application/json"];
type Problem =
  paths["/api/v1/orders/{id}"]["get"]["responses"]["404"]["content"]["application/problem+json"];

export const body: CreateOrderBody = {
  customer_name: "Ada Lovelace",
  customer_email: "ada@example.com",
  currency: "EUR",
  items: [{ name: "Widget", quantity: 2, unit_price: 1250 }],
};

export async function createOrder(base: string, key: string): Promise<Order> {
  const res = await fetch(`${base}/api/v1/orders`, {
    method: "POST",
    headers: { Authorization: `Bearer ${key}`, "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  if (!res.ok) {
    const p = (await res.json()) as Problem;
    throw new Error(`${p.title}: ${p.detail ?? ""}`);
  }
  const created = (await res.json()) as CreatedOrder;
  const order: Order = created;
  const total: number = order.total;
  const status: "pending" | "processing" | "shipped" | "delivered" | "cancelled" = order.status;
  console.log(order.number, total, status);
  return order;
}
