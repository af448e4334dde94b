// The delivery email's content: the merchant's subject and body templates (or the default ones, in
// the customer's language) filled with the order's details and keys, as plain text and as HTML.
// Pure and isomorphic: the server renders what it sends, Settings renders the same thing as its live
// preview.
//
// Templates know four placeholders and nothing else: {{shop_name}}, {{order_name}},
// {{customer_first_name}} and {{keys}} (the keys grouped by product, or in link mode the link to
// them). Values are text, never markup: the HTML part is built by React, which escapes every value,
// so a product title or a customer's name cannot inject anything.
import type { ReactNode } from "react";
import { z } from "zod";
import { emailField, isPlainText } from "./input";

export const PLACEHOLDERS = ["shop_name", "order_name", "customer_first_name", "keys"] as const;
export type Placeholder = (typeof PLACEHOLDERS)[number];

export const DELIVERY_LOCALES = ["en", "de"] as const;
export type DeliveryLocale = (typeof DELIVERY_LOCALES)[number];

export const DELIVERY_LOCALE_LABELS: Record<DeliveryLocale, string> = { en: "English", de: "Deutsch" };

export const DELIVERY_MODE_LABELS = {
  KEYS: "Send the keys in the email",
  LINK: "Send a link to view the keys",
} as const;
export type DeliveryMode = keyof typeof DELIVERY_MODE_LABELS;

/** What the rule means for a key's status, said the same way in Settings, the key's history and the README. */
export const DELIVERY_MODE_RULES: Record<DeliveryMode, string> = {
  KEYS: "Sending the email counts as the customer seeing the keys: they become Used and can no longer return to the pool on a cancellation or refund.",
  LINK: "The keys stay Assigned until the customer opens the link (or the order status page), so a cancellation can still return them unseen.",
};

interface Strings {
  subject: string;
  body: string;
  productFallback: string;
  viewKeys: string;
  linkIntro: string;
  testNotice: string;
}

const STRINGS: Record<DeliveryLocale, Strings> = {
  en: {
    subject: "Your licence keys for order {{order_name}}",
    body: [
      "Hi {{customer_first_name}},",
      "Thank you for your order {{order_name}}. Here are your licence keys:",
      "{{keys}}",
      "Keep this email: you need the keys to activate your software. They are also on your order's status page.",
      "{{shop_name}}",
    ].join("\n\n"),
    productFallback: "Your purchase",
    viewKeys: "View your licence keys",
    linkIntro: "Open this link to see your licence keys:",
    testNotice: "This is a test email from Keyshelf with example keys. Your customers receive it like this.",
  },
  de: {
    subject: "Ihre Lizenzschlüssel für Bestellung {{order_name}}",
    body: [
      "Hallo {{customer_first_name}},",
      "vielen Dank für Ihre Bestellung {{order_name}}. Hier sind Ihre Lizenzschlüssel:",
      "{{keys}}",
      "Bewahren Sie diese E-Mail auf: Sie brauchen die Schlüssel, um Ihre Software zu aktivieren. Sie finden sie auch auf der Statusseite Ihrer Bestellung.",
      "{{shop_name}}",
    ].join("\n\n"),
    productFallback: "Ihr Kauf",
    viewKeys: "Lizenzschlüssel ansehen",
    linkIntro: "Öffnen Sie diesen Link, um Ihre Lizenzschlüssel zu sehen:",
    testNotice: "Dies ist eine Test-E-Mail von Keyshelf mit Beispielschlüsseln. Ihre Kunden erhalten sie so.",
  },
};

/** The customer's language if there is a translation ("de-AT" -> "de"), else the shop's. */
export function deliveryLocale(customerLocale: string | null | undefined, shopLocale: string): DeliveryLocale {
  const language = (customerLocale ?? "").toLowerCase().split(/[-_]/)[0];
  if ((DELIVERY_LOCALES as readonly string[]).includes(language)) return language as DeliveryLocale;
  return (DELIVERY_LOCALES as readonly string[]).includes(shopLocale) ? (shopLocale as DeliveryLocale) : "en";
}

export function defaultTemplates(locale: DeliveryLocale) {
  return { subject: STRINGS[locale].subject, body: STRINGS[locale].body };
}

// ---------------------------------------------------------------------------------------------
// Templates

type Segment = { text: string } | { placeholder: Placeholder };

const PLACEHOLDER = /\{\{\s*([a-z_]+)\s*\}\}/g;

/** The template's text and placeholders; unknown placeholders are reported, not guessed. */
export function parseTemplate(template: string): { segments: Segment[]; unknown: string[] } {
  const segments: Segment[] = [];
  const unknown: string[] = [];
  let last = 0;
  for (const match of template.matchAll(PLACEHOLDER)) {
    const name = match[1];
    if (match.index > last) segments.push({ text: template.slice(last, match.index) });
    if ((PLACEHOLDERS as readonly string[]).includes(name)) segments.push({ placeholder: name as Placeholder });
    else {
      unknown.push(name);
      segments.push({ text: match[0] });
    }
    last = match.index + match[0].length;
  }
  if (last < template.length) segments.push({ text: template.slice(last) });
  return { segments, unknown };
}

function placeholderProblem(template: string) {
  const { unknown } = parseTemplate(template);
  if (unknown.length === 0) return null;
  return `Unknown placeholder ${unknown.map((name) => `{{${name}}}`).join(", ")}. Use ${PLACEHOLDERS.map((p) => `{{${p}}}`).join(", ")}.`;
}

const templateText = (max: number) =>
  z
    .string()
    .max(max, `Keep it under ${max} characters.`)
    .refine(isPlainText, "Remove the control characters.");

export const deliverySettingsSchema = z
  .object({
    deliveryEmailEnabled: z.boolean(),
    deliveryMode: z.enum(["KEYS", "LINK"], { errorMap: () => ({ message: "Choose what the email carries." }) }),
    deliverySenderName: templateText(100)
      .transform((value) => value.trim())
      .refine((value) => !/[\r\n<>"]/.test(value), "Use a plain name, without quotes or angle brackets."),
    deliveryReplyTo: emailField,
    deliverySubject: templateText(200)
      .transform((value) => value.trim())
      .refine((value) => !/[\r\n]/.test(value), "A subject is one line.")
      .superRefine((value, context) => {
        const problem = placeholderProblem(value);
        if (problem) context.addIssue({ code: "custom", message: problem });
      }),
    deliveryBody: templateText(5000).superRefine((value, context) => {
      const problem = placeholderProblem(value);
      if (problem) context.addIssue({ code: "custom", message: problem });
      else if (value.trim() && !parseTemplate(value).segments.some((s) => "placeholder" in s && s.placeholder === "keys"))
        context.addIssue({ code: "custom", message: "Put {{keys}} where the licence keys go." });
    }),
    deliveryLocale: z.enum(DELIVERY_LOCALES, { errorMap: () => ({ message: "Choose a language." }) }),
    guestResendAllowed: z.boolean(),
  })
  // An empty subject or body means "the default, in the customer's language".
  .transform((input) => ({
    ...input,
    deliverySubject: input.deliverySubject === "" ? null : input.deliverySubject,
    deliveryBody: input.deliveryBody.trim() === "" ? null : input.deliveryBody,
  }));

export type DeliverySettingsInput = z.output<typeof deliverySettingsSchema>;

// ---------------------------------------------------------------------------------------------
// Rendering

export interface DeliveredKey {
  value: string;
  /** The order line's title (product and variant). */
  product: string;
}

export interface DeliveryContent {
  locale: DeliveryLocale;
  shopName: string;
  orderName: string;
  customerFirstName: string | null;
  mode: DeliveryMode;
  keys: DeliveredKey[];
  /** LINK mode: where the customer sees the keys. */
  viewUrl?: string | null;
  subjectTemplate: string | null;
  bodyTemplate: string | null;
  test?: boolean;
}

/** Keys grouped by product (and variant), in the order they came. */
export function groupKeys(keys: DeliveredKey[], fallback: string) {
  const groups: Array<{ product: string; keys: string[] }> = [];
  for (const key of keys) {
    const product = key.product.trim() || fallback;
    const group = groups.find((g) => g.product === product);
    if (group) group.keys.push(key.value);
    else groups.push({ product, keys: [key.value] });
  }
  return groups;
}

function values(content: DeliveryContent): Record<Exclude<Placeholder, "keys">, string> {
  return {
    shop_name: content.shopName,
    order_name: content.orderName,
    customer_first_name: content.customerFirstName?.trim() ?? "",
  };
}

/**
 * Fills text segments: an empty value also takes the space before it ("Hi {{customer_first_name}},"
 * becomes "Hi," for a customer without a name).
 */
function fill(segments: Segment[], content: DeliveryContent, keys: (index: number) => string) {
  const known = values(content);
  let out = "";
  segments.forEach((segment, index) => {
    if ("text" in segment) out += segment.text;
    else if (segment.placeholder === "keys") out += keys(index);
    else {
      const value = known[segment.placeholder];
      if (value === "") out = out.replace(/[ \t]+$/, "");
      out += value;
    }
  });
  return out;
}

export function renderSubject(content: DeliveryContent) {
  const template = content.subjectTemplate ?? STRINGS[content.locale].subject;
  const subject = fill(parseTemplate(template).segments, content, () => "").replace(/\s+/g, " ").trim();
  return content.test ? `[Test] ${subject}` : subject;
}

export function renderText(content: DeliveryContent) {
  const strings = STRINGS[content.locale];
  const template = content.bodyTemplate ?? strings.body;
  const keyBlock =
    content.mode === "LINK"
      ? `${strings.linkIntro}\n${content.viewUrl ?? ""}`
      : groupKeys(content.keys, strings.productFallback)
          .map((group) => [group.product, ...group.keys.map((key) => `  ${key}`)].join("\n"))
          .join("\n\n");
  const body = fill(parseTemplate(template).segments, content, () => keyBlock);
  return content.test ? `${strings.testNotice}\n\n${body}` : body;
}

const styles = {
  body: { margin: 0, padding: "24px", background: "#f6f6f7", fontFamily: "-apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif", color: "#303030", fontSize: "15px", lineHeight: 1.5 },
  card: { maxWidth: "560px", margin: "0 auto", background: "#ffffff", borderRadius: "12px", padding: "28px" },
  notice: { background: "#fff5ea", borderRadius: "8px", padding: "10px 14px", margin: "0 0 16px" },
  product: { fontWeight: 600, margin: "16px 0 6px" },
  key: { fontFamily: "SFMono-Regular, Consolas, 'Liberation Mono', Menlo, monospace", fontSize: "16px", background: "#f1f1f1", borderRadius: "6px", padding: "8px 12px", margin: "0 0 6px", wordBreak: "break-all" as const, userSelect: "all" as const },
  button: { display: "inline-block", background: "#303030", color: "#ffffff", textDecoration: "none", borderRadius: "8px", padding: "10px 18px", fontWeight: 600 },
};

function KeyBlock({ content }: { content: DeliveryContent }) {
  const strings = STRINGS[content.locale];
  if (content.mode === "LINK") {
    return (
      <p>
        <a href={content.viewUrl ?? "#"} style={styles.button}>
          {strings.viewKeys}
        </a>
      </p>
    );
  }
  return (
    <div>
      {groupKeys(content.keys, strings.productFallback).map((group) => (
        <div key={group.product}>
          <p style={styles.product}>{group.product}</p>
          {group.keys.map((key, index) => (
            <p key={`${index}:${key}`} style={styles.key}>
              {key}
            </p>
          ))}
        </div>
      ))}
    </div>
  );
}

/** The body as React elements: paragraphs from blank-line-separated text, line breaks kept. */
export function DeliveryEmailBody({ content }: { content: DeliveryContent }) {
  const strings = STRINGS[content.locale];
  const template = content.bodyTemplate ?? strings.body;
  const marker = "\u0000keys\u0000";
  const text = fill(parseTemplate(template).segments, content, () => marker);
  const blocks: ReactNode[] = [];
  text.split(/\n\s*\n/).forEach((paragraph, p) => {
    paragraph.split(marker).forEach((part, i, parts) => {
      if (part.trim()) {
        const lines = part.trim().split("\n");
        blocks.push(
          <p key={`${p}.${i}`} style={{ margin: "0 0 14px" }}>
            {lines.map((line, l) => (
              <span key={l}>
                {l > 0 && <br />}
                {line}
              </span>
            ))}
          </p>,
        );
      }
      if (i < parts.length - 1) blocks.push(<KeyBlock key={`${p}.${i}.keys`} content={content} />);
    });
  });
  return (
    <div style={styles.card}>
      {content.test && <p style={styles.notice}>{strings.testNotice}</p>}
      {blocks}
    </div>
  );
}

/** The whole HTML document around the body (the server renders it with renderToStaticMarkup). */
export function DeliveryEmailDocument({ content }: { content: DeliveryContent }) {
  return (
    <html lang={content.locale}>
      <head>
        <meta charSet="utf-8" />
        <meta name="viewport" content="width=device-width" />
        <title>{renderSubject(content)}</title>
      </head>
      <body style={styles.body}>
        <DeliveryEmailBody content={content} />
      </body>
    </html>
  );
}

/** Example keys for the preview and the test email. */
function sampleKeys(locale: DeliveryLocale): DeliveredKey[] {
  const product = locale === "de" ? "Pro-Lizenz - 1 Jahr" : "Pro licence - 1 year";
  return [
    { value: "K7Q2M-9XD4F-R8T6P-3WZ5N", product },
    { value: "H4V8B-2LC6J-T9Y3G-7QS1K", product },
    { value: "A1B2C-D3E4F-G5H6J-K7L8M", product: locale === "de" ? "Einzelplatz-Add-on" : "Single-seat add-on" },
  ];
}

/** An example order (#1001, example keys) in the shop's template: Settings' preview and test email. */
export function sampleContent(
  content: Pick<DeliveryContent, "locale" | "shopName" | "mode" | "viewUrl" | "subjectTemplate" | "bodyTemplate" | "test">,
): DeliveryContent {
  return {
    ...content,
    orderName: "#1001",
    customerFirstName: content.locale === "de" ? "Erika" : "Alex",
    keys: sampleKeys(content.locale),
  };
}
