// App Bridge stand-in for the offline demo. Loaded synchronously inside the app's iframe in place of
// https://cdn.shopify.com/shopifycloud/app-bridge.js. It defines `window.shopify` and the ui-* custom
// elements with the behaviour @shopify/app-bridge-react 4 and the app rely on, and relays everything
// the real admin would draw (nav menu, title bar, toasts, save bar, resource picker) to the demo's admin
// frame with postMessage. Session tokens come from the frame, which gets them from the demo server:
// the API secret never reaches the browser.
(function () {
  "use strict";
  if (window.shopify && window.shopify.__keyshelfDemo) return;

  var SOURCE = "keyshelf-demo";
  var script = document.currentScript;
  var params = new URLSearchParams(location.search);
  var embeddedInAdmin = window.top !== window.self;
  var adminWindow = embeddedInAdmin ? window.parent : null;

  function remember(key) {
    var value = params.get(key);
    try {
      if (value) sessionStorage.setItem("keyshelf-demo:" + key, value);
      else value = sessionStorage.getItem("keyshelf-demo:" + key);
    } catch (_error) {
      // Storage can be blocked; the URL parameters are enough then.
    }
    return value || undefined;
  }

  var config = {
    apiKey: (script && script.getAttribute("data-api-key")) || "",
    shop: remember("shop"),
    host: remember("host"),
    locale: remember("locale") || navigator.language || "en-US",
    appOrigins: [],
    disabledFeatures: [],
  };

  // ---------------------------------------------------------------------------------------------
  // Messaging with the admin frame.
  var pending = {};
  var nextId = 1;
  var handlers = {};

  function post(type, payload) {
    if (!adminWindow) return;
    adminWindow.postMessage(Object.assign({ source: SOURCE, type: type }, payload || {}), location.origin);
  }

  function request(type, payload) {
    return new Promise(function (resolve, reject) {
      if (!adminWindow) {
        reject(new Error("The app is not inside the Shopify admin (demo frame)."));
        return;
      }
      var requestId = nextId++;
      pending[requestId] = { resolve: resolve, reject: reject };
      post(type, Object.assign({ requestId: requestId }, payload || {}));
    });
  }

  window.addEventListener("message", function (event) {
    if (event.source !== adminWindow || event.origin !== location.origin) return;
    var message = event.data;
    if (!message || message.source !== SOURCE) return;
    if (message.requestId && pending[message.requestId] && message.type === "response") {
      var waiter = pending[message.requestId];
      delete pending[message.requestId];
      if (message.error) waiter.reject(new Error(message.error));
      else waiter.resolve(message.result);
      return;
    }
    var handler = handlers[message.type];
    if (handler) handler(message);
  });

  // ---------------------------------------------------------------------------------------------
  // Outside the admin, App Bridge sends the merchant to the admin with this page open.
  if (!embeddedInAdmin && location.pathname !== "/auth/session-token") {
    var appPath = location.pathname + stripEmbedParams(location.search);
    location.replace("/apps/keyshelf" + appPath);
    return;
  }

  function stripEmbedParams(search) {
    var query = new URLSearchParams(search);
    ["embedded", "hmac", "host", "id_token", "locale", "session", "shop", "timestamp"].forEach(function (key) {
      query.delete(key);
    });
    var text = query.toString();
    return text ? "?" + text : "";
  }

  // ---------------------------------------------------------------------------------------------
  // Session tokens: cached until shortly before they expire, like App Bridge.
  var cachedToken = null;
  var cachedExpiry = 0;
  var inflightToken = null;

  function decodeExpiry(token) {
    try {
      var body = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
      return JSON.parse(atob(body)).exp * 1000;
    } catch (_error) {
      return 0;
    }
  }

  function idToken(options) {
    var force = options && options.force;
    if (!force && cachedToken && cachedExpiry - Date.now() > 10000) return Promise.resolve(cachedToken);
    if (!inflightToken) {
      inflightToken = request("idToken")
        .then(function (token) {
          cachedToken = token;
          cachedExpiry = decodeExpiry(token);
          return token;
        })
        .finally(function () {
          inflightToken = null;
        });
    }
    return inflightToken;
  }

  // The bounce page (/auth/session-token?shopify-reload=...): fetch a fresh token, go back.
  if (location.pathname === "/auth/session-token") {
    var reload = params.get("shopify-reload");
    if (reload) {
      var target = new URL(reload, location.origin);
      // Only ever this app's own origin: the reload URL names the app URL, which may be a proxy.
      var back = new URL(target.pathname + target.search, location.origin);
      idToken({ force: true }).then(function (token) {
        back.searchParams.set("id_token", token);
        location.replace(back.toString());
      });
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Authenticated fetch: same-origin requests carry the session token, as with real App Bridge.
  var nativeFetch = window.fetch.bind(window);

  function isAppRequest(url) {
    if (url.origin === location.origin) return true;
    return (config.appOrigins || []).indexOf(url.origin) >= 0;
  }

  window.fetch = function (input, init) {
    var request0 = new Request(input, init);
    var url = new URL(request0.url);
    if (!isAppRequest(url) || request0.headers.has("Authorization")) return nativeFetch(request0);
    var retry = request0.clone();
    return idToken().then(function (token) {
      var authed = new Request(request0);
      authed.headers.set("Authorization", "Bearer " + token);
      return nativeFetch(authed).then(function (response) {
        var reauthorize = response.headers.get("X-Shopify-API-Request-Failure-Reauthorize-Url");
        if (reauthorize) {
          window.open(reauthorize, "_top");
          return response;
        }
        if (response.status === 401 && response.headers.get("X-Shopify-Retry-Invalid-Session-Request") === "1") {
          return idToken({ force: true }).then(function (fresh) {
            retry.headers.set("Authorization", "Bearer " + fresh);
            return nativeFetch(retry);
          });
        }
        return response;
      });
    });
  };

  // ---------------------------------------------------------------------------------------------
  // Toasts, loading, resource picker, user.
  var toastCallbacks = {};
  var toast = {
    show: function (message, options) {
      options = options || {};
      var id = "toast-" + nextId++;
      toastCallbacks[id] = { onAction: options.onAction, onDismiss: options.onDismiss };
      post("toast.show", {
        id: id,
        message: String(message),
        isError: Boolean(options.isError),
        duration: typeof options.duration === "number" ? options.duration : 5000,
        action: options.action || null,
      });
      return id;
    },
    hide: function (id) {
      post("toast.hide", { id: id });
    },
  };
  handlers["toast.action"] = function (message) {
    var callbacks = toastCallbacks[message.id];
    if (callbacks && callbacks.onAction) callbacks.onAction();
  };
  handlers["toast.dismiss"] = function (message) {
    var callbacks = toastCallbacks[message.id];
    delete toastCallbacks[message.id];
    if (callbacks && callbacks.onDismiss) callbacks.onDismiss();
  };

  function loading(isLoading) {
    post("loading", { on: isLoading === undefined ? true : Boolean(isLoading) });
  }

  function withSelection(list) {
    if (!list) return undefined;
    list.selection = list;
    return list;
  }

  function resourcePicker(options) {
    options = options || {};
    if (["product", "variant", "collection"].indexOf(options.type) < 0) {
      return Promise.reject(new Error("resourcePicker: type must be product, variant or collection"));
    }
    var plain = {
      type: options.type,
      action: options.action || "add",
      multiple: options.multiple === undefined ? false : options.multiple,
      query: options.query || "",
      filter: options.filter || {},
      selectionIds: (options.selectionIds || []).map(function (item) {
        return { id: item.id, variants: (item.variants || []).map(function (v) { return { id: v.id }; }) };
      }),
    };
    return request("resourcePicker", { options: plain }).then(withSelection);
  }

  function picker(options) {
    return request("picker", { options: JSON.parse(JSON.stringify(options || {})) }).then(function (selected) {
      return { selected: Promise.resolve(selected || undefined) };
    });
  }

  // ---------------------------------------------------------------------------------------------
  // ui-nav-menu, ui-title-bar, ui-save-bar: hidden here, drawn by the admin frame.
  var style = document.createElement("style");
  style.textContent =
    "ui-nav-menu, ui-title-bar, ui-save-bar, s-app-nav { display: none !important; }" +
    "ui-modal:not([data-demo-open]) { display: none !important; }" +
    "ui-modal > ui-title-bar, ui-modal > ui-save-bar { display: none !important; }";
  (document.head || document.documentElement).appendChild(style);

  function label(element) {
    return (element.textContent || "").replace(/\s+/g, " ").trim();
  }

  function attrBool(element, name) {
    return element.hasAttribute(name) && element.getAttribute(name) !== "false";
  }

  // Elements the frame may click, by index; rebuilt with each snapshot.
  var clickable = [];

  function describe(element) {
    var index = clickable.push(element) - 1;
    return {
      index: index,
      label: label(element),
      variant: element.getAttribute("variant") || null,
      tone: element.getAttribute("tone") || null,
      disabled: attrBool(element, "disabled"),
      loading: attrBool(element, "loading"),
      href: element.tagName === "A" ? element.getAttribute("href") : null,
    };
  }

  function outsideModal(element) {
    return !element.closest("ui-modal");
  }

  function titleBarSnapshot() {
    var bars = Array.prototype.filter.call(document.querySelectorAll("ui-title-bar"), outsideModal);
    var bar = bars[bars.length - 1];
    if (!bar) return { title: document.title || null, breadcrumb: null, primary: null, secondary: [], groups: [] };
    var snapshot = { title: bar.getAttribute("title") || null, breadcrumb: null, primary: null, secondary: [], groups: [] };
    Array.prototype.forEach.call(bar.children, function (child) {
      var tag = child.tagName;
      if (tag === "SECTION") {
        var buttons = Array.prototype.filter.call(child.children, function (c) {
          return c.tagName === "BUTTON" || c.tagName === "A";
        });
        snapshot.groups.push({ label: child.getAttribute("label") || "More actions", buttons: buttons.map(describe) });
      } else if (tag === "BUTTON" || tag === "A") {
        var variant = child.getAttribute("variant");
        var item = describe(child);
        if (variant === "breadcrumb") snapshot.breadcrumb = item;
        else if (variant === "primary") snapshot.primary = item;
        else snapshot.secondary.push(item);
      }
    });
    return snapshot;
  }

  function navSnapshot() {
    var menu = document.querySelector("ui-nav-menu");
    if (!menu) return null;
    var items = [];
    var home = null;
    Array.prototype.forEach.call(menu.querySelectorAll("a[href]"), function (link) {
      var href = link.getAttribute("href");
      if (link.getAttribute("rel") === "home") home = { label: label(link), href: href };
      else items.push({ label: label(link), href: href });
    });
    return { home: home, items: items };
  }

  // Forms marked data-save-bar get the contextual save bar automatically, as in App Bridge.
  var dirtyForm = null;

  function saveBarSnapshot() {
    var bars = Array.prototype.filter.call(document.querySelectorAll("ui-save-bar"), function (bar) {
      return bar.showing && outsideModal(bar);
    });
    var bar = bars[bars.length - 1];
    if (bar) {
      var save = bar.querySelector('button[variant="primary"]');
      var discard = bar.querySelector('button:not([variant="primary"])');
      return {
        visible: true,
        save: save ? describe(save) : null,
        discard: discard ? describe(discard) : null,
        discardConfirmation: attrBool(bar, "discardConfirmation") || attrBool(bar, "discardconfirmation"),
      };
    }
    if (dirtyForm && dirtyForm.isConnected) {
      return {
        visible: true,
        save: { index: -1, label: "Save", disabled: false, loading: false },
        discard: { index: -2, label: "Discard", disabled: false, loading: false },
        discardConfirmation: dirtyForm.hasAttribute("data-discard-confirmation"),
      };
    }
    return { visible: false };
  }

  var lastSent = {};
  var scheduled = false;

  function sendIfChanged(type, value) {
    var text = JSON.stringify(value);
    if (lastSent[type] === text) return;
    lastSent[type] = text;
    post(type, { value: value });
  }

  function sync() {
    scheduled = false;
    clickable = [];
    sendIfChanged("navMenu", navSnapshot());
    sendIfChanged("titleBar", titleBarSnapshot());
    sendIfChanged("saveBar", saveBarSnapshot());
    var modalOpen = Boolean(document.querySelector("ui-modal[data-demo-open]"));
    sendIfChanged("modal", { open: modalOpen });
  }

  function scheduleSync() {
    if (scheduled) return;
    scheduled = true;
    Promise.resolve().then(sync);
  }

  new MutationObserver(scheduleSync).observe(document.documentElement, {
    subtree: true,
    childList: true,
    attributes: true,
    characterData: true,
  });

  handlers["titleBar.click"] = handlers["saveBar.click"] = function (message) {
    if (message.index === -1 && dirtyForm) {
      var form = dirtyForm;
      dirtyForm = null;
      if (form.requestSubmit) form.requestSubmit();
      else form.submit();
      scheduleSync();
      return;
    }
    if (message.index === -2 && dirtyForm) {
      var toReset = dirtyForm;
      dirtyForm = null;
      toReset.reset();
      scheduleSync();
      return;
    }
    var element = clickable[message.index];
    if (element && element.isConnected && !attrBool(element, "disabled")) element.click();
  };

  document.addEventListener("input", markDirty, true);
  document.addEventListener("change", markDirty, true);
  function markDirty(event) {
    var form = event.target && event.target.closest ? event.target.closest("form[data-save-bar]") : null;
    if (form && dirtyForm !== form) {
      dirtyForm = form;
      scheduleSync();
    }
  }
  document.addEventListener(
    "submit",
    function (event) {
      if (event.target === dirtyForm) {
        dirtyForm = null;
        scheduleSync();
      }
    },
    true,
  );
  document.addEventListener(
    "reset",
    function (event) {
      if (event.target === dirtyForm) {
        dirtyForm = null;
        scheduleSync();
      }
    },
    true,
  );

  // Navigation from the admin's nav menu: the app's router handles shopify:navigate.
  handlers.navigate = function (message) {
    var href = message.href;
    var anchor = null;
    Array.prototype.forEach.call(document.querySelectorAll("ui-nav-menu a[href]"), function (link) {
      if (link.getAttribute("href") === href) anchor = link;
    });
    var temporary = !anchor;
    if (temporary) {
      anchor = document.createElement("a");
      anchor.setAttribute("href", href);
      anchor.style.display = "none";
      document.body.appendChild(anchor);
    }
    // Before hydration (or on a page without the client router) the frame reloads the app at href,
    // with fresh embedding parameters: a bare document request would bounce out of the admin.
    if (window.__remixRouter === undefined) {
      if (temporary) anchor.remove();
      post("reload", { path: href });
      return;
    }
    anchor.dispatchEvent(new CustomEvent("shopify:navigate", { bubbles: true, composed: true }));
    if (temporary) anchor.remove();
  };

  // The frame shows the app's path in its own URL, so a refresh reopens the same page.
  function reportLocation() {
    post("location", { path: location.pathname + stripEmbedParams(location.search) + location.hash, title: document.title });
  }
  ["pushState", "replaceState"].forEach(function (method) {
    var original = history[method];
    history[method] = function () {
      var result = original.apply(this, arguments);
      reportLocation();
      return result;
    };
  });
  window.addEventListener("popstate", reportLocation);

  // Links to the Shopify admin (shopify://admin/orders/123) open in the admin frame.
  document.addEventListener("click", function (event) {
    var link = event.target && event.target.closest ? event.target.closest("a[href]") : null;
    if (!link) return;
    var href = link.getAttribute("href") || "";
    if (href.indexOf("shopify://admin") === 0 || href.indexOf("shopify:admin") === 0) {
      event.preventDefault();
      post("adminLink", { path: href.replace(/^shopify:(\/\/)?admin/, "") || "/" });
    }
  });

  var nativeOpen = window.open ? window.open.bind(window) : null;
  window.open = function (url, target, features) {
    var text = String(url || "");
    if (text.indexOf("shopify://admin") === 0 || text.indexOf("shopify:admin") === 0) {
      post("adminLink", { path: text.replace(/^shopify:(\/\/)?admin/, "") || "/" });
      return null;
    }
    return nativeOpen ? nativeOpen(url, target, features) : null;
  };

  // ---------------------------------------------------------------------------------------------
  // Custom elements.
  function defineOnce(name, constructor) {
    if (!customElements.get(name)) customElements.define(name, constructor);
  }

  function ShowHideMixin(Base) {
    return class extends Base {
      get showing() {
        return this.hasAttribute("data-demo-open");
      }
      show() {
        if (!this.showing) {
          this.setAttribute("data-demo-open", "");
          this.onShown();
          this.dispatchEvent(new Event("show"));
        }
        return Promise.resolve();
      }
      hide() {
        if (this.showing) {
          this.removeAttribute("data-demo-open");
          this.onHidden();
          this.dispatchEvent(new Event("hide"));
        }
        return Promise.resolve();
      }
      toggle() {
        return this.showing ? this.hide() : this.show();
      }
      onShown() {}
      onHidden() {}
    };
  }

  defineOnce("ui-nav-menu", class extends HTMLElement {});
  defineOnce("s-app-nav", class extends HTMLElement {});
  defineOnce("ui-title-bar", class extends HTMLElement {});
  defineOnce("ui-save-bar", class extends ShowHideMixin(HTMLElement) {
    get discardConfirmation() {
      return this.hasAttribute("discardConfirmation");
    }
    set discardConfirmation(value) {
      if (value) this.setAttribute("discardConfirmation", "");
      else this.removeAttribute("discardConfirmation");
    }
  });

  function setAttributeIfChanged(element, name, value) {
    if (value === null) {
      if (element.hasAttribute(name)) element.removeAttribute(name);
    } else if (element.getAttribute(name) !== value) {
      element.setAttribute(name, value);
    }
  }

  var MODAL_WIDTHS = { small: "380px", base: "620px", large: "980px", max: "calc(100vw - 32px)" };
  var modalCss =
    ":host { position: fixed; inset: 0; z-index: 519; display: block; }" +
    ".backdrop { position: absolute; inset: 0; background: rgba(0,0,0,.5); }" +
    ".dialog { position: absolute; left: 50%; top: 50%; transform: translate(-50%,-50%); background: #fff;" +
    " border-radius: 12px; box-shadow: 0 20px 20px -8px rgba(26,26,26,.28); max-height: calc(100vh - 64px);" +
    " width: calc(100vw - 32px); display: flex; flex-direction: column; overflow: hidden;" +
    " font-family: -apple-system, BlinkMacSystemFont, 'San Francisco', 'Segoe UI', Roboto, 'Helvetica Neue', sans-serif; }" +
    ".dialog.max { height: calc(100vh - 32px); max-height: none; }" +
    "header { display: flex; align-items: center; justify-content: space-between; padding: 12px 16px;" +
    " background: #f3f3f3; border-bottom: 1px solid #e3e3e3; font-weight: 650; font-size: 14px; color: #303030; }" +
    ".close { border: 0; background: transparent; font-size: 20px; line-height: 1; cursor: pointer; color: #4a4a4a;" +
    " border-radius: 8px; width: 28px; height: 28px; }" +
    ".close:hover { background: #e3e3e3; }" +
    ".body { overflow: auto; flex: 1; }" +
    "footer { display: flex; justify-content: flex-end; gap: 8px; padding: 12px 16px; border-top: 1px solid #e3e3e3; }" +
    "footer:empty { display: none; }" +
    "footer button { font: inherit; font-size: 13px; font-weight: 550; border-radius: 8px; padding: 6px 12px; cursor: pointer;" +
    " border: 0; background: #fff; color: #303030; box-shadow: inset 0 -1px 0 #b5b5b5, inset 0 0 0 1px #e3e3e3; }" +
    "footer button.primary { background: #303030; color: #fff; box-shadow: inset 0 -1px 0 #000; }" +
    "footer button.critical { background: #c70a24; color: #fff; box-shadow: none; }" +
    "footer button.critical:not(.primary) { background: #fff; color: #8e0b21; box-shadow: inset 0 0 0 1px #e3e3e3; }" +
    "footer button[disabled] { opacity: .5; cursor: default; }" +
    "iframe { border: 0; width: 100%; height: 100%; min-height: 60vh; }";

  defineOnce("ui-modal", class extends ShowHideMixin(HTMLElement) {
    constructor() {
      super();
      this._content = document.createElement("div");
      this._content.setAttribute("data-demo-modal-content", "");
      this._observer = new MutationObserver(this._render.bind(this));
    }
    get content() {
      return this._content;
    }
    get variant() {
      return this.getAttribute("variant") || "base";
    }
    set variant(value) {
      this.setAttribute("variant", value);
    }
    get src() {
      return this.getAttribute("src") || undefined;
    }
    set src(value) {
      if (value) this.setAttribute("src", value);
      else this.removeAttribute("src");
    }
    get contentWindow() {
      var frame = this.shadowRoot && this.shadowRoot.querySelector("iframe");
      return frame ? frame.contentWindow : null;
    }
    connectedCallback() {
      if (!this.shadowRoot) {
        var root = this.attachShadow({ mode: "open" });
        root.innerHTML =
          "<style>" + modalCss + "</style>" +
          '<div class="backdrop" part="backdrop"></div>' +
          '<div class="dialog" part="dialog"><header><span class="title"></span>' +
          '<button class="close" type="button" aria-label="Close">×</button></header>' +
          '<div class="body"><slot name="demo-content"></slot></div><footer></footer></div>';
        var self = this;
        root.querySelector(".backdrop").addEventListener("click", function () { self.hide(); });
        root.querySelector(".close").addEventListener("click", function () { self.hide(); });
        root.querySelector("footer").addEventListener("click", function (event) {
          var index = event.target && event.target.getAttribute && event.target.getAttribute("data-index");
          var target = index !== null && self._buttons ? self._buttons[Number(index)] : null;
          if (target && !attrBool(target, "disabled")) target.click();
        });
        root.addEventListener("keydown", function (event) {
          if (event.key === "Escape") self.hide();
        });
      }
      // The portal target lives in light DOM so the app's event handlers see its clicks.
      setAttributeIfChanged(this._content, "slot", "demo-content");
      if (this._content.parentNode !== this) this.appendChild(this._content);
      this._observer.observe(this, { subtree: true, childList: true, attributes: true, characterData: true });
      this._render();
    }
    disconnectedCallback() {
      this._observer.disconnect();
      if (this.showing) {
        this.removeAttribute("data-demo-open");
        scheduleSync();
      }
    }
    onShown() {
      // Plain-HTML modals: their children are the content (React's Modal portals into .content).
      var self = this;
      if (!this._content.childNodes.length && !Object.keys(this).some(function (k) { return k.indexOf("__react") === 0; })) {
        Array.prototype.slice.call(this.children).forEach(function (child) {
          if (child !== self._content && child.tagName !== "UI-TITLE-BAR" && child.tagName !== "UI-SAVE-BAR") self._content.appendChild(child);
        });
      }
      this._render();
      scheduleSync();
    }
    onHidden() {
      scheduleSync();
    }
    _render() {
      var root = this.shadowRoot;
      if (!root) return;
      var dialog = root.querySelector(".dialog");
      var variant = this.variant;
      dialog.style.width = MODAL_WIDTHS[variant] || MODAL_WIDTHS.base;
      dialog.classList.toggle("max", variant === "max");
      var bar = this.querySelector(":scope > ui-title-bar");
      var title = (bar && bar.getAttribute("title")) || "";
      root.querySelector(".title").textContent = title;
      // The host is the dialog: its light-DOM content (the app's) is then inside it for assistive tech.
      // Only real changes: this element observes its own attributes, so a no-op write would loop.
      setAttributeIfChanged(this, "role", "dialog");
      setAttributeIfChanged(this, "aria-modal", "true");
      setAttributeIfChanged(this, "aria-label", title || null);
      var body = root.querySelector(".body");
      var frame = body.querySelector("iframe");
      if (this.src) {
        if (!frame) {
          frame = document.createElement("iframe");
          body.appendChild(frame);
        }
        if (frame.getAttribute("src") !== this.src) frame.setAttribute("src", this.src);
      } else if (frame) {
        frame.remove();
      }
      var footer = root.querySelector("footer");
      footer.textContent = "";
      this._buttons = [];
      if (bar) {
        var buttons = Array.prototype.filter.call(bar.children, function (c) {
          return c.tagName === "BUTTON" && c.getAttribute("variant") !== "breadcrumb";
        });
        // Secondary actions first, the primary action last (rightmost), as in the admin.
        buttons.sort(function (a, b) {
          return (a.getAttribute("variant") === "primary") - (b.getAttribute("variant") === "primary");
        });
        var self = this;
        buttons.forEach(function (button) {
          var copy = document.createElement("button");
          copy.type = "button";
          copy.textContent = label(button);
          copy.setAttribute("data-index", String(self._buttons.push(button) - 1));
          if (button.getAttribute("variant") === "primary") copy.classList.add("primary");
          if (button.getAttribute("tone") === "critical") copy.classList.add("critical");
          if (attrBool(button, "disabled") || attrBool(button, "loading")) copy.disabled = true;
          footer.appendChild(copy);
        });
      }
    }
  });

  // ---------------------------------------------------------------------------------------------
  // The global.
  function byId(kind, id) {
    var element = document.getElementById(id);
    if (!element || element.tagName !== kind) return Promise.reject(new Error("No " + kind.toLowerCase() + " with id " + id));
    return Promise.resolve(element);
  }

  var shopify = {
    __keyshelfDemo: true,
    config: config,
    origin: location.origin,
    ready: Promise.resolve(),
    environment: { embedded: embeddedInAdmin, mobile: false, pos: false },
    idToken: function () {
      return idToken();
    },
    toast: toast,
    loading: loading,
    resourcePicker: resourcePicker,
    picker: picker,
    user: function () {
      return request("user");
    },
    modal: {
      show: function (id) { return byId("UI-MODAL", id).then(function (m) { return m.show(); }); },
      hide: function (id) { return byId("UI-MODAL", id).then(function (m) { return m.hide(); }); },
      toggle: function (id) { return byId("UI-MODAL", id).then(function (m) { return m.toggle(); }); },
    },
    saveBar: {
      show: function (id) { return byId("UI-SAVE-BAR", id).then(function (b) { return b.show().then(scheduleSync); }); },
      hide: function (id) { return byId("UI-SAVE-BAR", id).then(function (b) { return b.hide().then(scheduleSync); }); },
      toggle: function (id) { return byId("UI-SAVE-BAR", id).then(function (b) { return b.toggle().then(scheduleSync); }); },
      leaveConfirmation: function () {
        if (!saveBarSnapshot().visible) return Promise.resolve();
        return request("leaveConfirmation");
      },
    },
    scopes: {
      query: function () {
        return request("scopes");
      },
      request: function () {
        return request("scopes").then(function (detail) { return { result: "granted-all", detail: detail }; });
      },
      revoke: function () {
        return request("scopes").then(function (detail) { return { detail: detail }; });
      },
    },
    webVitals: { onReport: function () { return Promise.resolve(); } },
    support: { registerHandler: function () { return Promise.resolve(); } },
    setSignals: function () {},
  };
  window.shopify = shopify;

  post("ready", { config: { apiKey: config.apiKey, shop: config.shop } });
  reportLocation();
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", scheduleSync);
  else scheduleSync();
})();
