// The edit dialog comes back open after a refused save, on the field to fix, with what was typed.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("dialog[data-open-on-load]").forEach((dialog) => {
    dialog.showModal();
    const invalid = dialog.querySelector(".has-error input, .has-error select, .has-error textarea");
    if (invalid) {
      invalid.setAttribute("aria-invalid", "true");
      invalid.focus();
      invalid.scrollIntoView({ block: "nearest" });
    }
  });
});
