// Destructive forms (form[data-confirm]) ask in place before they submit: the button gives way to
// "question [Confirm] [Keep]", focus moves to Confirm, Keep or Esc puts the button back.
(() => {
  "use strict";

  function cancel(form) {
    const region = form.querySelector(".confirm-inline");
    if (!region) return;
    region.remove();
    const original = form.querySelector("[data-confirm-original]");
    original.hidden = false;
    original.removeAttribute("data-confirm-original");
    original.focus();
  }

  function ask(form, submitter) {
    if (form.querySelector(".confirm-inline")) return;
    const region = document.createElement("span");
    region.className = "confirm-inline";
    region.setAttribute("role", "group");
    const question = document.createElement("span");
    question.className = "confirm-question";
    question.id = `confirm-${Math.random().toString(36).slice(2)}`;
    question.textContent = form.dataset.confirm;
    region.setAttribute("aria-labelledby", question.id);
    const confirm = document.createElement("button");
    confirm.type = "button";
    confirm.className = "danger";
    confirm.textContent = "Confirm";
    confirm.setAttribute("aria-describedby", question.id);
    const keep = document.createElement("button");
    keep.type = "button";
    keep.textContent = "Keep";
    region.append(question, " ", confirm, " ", keep);

    confirm.addEventListener("click", () => {
      form.dataset.confirmed = "true";
      form.requestSubmit(submitter);
    });
    keep.addEventListener("click", () => cancel(form));
    region.addEventListener("keydown", (event) => {
      if (event.key === "Escape") {
        event.preventDefault();
        event.stopPropagation();
        cancel(form);
      }
    });

    const anchor = submitter || form.lastElementChild;
    anchor.after(region);
    if (submitter) {
      submitter.hidden = true;
      submitter.setAttribute("data-confirm-original", "");
    }
    confirm.focus();
  }

  // Capture on the document runs before the form's own submit handlers (busy state), so an
  // unconfirmed submit never reaches them.
  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.dataset.confirm || form.dataset.confirmed) return;
    event.preventDefault();
    event.stopPropagation();
    ask(form, event.submitter);
  }, true);

  // Back/forward cache restores a page as it was left: ask again next time.
  window.addEventListener("pageshow", () => {
    document.querySelectorAll("form[data-confirmed]").forEach((form) => { delete form.dataset.confirmed; });
  });
})();
