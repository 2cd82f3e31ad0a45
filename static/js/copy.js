// Copy buttons: [data-copy="<id>"] copies the text of the element with that id. The buttons are
// hidden in the HTML and shown here, so a page without JavaScript offers none that do nothing.
"use strict";

function copyBySelecting(node) {
  const range = document.createRange();
  range.selectNodeContents(node);
  const selection = window.getSelection();
  selection.removeAllRanges();
  selection.addRange(range);
  const copied = document.execCommand("copy");
  return copied ? Promise.resolve() : Promise.reject(new Error("copy refused"));
}

function copyText(node) {
  const text = node.textContent.trim();
  // The Clipboard API exists only on secure origins (HTTPS, localhost); elsewhere select and copy.
  if (navigator.clipboard && window.isSecureContext) {
    return navigator.clipboard.writeText(text).catch(() => copyBySelecting(node));
  }
  return copyBySelecting(node);
}

document.addEventListener("DOMContentLoaded", () => {
  const buttons = document.querySelectorAll("[data-copy]");
  if (!buttons.length) return;
  const status = document.createElement("p");
  status.className = "visually-hidden";
  status.setAttribute("role", "status");
  document.body.append(status);
  buttons.forEach((button) => {
    const source = document.getElementById(button.dataset.copy);
    if (!source) return;
    const label = button.textContent;
    button.hidden = false;
    button.addEventListener("click", () => {
      copyText(source).then(
        () => {
          button.textContent = "Copied";
          button.classList.add("copied");
          status.textContent = "Copied to the clipboard.";
        },
        () => {
          status.textContent = "Could not copy: select the text and copy it yourself.";
        },
      );
      setTimeout(() => {
        button.textContent = label;
        button.classList.remove("copied");
      }, 2000);
    });
  });
});
