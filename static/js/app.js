// Progressive behaviour for the credential manager: overlay dialogs, the Add Credential
// submit, and client-side filtering. Pages work from the keyboard alone.
"use strict";

// Marks the page as scripted, so controls needed only without JavaScript can hide ([data-without-js]).
document.documentElement.classList.add("js");

// Call closed() as soon as dialog has closed, before the next task: its close event comes a task
// later, when an Esc-then-Enter may already have opened it again (and the first letters been typed).
// A dialog closed and opened again within one task counts as closed too: dialog.open tells.
function onDialogClosed(dialog, closed) {
  new MutationObserver((records) => {
    if (records.some((record) => record.oldValue !== null)) closed();
  }).observe(dialog, { attributes: true, attributeFilter: ["open"], attributeOldValue: true });
}

function openDialog(dialog) {
  dialog.showModal();
  const first = dialog.querySelector("input:not([type=hidden]), select, textarea");
  if (first) first.focus();
}

function initDialogs() {
  let opener = null;
  document.querySelectorAll("[data-open-dialog]").forEach((button) => {
    button.addEventListener("click", () => {
      opener = button;
      openDialog(document.getElementById(button.dataset.openDialog));
    });
  });
  document.querySelectorAll("dialog").forEach((dialog) => {
    dialog.querySelectorAll("[data-close-dialog]").forEach((button) => {
      button.addEventListener("click", () => dialog.close());
    });
    // Focus goes back where the user was, or to what the dialog chose (e.g. a new tile).
    onDialogClosed(dialog, () => {
      const target = dialog.returnFocusTo || opener;
      dialog.returnFocusTo = null;
      if (!dialog.open && target && document.contains(target)) target.focus(); // unless open again
    });
  });
}

function initFilters() {
  document.querySelectorAll("[data-filter-target]").forEach((input) => {
    const list = document.querySelector(input.dataset.filterTarget);
    const empty = document.querySelector("[data-filter-empty]");
    const echo = document.querySelector("[data-filter-echo]");
    input.addEventListener("input", () => {
      const needle = input.value.trim().toLowerCase();
      let shown = 0;
      list.querySelectorAll("[data-filter-text]").forEach((item) => {
        const match = item.dataset.filterText.includes(needle);
        item.hidden = !match;
        if (match) shown += 1;
      });
      if (empty) empty.hidden = shown > 0;
      if (echo) echo.textContent = input.value;
    });
  });
}

// Say something in the page's messages, as a page the server renders would.
function showPageMessage(text, level) {
  const main = document.getElementById("main");
  let list = main.querySelector(":scope > .messages");
  if (!list) {
    list = document.createElement("ul");
    list.className = "messages";
    list.setAttribute("role", "status");
    main.prepend(list);
  }
  const item = document.createElement("li");
  item.className = `message ${level}`;
  item.textContent = text;
  list.append(item);
}

// Add or remove id in input's aria-describedby, keeping the ids already there (help text).
function describeBy(input, id, on) {
  if (!id) return;
  const ids = (input.getAttribute("aria-describedby") || "").split(" ").filter((each) => each && each !== id);
  if (on) ids.push(id);
  if (ids.length) input.setAttribute("aria-describedby", ids.join(" "));
  else input.removeAttribute("aria-describedby");
}

class CredentialForm {
  constructor(form) {
    this.form = form;
    this.dialog = form.closest("dialog");
    this.alert = form.querySelector("[data-form-alert]");
    this.progress = form.querySelector("[data-progress]");
    this.save = form.querySelector("[data-save]");
    this.acceptButtons = form.querySelectorAll("[data-accept]");
    this.busy = false;
    form.credentialForm = this; // overlay_states.js clears it when the overlay closes
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.submit({});
    });
    this.acceptButtons.forEach((button) => {
      // "Save without checking" sends back the server's signed permit; "Save anyway" re-checks.
      button.addEventListener("click", () => this.submit({
        [button.dataset.accept]: button.dataset.accept === "save_unverified" ? this.permit : "on",
      }));
    });
    // A changed input invalidates an earlier "save anyway" offer.
    form.addEventListener("input", () => this.hideAcceptButtons());
    // Cancel, × or Esc while checking abandons the Save: nothing is stored.
    onDialogClosed(this.dialog, () => { if (this.busy) this.abandon(); });
  }

  abandon() {
    this.controller.abort();
    this.setBusy(false);
    const token = this.form.querySelector("[name=creation_token]");
    const body = new FormData();
    body.set("csrfmiddlewaretoken", this.form.querySelector("[name=csrfmiddlewaretoken]").value);
    body.set("creation_token", token.value);
    // The server may finish the check anyway: the cancel makes sure that Save stores nothing.
    this.cancelling = fetch(this.form.dataset.cancelUrl, {
      method: "POST", body, headers: { Accept: "application/json" }, credentials: "same-origin",
    })
      .then((response) => response.json())
      .then((data) => {
        token.value = data.next_creation_token;
        showPageMessage("Cancelled while checking: nothing was saved.", "info");
      })
      .catch(() => {
        showPageMessage("Cancelled, but the app could not be reached to confirm it: look for the credential before adding it again.", "warning");
      })
      .finally(() => { this.cancelling = null; });
  }

  hideAcceptButtons() {
    this.acceptButtons.forEach((button) => { button.hidden = true; });
  }

  clearErrors() {
    delete this.alert.dataset.countingDown;
    this.alert.hidden = true;
    this.alert.textContent = "";
    this.alert.className = "form-alert";
    this.form.querySelectorAll("[data-error-for]").forEach((node) => {
      node.hidden = true;
      node.textContent = "";
    });
    this.form.querySelectorAll("[aria-invalid]").forEach((node) => {
      node.removeAttribute("aria-invalid");
      describeBy(node, node.dataset.errorId, false);
    });
  }

  setBusy(busy) {
    this.busy = busy;
    this.save.disabled = busy;
    this.acceptButtons.forEach((button) => { button.disabled = busy; });
    this.progress.hidden = !busy;
    this.form.setAttribute("aria-busy", busy ? "true" : "false");
  }

  showAlert(message, outcome) {
    this.alert.textContent = message;
    this.alert.className = `form-alert outcome-${outcome}`;
    this.alert.dataset.outcome = outcome;
    this.alert.hidden = false;
  }

  async submit(extra) {
    if (this.busy) return; // A double click sends one request.
    if (this.cancelling) await this.cancelling;
    this.clearErrors();
    this.hideAcceptButtons();
    const body = new FormData(this.form);
    Object.entries(extra).forEach(([name, value]) => body.set(name, value));
    this.setBusy(true);
    let response;
    let data;
    this.controller = new AbortController();
    const signal = this.controller.signal;
    try {
      response = await fetch(this.form.action, {
        method: "POST",
        body,
        signal,
        headers: { "X-Requested-With": "fetch", Accept: "application/json" },
        credentials: "same-origin",
      });
      data = await response.json();
    } catch (error) {
      if (signal.aborted) return;
      this.setBusy(false);
      this.showAlert("The app could not be reached, so it is not known whether the credential was saved. Check your connection and press Save again: it will not be saved twice.", "could_not_check");
      return;
    }
    this.setBusy(false);
    if (data.ok) {
      this.succeed(data);
      return;
    }
    this.fail(data);
  }

  succeed(data) {
    const list = document.getElementById("credential-tiles");
    // Added from the Credentials page: there is no tile to select, so show the new credential.
    if (!list) {
      window.location.assign(data.credential.url);
      return;
    }
    const template = document.createElement("template");
    template.innerHTML = data.tile_html.trim();
    const tile = template.content.firstElementChild;
    const addTile = list.querySelector(".add-tile");
    addTile.after(tile);
    const radio = tile.querySelector("input[type=radio]");
    radio.checked = true;
    this.form.reset();
    this.form.querySelector("[name=creation_token]").value = data.next_creation_token;
    // onDialogClosed runs after this method: it moves focus to the new tile.
    this.dialog.returnFocusTo = radio;
    this.dialog.close();
  }

  markField(field, text) {
    const node = this.form.querySelector(`[data-error-for="${field}"]`);
    const input = this.form.querySelector(`[name="${field}"]`);
    if (node) {
      node.textContent = text;
      node.hidden = false;
    } else {
      this.alert.textContent += " " + text;
    }
    if (input) {
      input.setAttribute("aria-invalid", "true");
      // Screen readers read the error with the field, not only the banner at the top.
      if (node) {
        input.dataset.errorId = node.id;
        describeBy(input, node.id, true);
      }
    }
  }

  fail(data) {
    this.showAlert(data.message, data.outcome);
    Object.entries(data.errors || {}).forEach(([field, messages]) => this.markField(field, messages.join(" ")));
    // A setting the key does not fit (TIXY's token type, People.ai's environment) is the input to
    // change: mark it and put focus there. A refused key stays as typed, the alert says why.
    if (data.field && data.field !== "key" && !(data.errors || {})[data.field]) {
      this.markField(data.field, "The key was not accepted with this choice: choose another, or check the key.");
    }
    this.permit = data.unverified_permit || "";
    if (data.can_save_unverified) {
      this.form.querySelector('[data-accept="save_unverified"]').hidden = false;
      this.alert.textContent += " Or choose “Save without checking” to store it as “Could not check” and check it later.";
    }
    if (data.can_accept_restricted) this.form.querySelector('[data-accept="accept_restricted"]').hidden = false;
    const invalid = this.form.querySelector("[aria-invalid=true]");
    (invalid || this.alert).focus?.();
    window.countDown?.(this.alert); // a rate limit's "Try again in 30 seconds." counts down
  }
}

// A submitted form shows that it is working and cannot be sent twice by a double click.
function initBusyForms() {
  document.querySelectorAll("form[method=post]:not([data-credential-form]):not([data-fetch-form])").forEach((form) => {
    form.addEventListener("submit", (event) => {
      if (form.dataset.submitting) {
        event.preventDefault();
        return;
      }
      form.dataset.submitting = "true";
      form.setAttribute("aria-busy", "true");
      const button = event.submitter;
      // Disable after the browser has read the form, so the clicked button's value is still sent.
      setTimeout(() => {
        if (!button) return;
        button.disabled = true;
        if (button.dataset.busyText) button.textContent = button.dataset.busyText;
      }, 0);
    });
  });
  // Back/forward cache restores a page as it was left: make its forms usable again.
  window.addEventListener("pageshow", () => {
    document.querySelectorAll("form[data-submitting]").forEach((form) => {
      delete form.dataset.submitting;
      form.removeAttribute("aria-busy");
      form.querySelectorAll("button:disabled").forEach((button) => { button.disabled = false; });
    });
  });
}

document.addEventListener("DOMContentLoaded", () => {
  initBusyForms();
  initDialogs();
  initFilters();
  document.querySelectorAll("[data-credential-form]").forEach((form) => new CredentialForm(form));
});
