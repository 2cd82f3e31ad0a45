// Rate-limit messages count down: "Try again in 30 seconds." ticks to "Try again in 29 seconds." and
// ends as "You can try again now." The ticking copy is for the eye only; screen readers hear the
// first message and the last, not one announcement a second.
"use strict";

const WAIT = /Try again in (\d+) seconds?\./;

function wait(seconds) {
  return seconds > 0 ? `Try again in ${seconds} second${seconds === 1 ? "" : "s"}.` : "You can try again now.";
}

function countDown(root) {
  if (!root || root.dataset.countingDown) return;
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  let text = walker.nextNode();
  while (text && !WAIT.test(text.data)) text = walker.nextNode();
  if (!text) return;
  root.dataset.countingDown = "true";
  const match = text.data.match(WAIT);
  const ends = Date.now() + Number(match[1]) * 1000;
  const after = text.splitText(match.index);
  after.splitText(match[0].length);
  const seen = document.createElement("span");
  seen.setAttribute("aria-hidden", "true");
  seen.dataset.countdown = "";
  seen.textContent = match[0];
  const heard = document.createElement("span");
  heard.className = "visually-hidden";
  heard.textContent = match[0];
  after.replaceWith(seen, heard);
  const timer = setInterval(() => {
    const left = Math.max(0, Math.ceil((ends - Date.now()) / 1000));
    // Gone (the alert was cleared for a new try) or run out: stop, and let the next message count.
    if (!document.contains(seen) || left === 0) {
      clearInterval(timer);
      delete root.dataset.countingDown;
    }
    seen.textContent = wait(left);
    if (left === 0) heard.textContent = wait(0);
  }, 1000);
}

window.countDown = countDown;
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll(".message, .field-error, .error-summary, [data-form-alert]").forEach(countDown);
});
