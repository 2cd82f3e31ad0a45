// Adding from the Credentials page: the provider was just chosen, so its Add dialog opens at once.
"use strict";

window.addEventListener("load", () => {
  const opener = document.querySelector("[data-open-on-load-target]");
  if (opener) opener.click();
});
