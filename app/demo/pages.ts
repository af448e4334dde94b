// Extra pages of the demo (mail catcher, customer view, ...), listed in the admin frame's sidebar
// under "Demo" and mounted on the demo server. Add one with a single line in DEMO_PAGES, e.g.
//   { path: "/demo/mail", label: "Mail", description: "Messages the app sent", mount: mountMailPage },
import type { Router } from "express";
import { mountCustomerView } from "./customer-view/page";
import { mailPage } from "./mail-catcher";

export interface DemoContext {
  /** The demo's base URL, e.g. http://localhost:3000 (known once the server listens). */
  readonly url: string;
  shop: string;
  apiKey: string;
  apiSecret: string;
}

export interface DemoPage {
  path: string;
  label: string;
  description: string;
  /** Registers the page's routes (and any JSON endpoints it needs) on the demo server. */
  mount?: (router: Router, context: DemoContext) => void;
}

export const DEMO_PAGES: DemoPage[] = [
  {
    path: "/demo/customer",
    label: "Customer view",
    description: "A demo order as its customer sees it: the order status and thank-you page extensions",
    mount: mountCustomerView,
  },
  mailPage,
];
