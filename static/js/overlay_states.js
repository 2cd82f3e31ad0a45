// The Add Credential overlay's client states: it reopens clean after Cancel, × or Esc (no earlier
// error, no typed value, above all no key), and a running check shows its elapsed seconds against
// the longest it can take (data-check-deadline, from the server's timeouts), as does Check now. While the
// sandbox is on, its "Sandbox keys" list fills the key field.
(() => {
  "use strict";

  function startClean(form) {
    form.reset(); // Hidden fields (CSRF, creation token) keep their values.
    const controller = form.credentialForm;
    if (controller) {
      controller.clearErrors();
      controller.hideAcceptButtons();
      controller.permit = "";
    }
  }

  // holder carries data-check-deadline: the overlay's dialog, or the Check now form.
  function showElapsed(holder, progress) {
    const deadline = Number(holder.dataset.checkDeadline) || 0;
    const counter = document.createElement("span");
    counter.className = "progress-elapsed";
    counter.dataset.progressElapsed = "";
    // The live region announces the limit once; the ticking seconds are for the eye only.
    counter.setAttribute("aria-hidden", "true");
    progress.append(" ", counter);
    if (deadline) {
      const limit = document.createElement("span");
      limit.className = "visually-hidden";
      limit.textContent = `This can take up to ${deadline} seconds.`;
      progress.append(" ", limit);
    }
    let timer = null;
    let started = 0;
    const render = () => {
      const seconds = Math.floor((Date.now() - started) / 1000);
      counter.textContent = deadline ? `${seconds} s of at most ${deadline} s` : `${seconds} s`;
    };
    new MutationObserver(() => {
      clearInterval(timer);
      if (progress.hidden) return;
      started = Date.now();
      render();
      timer = setInterval(render, 1000);
    }).observe(progress, { attributes: true, attributeFilter: ["hidden"] });
  }

  // A sandbox test key goes into the API Key field, as if typed (so earlier offers are withdrawn),
  // with the settings it is verified with (People.ai's staging key picks Staging); the list closes.
  function fillKey(form, details, key, settings) {
    Object.entries(settings || {}).forEach(([name, value]) => {
      const setting = form.querySelector(`[name="${name}"]`);
      if (setting) setting.value = value;
    });
    const input = form.querySelector("[name=key]");
    input.value = key;
    input.dispatchEvent(new Event("input", { bubbles: true }));
    details.open = false;
    input.focus();
  }

  // The list is fetched when first opened, so a page never carries a key nobody asked for.
  function offerSandboxKeys(form, details) {
    const list = details.querySelector("[data-sandbox-key-list]");
    details.addEventListener("toggle", async () => {
      if (!details.open || list.childElementCount) return;
      const response = await fetch(details.dataset.sandboxKeys, { headers: { Accept: "application/json" }, credentials: "same-origin" });
      if (!response.ok) return;
      const data = await response.json();
      data.keys.forEach(({ key, outcome, settings }) => {
        const item = document.createElement("li");
        const button = document.createElement("button");
        button.type = "button";
        button.className = "link";
        const code = document.createElement("code");
        code.textContent = key.length > 32 ? `${key.slice(0, 31)}…` : key;
        button.append(code);
        button.addEventListener("click", () => fillKey(form, details, key, settings));
        const note = document.createElement("span");
        note.className = "hint";
        note.textContent = ` ${outcome}`;
        item.append(button, note);
        list.append(item);
      });
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll("dialog [data-credential-form]").forEach((form) => {
      const dialog = form.closest("dialog");
      onDialogClosed(dialog, () => startClean(form)); // app.js: before anything is typed into a reopened one
      const progress = form.querySelector("[data-progress]");
      if (progress) showElapsed(dialog, progress);
      const sandboxKeys = form.querySelector("[data-sandbox-keys]");
      if (sandboxKeys) offerSandboxKeys(form, sandboxKeys);
    });
    // Check now posts the page: until the answer comes, it counts the seconds as the overlay does.
    document.querySelectorAll("form[data-check-progress]").forEach((form) => {
      const progress = document.getElementById(form.dataset.checkProgress);
      showElapsed(form, progress);
      form.addEventListener("submit", () => { progress.hidden = false; });
    });
  });
})();
