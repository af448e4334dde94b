// The subset of Shopify's extension i18n the blocks use: nested keys, {{placeholders}} and plural
// forms chosen by `count` (Intl.PluralRules), read from the same locales/*.json files. Extensions
// get this from `shopify.i18n.translate`; the demo and the tests use this stand-in.
export type Translate = (key: string, options?: Record<string, string | number>) => string;

export type Messages = { [key: string]: string | Messages };

export function createTranslate(messages: Messages, locale: string): Translate {
  const plurals = new Intl.PluralRules(locale);
  return (key, options = {}) => {
    let node: string | Messages | undefined = messages;
    for (const part of key.split(".")) {
      node = typeof node === "object" ? node[part] : undefined;
    }
    if (node && typeof node === "object" && typeof options.count === "number") {
      const forms: Messages = node;
      node = forms[plurals.select(options.count)] ?? forms.other;
    }
    if (typeof node !== "string") return key;
    return node.replace(/\{\{\s*(\w+)\s*\}\}/g, (whole, name: string) =>
      name in options ? String(options[name]) : whole,
    );
  };
}
