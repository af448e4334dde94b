// The page behind the delivery email's link (link mode): the order's licence keys, shown after the
// customer presses the button (a scanner following links in the email does not count as the customer
// seeing them). Rendered on the server into a plain page: no script, no session, nothing cached.
import { groupKeys, type DeliveredKey, type DeliveryLocale } from "~/lib/delivery-email";

const STRINGS = {
  en: {
    title: "Your licence keys",
    order: (order: string, shop: string) => `Order ${order} from ${shop}`,
    show: "Show my licence keys",
    showHelp: "Keep them somewhere safe: you need them to activate your software.",
    none: "This order holds no licence keys right now. If you think this is a mistake, reply to the email you received.",
    product: "Your purchase",
    invalid: "This link is not valid. Use the link in your most recent email, or open your order's status page.",
  },
  de: {
    title: "Ihre Lizenzschlüssel",
    order: (order: string, shop: string) => `Bestellung ${order} bei ${shop}`,
    show: "Meine Lizenzschlüssel anzeigen",
    showHelp: "Bewahren Sie sie sicher auf: Sie brauchen sie, um Ihre Software zu aktivieren.",
    none: "Zu dieser Bestellung gehören gerade keine Lizenzschlüssel. Wenn das ein Fehler ist, antworten Sie auf die E-Mail, die Sie erhalten haben.",
    product: "Ihr Kauf",
    invalid: "Dieser Link ist nicht gültig. Nutzen Sie den Link aus Ihrer neuesten E-Mail oder die Statusseite Ihrer Bestellung.",
  },
} as const;

const CSS = `
body{margin:0;background:#f6f6f7;color:#303030;font:15px/1.5 -apple-system,BlinkMacSystemFont,"Segoe UI",Roboto,Helvetica,Arial,sans-serif}
main{max-width:560px;margin:40px auto;padding:28px;background:#fff;border-radius:12px;box-shadow:0 1px 2px rgba(0,0,0,.08)}
h1{font-size:22px;margin:0 0 4px}
.sub{color:#616161;margin:0 0 20px}
.product{font-weight:600;margin:18px 0 6px}
.key{font:16px SFMono-Regular,Consolas,"Liberation Mono",Menlo,monospace;background:#f1f1f1;border-radius:6px;padding:8px 12px;margin:0 0 6px;word-break:break-all;user-select:all}
button{font:inherit;font-weight:600;background:#303030;color:#fff;border:0;border-radius:8px;padding:10px 18px;cursor:pointer}
@media (max-width:600px){main{margin:0;border-radius:0;min-height:100vh}}`;

export interface DeliveredKeysPageProps {
  locale: DeliveryLocale;
  shopName: string;
  orderName: string;
  /** Null before the customer pressed the button. */
  keys: DeliveredKey[] | null;
  invalid?: boolean;
}

export function DeliveredKeysPage({ locale, shopName, orderName, keys, invalid = false }: DeliveredKeysPageProps) {
  const t = STRINGS[locale];
  return (
    <html lang={locale}>
      <head>
        <meta charSet="utf-8" />
        <meta name="viewport" content="width=device-width,initial-scale=1" />
        <meta name="robots" content="noindex" />
        <title>{t.title}</title>
        <style>{CSS}</style>
      </head>
      <body>
        <main>
          <h1>{t.title}</h1>
          {invalid ? (
            <p>{t.invalid}</p>
          ) : (
            <>
              <p className="sub">{t.order(orderName, shopName)}</p>
              {keys === null ? (
                <form method="post">
                  <p>{t.showHelp}</p>
                  <button type="submit">{t.show}</button>
                </form>
              ) : keys.length === 0 ? (
                <p>{t.none}</p>
              ) : (
                groupKeys(keys, t.product).map((group) => (
                  <section key={group.product}>
                    <p className="product">{group.product}</p>
                    {group.keys.map((key, index) => (
                      <p className="key" key={`${index}:${key}`}>
                        {key}
                      </p>
                    ))}
                  </section>
                ))
              )}
            </>
          )}
        </main>
      </body>
    </html>
  );
}
