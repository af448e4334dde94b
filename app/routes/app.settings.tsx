// Fulfilment settings: when keys are assigned, what a cancellation or refund does to them, where
// reports and alerts are emailed, and the low-stock thresholds of the tags products draw from.
import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json } from "@remix-run/node";
import { useLoaderData } from "@remix-run/react";
import { requireAdmin } from "~/admin.server";
import { readForm } from "~/request-body.server";
import { SettingsPage, type SettingsActionResult } from "~/components/SettingsPage";
import { fieldErrors } from "~/lib/forms";
import { settingsSchema } from "~/lib/settings";
import { thresholdSchema } from "~/lib/stock";
import { LibraryError } from "~/lib/library";
import { UNTAGGED_TAG } from "~/lib/tags";
import { getSettings, setLowStockThresholds, updateDeliverySettings, updateSettings } from "~/models/settings.server";
import { deliverySettingsSchema } from "~/lib/delivery-email";
import { isMailConfigured, reportAddress } from "~/models/mailer.server";
import { sendTestDeliveryEmail } from "~/models/fulfilment/key-delivery.server";
import type { SettingsPageProps } from "~/components/SettingsPage";
import { emailField, parseId } from "~/lib/input";

export const meta: MetaFunction = () => [{ title: "Settings · Keyshelf" }];

export async function loader({ request }: LoaderFunctionArgs) {
  const { shop } = await requireAdmin(request);
  const settings = await getSettings({ shopId: shop.id });
  return json({
    assignTrigger: settings.assignTrigger,
    cancelPolicy: settings.cancelPolicy,
    reportEmail: settings.reportEmail,
    email: settings.email,
    tags: settings.tags.map((tag) => ({ ...tag, name: tag.kind === "UNTAGGED" ? UNTAGGED_TAG : tag.name })),
    delivery: {
      shopName: settings.name,
      mailConfigured: isMailConfigured(),
      deliveryEmailEnabled: settings.deliveryEmailEnabled,
      deliveryMode: settings.deliveryMode,
      deliverySenderName: settings.deliverySenderName,
      deliveryReplyTo: settings.deliveryReplyTo,
      deliverySubject: settings.deliverySubject,
      deliveryBody: settings.deliveryBody,
      deliveryLocale: settings.deliveryLocale,
      guestResendAllowed: settings.guestResendAllowed,
      testAddress: reportAddress(settings),
    },
  } satisfies SettingsPageProps);
}


export async function action({ request }: ActionFunctionArgs) {
  const { shop, actor } = await requireAdmin(request);
  const form = await readForm(request);
  const intent = String(form.get("intent") ?? "");
  try {
    switch (intent) {
      case "settings": {
        const parsed = settingsSchema.safeParse({
          assignTrigger: form.get("assignTrigger"),
          cancelPolicy: form.get("cancelPolicy"),
          reportEmail: form.get("reportEmail") ?? "",
        });
        if (!parsed.success)
          return json<SettingsActionResult>({ ok: false, intent, errors: fieldErrors(parsed.error) }, { status: 422 });
        await updateSettings({ shopId: shop.id, actor, input: parsed.data });
        return json<SettingsActionResult>({ ok: true, intent, message: "Settings saved" });
      }
      case "delivery": {
        const parsed = deliverySettingsSchema.safeParse({
          deliveryEmailEnabled: form.get("deliveryEmailEnabled") === "true",
          deliveryMode: form.get("deliveryMode"),
          deliverySenderName: form.get("deliverySenderName") ?? "",
          deliveryReplyTo: form.get("deliveryReplyTo") ?? "",
          deliverySubject: form.get("deliverySubject") ?? "",
          deliveryBody: form.get("deliveryBody") ?? "",
          deliveryLocale: form.get("deliveryLocale"),
          guestResendAllowed: form.get("guestResendAllowed") === "true",
        });
        if (!parsed.success)
          return json<SettingsActionResult>({ ok: false, intent, errors: fieldErrors(parsed.error) }, { status: 422 });
        await updateDeliverySettings({ shopId: shop.id, actor, input: parsed.data });
        return json<SettingsActionResult>({ ok: true, intent, message: "Delivery email saved" });
      }
      case "delivery-test": {
        const to = emailField.safeParse(form.get("testTo") ?? "");
        if (!to.success)
          return json<SettingsActionResult>(
            { ok: false, intent, errors: { testTo: to.error.issues[0].message } },
            { status: 422 },
          );
        const queued = await sendTestDeliveryEmail({ shopId: shop.id, actor, to: to.data });
        return json<SettingsActionResult>({
          ok: true,
          intent,
          message: isMailConfigured() ? `Test email queued for ${queued.to}` : `Test email queued for ${queued.to}; it is sent once SMTP is set up`,
        });
      }
      case "thresholds": {
        // Fields "threshold:<tagId>": a number, or empty for no threshold.
        const thresholds: Array<{ tagId: number; threshold: number | null }> = [];
        const errors: Record<string, string> = {};
        for (const [name, value] of form.entries()) {
          const match = /^threshold:(.+)$/.exec(name);
          if (!match) continue;
          const tagId = parseId(match[1]);
          if (tagId === null) throw new LibraryError("This tag no longer exists.", 404);
          const threshold = thresholdSchema.safeParse(String(value));
          if (threshold.success) thresholds.push({ tagId, threshold: threshold.data });
          else errors[name] = threshold.error.issues[0].message;
        }
        if (Object.keys(errors).length)
          return json<SettingsActionResult>({ ok: false, intent, errors }, { status: 422 });
        await setLowStockThresholds({ shopId: shop.id, actor, thresholds });
        return json<SettingsActionResult>({ ok: true, intent, message: "Thresholds saved" });
      }
      default:
        return json<SettingsActionResult>({ ok: false, intent, errors: { form: "Unknown action." } }, { status: 400 });
    }
  } catch (error) {
    if (error instanceof LibraryError) {
      return json<SettingsActionResult>(
        { ok: false, intent, errors: { form: error.message } },
        { status: error.status },
      );
    }
    throw error;
  }
}

export default function Settings() {
  const data = useLoaderData<typeof loader>();
  return <SettingsPage {...data} />;
}
