// The Add Credential overlay's client states: it reopens clean after Cancel, × or Esc (no earlier
// error, no typed value, above all no key), and a running check shows its elapsed seconds against
// the longest it can take (the dialog's data-check-deadline, from the server's timeouts).
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

  function showElapsed(dialog, progress) {
    const deadline = Number(dialog.dataset.checkDeadline) || 0;
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

  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll("dialog [data-credential-form]").forEach((form) => {
      const dialog = form.closest("dialog");
      dialog.addEventListener("close", () => startClean(form));
      const progress = form.querySelector("[data-progress]");
      if (progress) showElapsed(dialog, progress);
    });
  });
})();
