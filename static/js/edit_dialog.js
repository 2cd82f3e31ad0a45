// The edit dialog opens on the page that asked for it (?edit=1), focus on its first field. Save
// posts with fetch: a refusal comes back as JSON and is shown in the open dialog, every value as
// typed (a refused new key too, marked), focus on the first field to fix. Once on the page, "Edit"
// reopens it without a reload, so nothing typed is lost by closing it.
"use strict";

(() => {
  function firstField(dialog) {
    return dialog.querySelector(".has-error input, .has-error select, .has-error textarea")
      || dialog.querySelector("input:not([type=hidden]), select, textarea");
  }

  function open(dialog) {
    if (!dialog.open) dialog.showModal();
    const field = firstField(dialog);
    if (field) {
      if (field.closest(".has-error")) field.setAttribute("aria-invalid", "true");
      field.focus();
      field.scrollIntoView({ block: "nearest" });
    }
  }

  function clearErrors(form) {
    form.querySelectorAll(".field-error, .error-summary").forEach((node) => node.remove());
    form.querySelectorAll(".has-error").forEach((node) => node.classList.remove("has-error"));
    form.querySelectorAll("[aria-invalid]").forEach((input) => {
      input.removeAttribute("aria-invalid");
      const ids = (input.getAttribute("aria-describedby") || "").split(" ").filter((id) => id && !id.endsWith("_error"));
      if (ids.length) input.setAttribute("aria-describedby", ids.join(" "));
      else input.removeAttribute("aria-describedby");
    });
  }

  function showErrors(form, data) {
    const summary = document.createElement("div");
    summary.className = "error-summary";
    summary.setAttribute("role", "alert");
    summary.tabIndex = -1;
    const said = document.createElement("p");
    said.textContent = data.message;
    summary.append(said);
    Object.entries(data.errors || {}).forEach(([field, messages]) => {
      const input = form.querySelector(`[name="${field}"]`);
      const box = input && input.closest(".field");
      if (!box) {
        messages.forEach((text) => { const line = document.createElement("p"); line.textContent = text; summary.append(line); });
        return;
      }
      const error = document.createElement("div");
      error.className = "field-error";
      error.id = `${input.id}_error`;
      messages.forEach((text) => { const line = document.createElement("p"); line.textContent = text; error.append(line); });
      box.classList.add("has-error");
      box.append(error);
      input.setAttribute("aria-invalid", "true");
      input.setAttribute("aria-describedby", [input.getAttribute("aria-describedby"), error.id].filter(Boolean).join(" "));
      window.countDown?.(error); // a rate limit's "Try again in 30 seconds." counts down
    });
    form.querySelector(".overlay-header").after(summary);
    const invalid = form.querySelector("[aria-invalid=true]");
    (invalid || summary).focus();
  }

  function setBusy(form, busy) {
    const save = form.querySelector("button[type=submit]");
    if (!save.dataset.label) save.dataset.label = save.textContent;
    save.disabled = busy;
    save.textContent = busy ? save.dataset.busyText || save.dataset.label : save.dataset.label;
    form.setAttribute("aria-busy", busy ? "true" : "false");
  }

  async function submit(form) {
    if (form.getAttribute("aria-busy") === "true") return; // a double click sends one request
    setBusy(form, true);
    let response;
    let data;
    try {
      response = await fetch(form.action, {
        method: "POST",
        body: new FormData(form),
        headers: { "X-Requested-With": "fetch", Accept: "application/json" },
        credentials: "same-origin",
      });
      data = await response.json();
    } catch (error) {
      setBusy(form, false);
      clearErrors(form);
      showErrors(form, { message: "The app could not be reached, so it is not known whether the changes were saved. Check your connection and save again." });
      return;
    }
    if (data.ok) {
      window.location.assign(data.url); // the page shows what was saved
      return;
    }
    setBusy(form, false);
    clearErrors(form);
    showErrors(form, data);
  }

  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll("dialog[data-open-on-load]").forEach(open);
    document.querySelectorAll("form[data-fetch-form]").forEach((form) => {
      form.addEventListener("submit", (event) => {
        event.preventDefault();
        submit(form);
      });
    });
    document.querySelectorAll("a[data-edit-dialog]").forEach((link) => {
      link.addEventListener("click", (event) => {
        const dialog = document.getElementById(link.dataset.editDialog);
        if (!dialog) return;
        event.preventDefault();
        open(dialog);
      });
    });
  });
})();
