// Stand-ins for the Polaris web components the licence key block uses, so the real extension code
// renders in a plain browser (the demo's customer view) and in component tests. Shopify renders
// these natively; here each is a small custom element with the same attributes and events.
// They set text with textContent only: nothing an extension passes is ever parsed as markup.

type Tone = "info" | "success" | "warning" | "critical" | "neutral" | "auto" | string;

const TONE_COLOURS: Record<string, { border: string; background: string; text: string }> = {
  info: { border: "#5c6ac4", background: "#eef1fd", text: "#1f2a6e" },
  success: { border: "#2e7d4f", background: "#e7f5ec", text: "#173d27" },
  warning: { border: "#b98900", background: "#fff5d6", text: "#4d3900" },
  critical: { border: "#c5280c", background: "#fdecea", text: "#6e1206" },
};

const GAP: Record<string, string> = {
  none: "0",
  "small-500": "2px",
  "small-400": "4px",
  "small-300": "6px",
  "small-200": "8px",
  "small-100": "10px",
  small: "12px",
  base: "16px",
  large: "20px",
  "large-100": "24px",
  "large-200": "32px",
};

function gapOf(value: string | null) {
  return GAP[value ?? "none"] ?? "0";
}

abstract class StandIn extends HTMLElement {
  protected readonly root: ShadowRoot;

  constructor() {
    super();
    this.root = this.attachShadow({ mode: "open" });
  }

  connectedCallback() {
    this.update();
  }

  attributeChangedCallback() {
    if (this.isConnected) this.update();
  }

  protected abstract update(): void;

  protected styled(css: string, ...children: Node[]) {
    const style = document.createElement("style");
    style.textContent = css;
    this.root.replaceChildren(style, ...children);
  }
}

class SSection extends StandIn {
  static observedAttributes = ["heading"];
  protected update() {
    const section = document.createElement("section");
    const heading = this.getAttribute("heading");
    if (heading) {
      const h2 = document.createElement("h2");
      h2.textContent = heading;
      section.append(h2);
    }
    section.append(document.createElement("slot"));
    this.styled(
      `:host{display:block} section{border:1px solid #e3e3e3;border-radius:12px;padding:20px;background:#fff}
       h2{font-size:17px;margin:0 0 14px;font-weight:600}`,
      section,
    );
  }
}

class SStack extends StandIn {
  static observedAttributes = ["direction", "gap", "alignitems", "justifycontent"];
  protected update() {
    const inline = this.getAttribute("direction") === "inline";
    const align = this.getAttribute("alignitems") ?? (inline ? "center" : "stretch");
    const justify = this.getAttribute("justifycontent") ?? "flex-start";
    this.styled(
      `:host{display:flex;flex-direction:${inline ? "row" : "column"};gap:${gapOf(this.getAttribute("gap"))};
        align-items:${align};justify-content:${justify};flex-wrap:${inline ? "wrap" : "nowrap"}}`,
      document.createElement("slot"),
    );
  }
}

class SText extends StandIn {
  static observedAttributes = ["type", "color", "tone"];
  protected update() {
    const type = this.getAttribute("type");
    const colour =
      this.getAttribute("tone") === "critical"
        ? "#c5280c"
        : this.getAttribute("color") === "subdued"
          ? "#616161"
          : "inherit";
    this.styled(
      `:host{display:inline;color:${colour};${type === "strong" ? "font-weight:600;" : ""}
        ${type === "strong" ? "font-family:ui-monospace,SFMono-Regular,Menlo,monospace;word-break:break-all;" : ""}}`,
      document.createElement("slot"),
    );
  }
}

class SBanner extends StandIn {
  static observedAttributes = ["heading", "tone"];
  protected update() {
    const tone: Tone = this.getAttribute("tone") ?? "info";
    const colours = TONE_COLOURS[tone] ?? TONE_COLOURS.info;
    const box = document.createElement("div");
    box.setAttribute("role", tone === "critical" ? "alert" : "status");
    const heading = this.getAttribute("heading");
    if (heading) {
      const strong = document.createElement("strong");
      strong.textContent = heading;
      box.append(strong);
    }
    box.append(document.createElement("slot"));
    this.styled(
      `:host{display:block} div{display:flex;flex-direction:column;gap:8px;border-left:4px solid ${colours.border};
        background:${colours.background};color:${colours.text};border-radius:8px;padding:12px 14px}`,
      box,
    );
  }
}

class SSpinner extends StandIn {
  static observedAttributes = ["accessibilitylabel"];
  protected update() {
    const spinner = document.createElement("span");
    spinner.setAttribute("role", "progressbar");
    spinner.setAttribute("aria-label", this.getAttribute("accessibilitylabel") ?? "Loading");
    this.styled(
      `:host{display:inline-block} span{display:inline-block;width:16px;height:16px;border-radius:50%;
        border:2px solid #c9cccf;border-top-color:#303030;animation:spin .8s linear infinite}
       @keyframes spin{to{transform:rotate(360deg)}}`,
      spinner,
    );
  }
}

class SButton extends StandIn {
  static observedAttributes = ["accessibilitylabel", "variant", "disabled"];
  constructor() {
    super();
    // `commandFor` names another element to act on, as the real component does (clipboard items).
    this.addEventListener("click", () => {
      const targetId = this.getAttribute("commandfor");
      if (!targetId) return;
      const target = (this.getRootNode() as Document | ShadowRoot).getElementById(targetId);
      if (target instanceof SClipboardItem) void target.copy();
    });
  }
  protected update() {
    const button = document.createElement("button");
    button.type = "button";
    const label = this.getAttribute("accessibilitylabel");
    if (label) button.setAttribute("aria-label", label);
    button.disabled = this.hasAttribute("disabled");
    button.append(document.createElement("slot"));
    const primary = this.getAttribute("variant") === "primary";
    this.styled(
      `:host{display:inline-block} button{font:inherit;font-weight:600;cursor:pointer;border-radius:8px;padding:6px 14px;
        border:1px solid ${primary ? "#303030" : "#c9cccf"};background:${primary ? "#303030" : "#fff"};
        color:${primary ? "#fff" : "#303030"}} button:hover{background:${primary ? "#1a1a1a" : "#f3f3f3"}}`,
      button,
    );
  }
}

class SClipboardItem extends StandIn {
  static observedAttributes = ["text"];
  #text = "";
  // Declared so that Preact binds onCopy / onCopyError to the lower-case "copy" / "copyerror" events.
  oncopyerror: ((event: Event) => void) | null = null;

  get text() {
    return this.#text || (this.getAttribute("text") ?? "");
  }
  set text(value: string) {
    this.#text = value;
  }

  protected update() {
    this.hidden = true;
  }

  async copy() {
    try {
      await navigator.clipboard.writeText(this.text);
      this.dispatchEvent(new Event("copy"));
    } catch {
      this.dispatchEvent(new Event("copyerror"));
    }
  }
}

const ELEMENTS: Record<string, CustomElementConstructor> = {
  "s-section": SSection,
  "s-stack": SStack,
  "s-text": SText,
  "s-banner": SBanner,
  "s-spinner": SSpinner,
  "s-button": SButton,
  "s-clipboard-item": SClipboardItem,
};

/** Registers the stand-ins once per window. */
export function installPolarisStandIns(registry: CustomElementRegistry = customElements) {
  for (const [name, element] of Object.entries(ELEMENTS)) {
    if (!registry.get(name)) registry.define(name, element);
  }
}
