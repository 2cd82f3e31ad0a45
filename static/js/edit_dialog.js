// The edit dialog opens on the page that asked for it (?edit=1), and comes back open after a
// refused save, on the field to fix, with what was typed. Once on the page, "Edit" reopens it
// without a reload, so nothing typed is lost by closing it.
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
  document.querySelectorAll("a[data-edit-dialog]").forEach((link) => {
    link.addEventListener("click", (event) => {
      const dialog = document.getElementById(link.dataset.editDialog);
      if (!dialog) return;
      event.preventDefault();
      dialog.showModal();
    });
  });
});
