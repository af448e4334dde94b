// One order's licence keys, and the merchant's actions on each: replace, return to pool, revoke.
import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json } from "@remix-run/node";
import { useLoaderData } from "@remix-run/react";
import { z } from "zod";
import { requireAdmin } from "~/admin.server";
import { readForm } from "~/request-body.server";
import { OrderDetailPage, type OrderKeyActionResult } from "~/components/OrderDetailPage";
import { KEY_ACTIONS } from "~/lib/orders";
import { LibraryError } from "~/lib/library";
import { changeOrderKey } from "~/models/order-keys.server";
import { getOrderDetail } from "~/models/orders.server";
import { listOrderDeliveries, resendKeys } from "~/models/fulfilment/key-delivery.server";
import { isMailConfigured } from "~/models/mailer.server";
import { emailField } from "~/lib/input";
import { requireId } from "~/lib/input";

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  { title: `${data?.order.name ?? "Order"} · Orders · Keyshelf` },
];

export async function loader({ request, params }: LoaderFunctionArgs) {
  const { shop } = await requireAdmin(request);
  const orderId = requireId(params.orderId);
  try {
    const order = await getOrderDetail({ shopId: shop.id, orderId });
    const deliveries = await listOrderDeliveries({ shopId: shop.id, orderId });
    return json({
      order,
      deliveries,
      delivery: { enabled: shop.deliveryEmailEnabled, mode: shop.deliveryMode, mailConfigured: isMailConfigured() },
      timeZone: shop.ianaTimezone,
    });
  } catch (error) {
    if (error instanceof LibraryError && error.status === 404) throw new Response(error.message, { status: 404 });
    throw error;
  }
}

export async function action({ request, params }: ActionFunctionArgs) {
  const { shop, actor } = await requireAdmin(request);
  const orderId = requireId(params.orderId);
  const form = await readForm(request);
  const intent = String(form.get("intent") ?? "");
  if (intent === "resend") {
    const to = emailField.safeParse(form.get("to") ?? "");
    if (!to.success) return json<OrderKeyActionResult>({ ok: false, error: to.error.issues[0].message, field: "to" }, { status: 422 });
    try {
      const queued = await resendKeys({ shopId: shop.id, orderId, to: to.data, actor });
      return json<OrderKeyActionResult>({ ok: true, message: `Keys email queued for ${queued.to}` });
    } catch (error) {
      if (error instanceof LibraryError)
        return json<OrderKeyActionResult>({ ok: false, error: error.message, field: "to" }, { status: error.status });
      throw error;
    }
  }
  const action = z.enum(KEY_ACTIONS).safeParse(intent);
  if (!action.success) return json<OrderKeyActionResult>({ ok: false, error: "Unknown action." }, { status: 400 });
  try {
    const result = await changeOrderKey({
      shopId: shop.id,
      orderId,
      keyId: requireId(form.get("keyId")),
      action: action.data,
      actor,
    });
    return json<OrderKeyActionResult>({ ok: true, message: result.message });
  } catch (error) {
    if (error instanceof LibraryError)
      return json<OrderKeyActionResult>({ ok: false, error: error.message }, { status: error.status });
    throw error;
  }
}

export default function OrderDetail() {
  const { order, deliveries, delivery, timeZone } = useLoaderData<typeof loader>();
  return <OrderDetailPage order={order} deliveries={deliveries} delivery={delivery} timeZone={timeZone} />;
}
