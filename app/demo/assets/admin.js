// The demo admin frame: draws what the embedded app declares through App Bridge (nav menu, title bar,
// save bar, toasts, resource picker) and answers its requests (session tokens from the demo server).
(function () {
  "use strict";
  var SOURCE = "keyshelf-demo";
  var boot = JSON.parse(document.getElementById("demo-bootstrap").textContent);
  var iframe = document.getElementById("app-iframe");
  var appBase = "/apps/" + boot.appHandle;

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      var value = attrs[key];
      if (value === null || value === undefined || value === false) return;
      if (key === "text") node.textContent = value;
      else if (key === "class") node.className = value;
      else if (key.indexOf("on") === 0) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : value);
    });
    (children || []).forEach(function (child) {
      if (child) node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  function send(type, payload) {
    if (!iframe.contentWindow) return;
    iframe.contentWindow.postMessage(Object.assign({ source: SOURCE, type: type }, payload || {}), location.origin);
  }

  function respond(requestId, result, error) {
    send("response", { requestId: requestId, result: result, error: error ? String(error.message || error) : undefined });
  }

  // ---------------------------------------------------------------------------------------------
  // Session tokens and (re)loading the app at a path.
  function fetchJson(url, init) {
    return fetch(url, init).then(function (response) {
      if (!response.ok) throw new Error(url + " answered " + response.status);
      return response.json();
    });
  }

  function mintToken() {
    return fetchJson("/demo/session-token", { method: "POST", headers: { "Content-Type": "application/json" }, body: "{}" }).then(
      function (body) {
        return body.token;
      },
    );
  }

  function loadApp(path) {
    return fetchJson("/demo/embed-url?path=" + encodeURIComponent(path)).then(function (body) {
      iframe.src = body.url;
    });
  }

  // ---------------------------------------------------------------------------------------------
  // Current app path <-> the frame's own URL (refresh reopens the same page).
  var currentPath = boot.appPath;

  function setPath(path) {
    currentPath = path;
    var url = appBase + path;
    if (location.pathname + location.search + location.hash !== url) history.replaceState(null, "", url);
    markActive();
  }

  // ---------------------------------------------------------------------------------------------
  // Nav menu.
  var navState = null;
  var appNav = document.getElementById("app-nav");
  var appHome = document.getElementById("app-home");

  function navigateApp(href) {
    if (saveBarState.visible) {
      shakeSaveBar();
      return;
    }
    send("navigate", { href: href });
  }

  function renderNav() {
    appNav.textContent = "";
    if (!navState) return;
    navState.items.forEach(function (item) {
      appNav.appendChild(
        el("li", {}, [
          el("a", {
            class: "nav-item",
            href: appBase + item.href,
            "data-href": item.href,
            text: item.label,
            onclick: function (event) {
              event.preventDefault();
              navigateApp(item.href);
            },
          }),
        ]),
      );
    });
    markActive();
  }

  appHome.addEventListener("click", function (event) {
    event.preventDefault();
    navigateApp((navState && navState.home && navState.home.href) || "/app");
  });

  function pathOnly(href) {
    return href.split(/[?#]/)[0].replace(/\/$/, "") || "/";
  }

  function markActive() {
    var current = pathOnly(currentPath);
    var best = null;
    Array.prototype.forEach.call(appNav.querySelectorAll("a[data-href]"), function (link) {
      var target = pathOnly(link.getAttribute("data-href"));
      link.classList.remove("active");
      link.removeAttribute("aria-current");
      if (current === target || current.indexOf(target + "/") === 0) {
        if (!best || target.length > pathOnly(best.getAttribute("data-href")).length) best = link;
      }
    });
    if (best) {
      best.classList.add("active");
      best.setAttribute("aria-current", "page");
    }
    appHome.classList.toggle("active", !best);
  }

  // ---------------------------------------------------------------------------------------------
  // Title bar.
  var titleActions = document.getElementById("titlebar-actions");
  var titleEl = document.getElementById("titlebar-title");
  var crumbEl = document.getElementById("titlebar-crumb");
  var openMenu = null;

  document.getElementById("titlebar-app").addEventListener("click", function () {
    navigateApp((navState && navState.home && navState.home.href) || "/app");
  });

  function actionButton(item, className) {
    var classes = "btn " + className + (item.tone === "critical" ? " btn-critical" : "");
    return el("button", {
      type: "button",
      class: classes,
      disabled: item.disabled || item.loading,
      "aria-busy": item.loading ? "true" : null,
      text: item.label,
      onclick: function () {
        send("titleBar.click", { index: item.index });
      },
    });
  }

  function renderTitleBar(bar) {
    titleActions.textContent = "";
    closeMenu();
    var title = bar && bar.title;
    titleEl.hidden = !title;
    titleEl.textContent = title || "";
    crumbEl.textContent = "";
    crumbEl.hidden = !(bar && bar.breadcrumb);
    if (bar && bar.breadcrumb) {
      crumbEl.appendChild(document.createTextNode("› "));
      crumbEl.appendChild(
        el("button", {
          type: "button",
          text: bar.breadcrumb.label,
          onclick: function () {
            send("titleBar.click", { index: bar.breadcrumb.index });
          },
        }),
      );
    }
    if (!bar) return;
    bar.groups.forEach(function (group) {
      var wrapper = el("div", { class: "menu" });
      var toggle = el("button", {
        type: "button",
        class: "btn btn-secondary",
        "aria-haspopup": "menu",
        text: group.label + " ▾",
        onclick: function (event) {
          event.stopPropagation();
          if (openMenu && openMenu.parentNode === wrapper) {
            closeMenu();
            return;
          }
          closeMenu();
          openMenu = el(
            "div",
            { class: "menu-popover", role: "menu" },
            group.buttons.map(function (item) {
              return el("button", {
                type: "button",
                role: "menuitem",
                class: item.tone === "critical" ? "critical" : null,
                disabled: item.disabled,
                text: item.label,
                onclick: function () {
                  closeMenu();
                  send("titleBar.click", { index: item.index });
                },
              });
            }),
          );
          wrapper.appendChild(openMenu);
        },
      });
      wrapper.appendChild(toggle);
      titleActions.appendChild(wrapper);
    });
    bar.secondary.forEach(function (item) {
      titleActions.appendChild(actionButton(item, "btn-secondary"));
    });
    if (bar.primary) titleActions.appendChild(actionButton(bar.primary, "btn-primary"));
  }

  function closeMenu() {
    if (openMenu) openMenu.remove();
    openMenu = null;
  }
  document.addEventListener("click", closeMenu);

  // ---------------------------------------------------------------------------------------------
  // Save bar.
  var saveBarState = { visible: false };
  var saveBar = document.getElementById("savebar");
  var saveButton = document.getElementById("savebar-save");
  var discardButton = document.getElementById("savebar-discard");

  function renderSaveBar(state) {
    saveBarState = state || { visible: false };
    saveBar.hidden = !saveBarState.visible;
    if (!saveBarState.visible) return;
    saveButton.textContent = (saveBarState.save && saveBarState.save.label) || "Save";
    saveButton.disabled = !saveBarState.save || saveBarState.save.disabled || saveBarState.save.loading;
    discardButton.textContent = (saveBarState.discard && saveBarState.discard.label) || "Discard";
    discardButton.disabled = !saveBarState.discard || saveBarState.discard.disabled;
  }
  saveButton.addEventListener("click", function () {
    if (saveBarState.save) send("saveBar.click", { index: saveBarState.save.index });
  });
  discardButton.addEventListener("click", function () {
    if (!saveBarState.discard) return;
    var index = saveBarState.discard.index;
    if (!saveBarState.discardConfirmation) {
      send("saveBar.click", { index: index });
      return;
    }
    confirmDialog({
      title: "Discard all unsaved changes",
      message: "If you discard changes, you’ll delete any edits you made since you last saved.",
      confirm: "Discard changes",
      cancel: "Continue editing",
      critical: true,
    }).then(function (ok) {
      if (ok) send("saveBar.click", { index: index });
    });
  });

  function shakeSaveBar() {
    saveBar.classList.remove("shake");
    void saveBar.offsetWidth;
    saveBar.classList.add("shake");
  }

  // ---------------------------------------------------------------------------------------------
  // Toasts.
  var toasts = document.getElementById("toasts");
  var toastNodes = {};

  function showToast(message) {
    hideToast(message.id);
    var node = el("div", { class: "toast" + (message.isError ? " error" : ""), role: message.isError ? "alert" : "status", "data-toast-id": message.id }, [
      el("span", { class: "toast-message", text: message.message }),
      message.action
        ? el("button", {
            type: "button",
            class: "toast-action",
            text: message.action,
            onclick: function () {
              send("toast.action", { id: message.id });
              dismissToast(message.id);
            },
          })
        : null,
      el("button", {
        type: "button",
        class: "toast-close",
        "aria-label": "Dismiss notification",
        text: "×",
        onclick: function () {
          dismissToast(message.id);
        },
      }),
    ]);
    toasts.appendChild(node);
    toastNodes[message.id] = { node: node, timer: setTimeout(function () { dismissToast(message.id); }, Math.max(message.duration || 5000, 2000)) };
  }

  function hideToast(id) {
    var entry = toastNodes[id];
    if (!entry) return false;
    clearTimeout(entry.timer);
    entry.node.remove();
    delete toastNodes[id];
    return true;
  }

  function dismissToast(id) {
    if (hideToast(id)) send("toast.dismiss", { id: id });
  }

  function frameToast(text, isError) {
    showToast({ id: "frame-" + Date.now(), message: text, isError: isError, duration: 4000 });
  }

  Array.prototype.forEach.call(document.querySelectorAll(".admin-only"), function (button) {
    button.addEventListener("click", function () {
      frameToast(button.getAttribute("data-admin") + " is part of the real Shopify admin, not of this demo.");
    });
  });

  // ---------------------------------------------------------------------------------------------
  // Dialogs in the admin: confirmation, resource picker, generic picker.
  var overlays = document.getElementById("overlays");

  function openDialog(build) {
    return new Promise(function (resolve) {
      var overlay = el("div", { class: "overlay" });
      function close(result) {
        overlay.remove();
        document.removeEventListener("keydown", onKey);
        resolve(result);
      }
      function onKey(event) {
        if (event.key === "Escape") close(undefined);
      }
      document.addEventListener("keydown", onKey);
      overlay.addEventListener("click", function (event) {
        if (event.target === overlay) close(undefined);
      });
      overlay.appendChild(build(close));
      overlays.appendChild(overlay);
      var focusable = overlay.querySelector("input, button.btn-primary");
      if (focusable) focusable.focus();
    });
  }

  function dialogShell(title, body, footer, close, label) {
    return el("div", { class: "dialog", role: "dialog", "aria-modal": "true", "aria-label": label || title }, [
      el("header", {}, [
        el("h2", { text: title }),
        el("button", { type: "button", class: "close", "aria-label": "Close", text: "×", onclick: function () { close(undefined); } }),
      ]),
      body,
      footer,
    ]);
  }

  function confirmDialog(options) {
    return openDialog(function (close) {
      return dialogShell(
        options.title,
        el("div", { class: "dialog-body" }, [el("p", { text: options.message })]),
        el("footer", {}, [
          el("div", { class: "footer-actions" }, [
            el("button", { type: "button", class: "btn btn-secondary", text: options.cancel, onclick: function () { close(false); } }),
            el("button", {
              type: "button",
              class: "btn btn-primary" + (options.critical ? " btn-critical" : ""),
              text: options.confirm,
              onclick: function () { close(true); },
            }),
          ]),
        ]),
        close,
      );
    }).then(Boolean);
  }

  var catalogPromise = null;
  function catalog() {
    catalogPromise = catalogPromise || fetchJson("/demo/catalog.json");
    return catalogPromise;
  }

  function resourcePicker(options) {
    return catalog().then(function (body) {
      var products = body.products;
      var type = options.type;
      if (type === "collection") return [];
      var showVariants = type === "variant" || options.filter.variants !== false;
      var limit = options.multiple === true ? Infinity : typeof options.multiple === "number" ? options.multiple : 1;
      // Selection: variant ids per product id (type product) or a set of variant ids (type variant).
      var selected = {};
      options.selectionIds.forEach(function (item) {
        if (type === "variant") {
          selected[item.id] = true;
          return;
        }
        var product = products.filter(function (p) { return p.id === item.id; })[0];
        if (!product) return;
        var ids = item.variants.length ? item.variants.map(function (v) { return v.id; }) : product.variants.map(function (v) { return v.id; });
        selected[item.id] = ids;
      });
      var noun = type === "variant" ? "variants" : "products";
      var verb = options.action === "select" ? "Select" : "Add";
      var title = verb + " " + (limit === 1 ? noun.replace(/s$/, "") : noun);

      return openDialog(function (close) {
        var search = el("input", { type: "search", placeholder: "Search " + noun, "aria-label": "Search " + noun, value: options.query || "" });
        var list = el("ul", { class: "picker-list", role: "list" });
        var count = el("span", { class: "selected-count" });
        var confirm = el("button", { type: "button", class: "btn btn-primary", text: verb });

        function selectionCount() {
          return Object.keys(selected).filter(function (k) { return type === "variant" ? selected[k] : selected[k].length; }).length;
        }

        function toggle(product, variant) {
          if (type === "variant") {
            if (selected[variant.id]) delete selected[variant.id];
            else {
              if (limit === 1) selected = {};
              else if (selectionCount() >= limit) return;
              selected[variant.id] = true;
            }
          } else {
            var current = selected[product.id] || [];
            var all = product.variants.map(function (v) { return v.id; });
            var next;
            if (!variant) next = current.length === all.length ? [] : all;
            else next = current.indexOf(variant.id) >= 0 ? current.filter(function (id) { return id !== variant.id; }) : current.concat([variant.id]);
            if (next.length && !current.length) {
              if (limit === 1) selected = {};
              else if (selectionCount() >= limit) return;
            }
            if (next.length) selected[product.id] = next;
            else delete selected[product.id];
          }
          render();
        }

        function row(product, variant, checked, indeterminate, text, meta, isVariantRow) {
          var box = el("input", { type: "checkbox", tabindex: "-1", "aria-hidden": "true" });
          box.checked = checked;
          box.indeterminate = indeterminate;
          return el(
            "li",
            {
              class: "picker-row" + (isVariantRow ? " variant" : ""),
              role: "checkbox",
              tabindex: "0",
              "aria-checked": indeterminate ? "mixed" : checked ? "true" : "false",
              "data-id": variant && (isVariantRow || type === "variant") ? variant.id : product.id,
              onclick: function () { toggle(product, isVariantRow || type === "variant" ? variant : null); },
              onkeydown: function (event) {
                if (event.key === " " || event.key === "Enter") {
                  event.preventDefault();
                  toggle(product, isVariantRow || type === "variant" ? variant : null);
                }
              },
            },
            [
              box,
              isVariantRow ? null : el("img", { src: product.images[0] && product.images[0].originalSrc, alt: "" }),
              el("span", { class: "picker-title", text: text }),
              meta ? el("span", { class: "picker-meta", text: meta }) : null,
            ],
          );
        }

        function render() {
          var term = search.value.trim().toLowerCase();
          list.textContent = "";
          var shown = 0;
          products.forEach(function (product) {
            var matches = function (v) {
              return !term || (product.title + " " + v.title + " " + (v.sku || "")).toLowerCase().indexOf(term) >= 0;
            };
            var variants = product.variants.filter(matches);
            if (!variants.length) return;
            shown++;
            if (type === "variant") {
              variants.forEach(function (variant) {
                list.appendChild(row(product, variant, Boolean(selected[variant.id]), false, variant.displayName, "€" + variant.price, false));
              });
              return;
            }
            var chosen = selected[product.id] || [];
            var all = product.variants.length;
            list.appendChild(
              row(product, null, chosen.length === all, chosen.length > 0 && chosen.length < all, product.title,
                product.hasOnlyDefaultVariant ? "€" + product.variants[0].price : all + " variants", false),
            );
            if (showVariants && !product.hasOnlyDefaultVariant) {
              variants.forEach(function (variant) {
                list.appendChild(row(product, variant, chosen.indexOf(variant.id) >= 0, false, variant.title, "€" + variant.price, true));
              });
            }
          });
          if (!shown) list.appendChild(el("li", { class: "picker-empty", text: "No " + noun + " found" }));
          var n = selectionCount();
          count.textContent = n + " " + (type === "variant" ? (n === 1 ? "variant" : "variants") : n === 1 ? "product" : "products") + " selected";
          confirm.disabled = n === 0;
        }

        search.addEventListener("input", render);
        confirm.addEventListener("click", function () {
          var result;
          if (type === "variant") {
            result = [];
            products.forEach(function (product) {
              product.variants.forEach(function (variant) {
                if (selected[variant.id]) result.push(variant);
              });
            });
          } else {
            result = products
              .filter(function (product) { return selected[product.id] && selected[product.id].length; })
              .map(function (product) {
                var copy = JSON.parse(JSON.stringify(product));
                copy.variants = product.variants.filter(function (v) { return selected[product.id].indexOf(v.id) >= 0; });
                return copy;
              });
          }
          close(result);
        });
        render();
        var frame = el("div", { class: "dialog", role: "dialog", "aria-modal": "true", "aria-label": title }, [
          el("header", {}, [
            el("h2", { text: title }),
            el("button", { type: "button", class: "close", "aria-label": "Close", text: "×", onclick: function () { close(undefined); } }),
          ]),
          el("div", { class: "picker-search" }, [search]),
          list,
          el("footer", {}, [
            count,
            el("div", { class: "footer-actions" }, [
              el("button", { type: "button", class: "btn btn-secondary", text: "Cancel", onclick: function () { close(undefined); } }),
              confirm,
            ]),
          ]),
        ]);
        frame.style.height = "min(640px, calc(100vh - 64px))";
        return frame;
      });
    });
  }

  function genericPicker(options) {
    var chosen = {};
    (options.items || []).forEach(function (item) {
      if (item.selected) chosen[item.id] = true;
    });
    var limit = options.multiple === true ? Infinity : typeof options.multiple === "number" ? options.multiple : 1;
    return openDialog(function (close) {
      var list = el("ul", { class: "picker-list", role: "list" });
      var confirm = el("button", { type: "button", class: "btn btn-primary", text: "Select" });
      function render() {
        list.textContent = "";
        (options.items || []).forEach(function (item) {
          var box = el("input", { type: "checkbox", tabindex: "-1", disabled: item.disabled });
          box.checked = Boolean(chosen[item.id]);
          list.appendChild(
            el("li", {
              class: "picker-row",
              role: "checkbox",
              "aria-checked": box.checked ? "true" : "false",
              onclick: function () {
                if (item.disabled) return;
                if (chosen[item.id]) delete chosen[item.id];
                else {
                  if (limit === 1) chosen = {};
                  else if (Object.keys(chosen).length >= limit) return;
                  chosen[item.id] = true;
                }
                render();
              },
            }, [box, el("span", { class: "picker-title", text: item.heading }), el("span", { class: "picker-meta", text: (item.data || []).join(" · ") })]),
          );
        });
        confirm.disabled = Object.keys(chosen).length === 0;
      }
      confirm.addEventListener("click", function () { close(Object.keys(chosen)); });
      render();
      return dialogShell(options.heading || "Select", list, el("footer", {}, [el("div", { class: "footer-actions" }, [
        el("button", { type: "button", class: "btn btn-secondary", text: "Cancel", onclick: function () { close(undefined); } }),
        confirm,
      ])]), close);
    });
  }

  // ---------------------------------------------------------------------------------------------
  // Modal dimming: the app draws its modal inside the iframe; the admin dims its own chrome.
  var dim = document.getElementById("chrome-dim");
  function renderModal(state) {
    var open = Boolean(state && state.open);
    dim.hidden = !open;
    document.body.classList.toggle("app-modal-open", open);
  }

  // ---------------------------------------------------------------------------------------------
  // Messages from the app.
  var loadingBar = document.getElementById("loading-bar");

  function onMessage(event) {
    if (event.source !== iframe.contentWindow || event.origin !== location.origin) return;
    var message = event.data;
    if (!message || message.source !== SOURCE) return;
    switch (message.type) {
      case "ready":
        break;
      case "idToken":
        mintToken().then(
          function (token) { respond(message.requestId, token); },
          function (error) { respond(message.requestId, null, error); },
        );
        break;
      case "user":
        respond(message.requestId, boot.user);
        break;
      case "scopes":
        respond(message.requestId, { granted: boot.scopes, required: boot.scopes, optional: [] });
        break;
      case "toast.show":
        showToast(message);
        break;
      case "toast.hide":
        hideToast(message.id);
        break;
      case "loading":
        loadingBar.classList.toggle("on", Boolean(message.on));
        break;
      case "navMenu":
        navState = message.value;
        renderNav();
        break;
      case "titleBar":
        renderTitleBar(message.value);
        break;
      case "saveBar":
        renderSaveBar(message.value);
        break;
      case "modal":
        renderModal(message.value);
        break;
      case "location":
        setPath(message.path);
        break;
      case "reload":
        loadApp(message.path);
        break;
      case "resourcePicker":
        resourcePicker(message.options).then(
          function (result) { respond(message.requestId, result); },
          function (error) { respond(message.requestId, null, error); },
        );
        break;
      case "picker":
        genericPicker(message.options).then(function (result) { respond(message.requestId, result); });
        break;
      case "leaveConfirmation":
        confirmDialog({
          title: "Leave page with unsaved changes?",
          message: "Leaving this page will delete all unsaved changes.",
          confirm: "Leave page",
          cancel: "Stay",
          critical: true,
        }).then(function (leave) {
          if (leave) respond(message.requestId, undefined);
          else shakeSaveBar();
        });
        break;
      case "adminLink":
        frameToast("In Shopify this opens the admin at " + message.path + " (not part of the demo).");
        break;
      default:
        break;
    }
  }
  var early = window.__keyshelfDemoQueue || [];
  window.__keyshelfDemoQueue = null;
  early.forEach(onMessage);
  window.addEventListener("message", onMessage);

  // Handles for tests and the curious (from the browser console).
  window.keyshelfDemo = { loadApp: loadApp, navigate: navigateApp, mintToken: mintToken };
})();
